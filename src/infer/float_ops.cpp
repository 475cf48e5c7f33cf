// Float kernels of the ops beyond the CNN core (see float_ops.hpp), written from the ONNX operator
// specification and checked against the ONNX node tests (tests/test_onnx_nodes.cpp).
#include "infer/float_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "model/conv_geom.hpp"

namespace sparsecim {

void fail_node(const Node& n, const std::string& why) {
    throw Error("node '" + n.name + "' (" + n.type() + "): " + why);
}

const Tensor& need_input(const Node& n, const std::vector<const Tensor*>& ins, size_t i) {
    if (i >= ins.size() || ins[i] == nullptr)
        fail_node(n, "input " + std::to_string(i) + " is missing");
    return *ins[i];
}

const Tensor* optional_input(const std::vector<const Tensor*>& ins, size_t i) {
    return i < ins.size() ? ins[i] : nullptr;
}

int64_t axis_in_range(const Node& n, int64_t axis, int64_t rank, bool inclusive_end) {
    const int64_t hi = inclusive_end ? rank : rank - 1;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > hi) fail_node(n, "axis out of range for rank " + std::to_string(rank));
    return axis;
}

std::vector<int64_t> tensor_ints(const Tensor& t) {
    constexpr double kLimit = 4611686018427387904.0;  // 2^62: INT64_MAX read as float rounds up
    std::vector<int64_t> v;
    v.reserve(t.data.size());
    for (float f : t.data) {
        const double d = std::clamp(static_cast<double>(f), -kLimit, kLimit);
        v.push_back(static_cast<int64_t>(d));
    }
    return v;
}

namespace {

std::vector<int64_t> row_major_strides(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
    return st;
}

// Calls f(out_index, coordinates) for every element of `shape`, in row-major order.
template <typename F>
void for_each_index(const Shape& shape, F f) {
    const int64_t total = numel(shape);
    std::vector<int64_t> idx(shape.size(), 0);
    for (int64_t i = 0; i < total; ++i) {
        f(i, idx);
        for (size_t d = shape.size(); d-- > 0;) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}

// Axes from input `i` when given, else the attribute "axes" (older opsets).
std::vector<int64_t> axes_of(const Node& n, const std::vector<const Tensor*>& ins, size_t i) {
    if (const Tensor* t = optional_input(ins, i)) return tensor_ints(*t);
    return n.attr_ints("axes", {});
}

}  // namespace

// Every input pixel times every kernel tap, added where it lands in the output (the definition);
// the output offset of an (input pixel, tap) pair is found once and shared by all channel pairs.
Tensor conv_transpose(const Node& n, const Tensor& x, const Tensor& w, const Tensor* b) {
    const ConvTransposeGeom g = conv_transpose_geom(n, x.shape, w.shape);
    if (b && b->size() != g.cout) fail_node(n, "bias has " + std::to_string(b->size()) + " values");
    const size_t nd = g.in.size();
    const int64_t B = x.dim(0), cpg = g.cin / g.group, opg = g.cout / g.group;
    Shape out_shape = {B, g.cout};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    Tensor y(out_shape);
    const int64_t in_vol = numel(g.in), out_vol = numel(g.out), k_vol = numel(g.kernel);
    for (int64_t bi = 0; bi < B; ++bi)
        for (int64_t oc = 0; oc < g.cout; ++oc)
            std::fill_n(y.data.begin() + (bi * g.cout + oc) * out_vol, out_vol,
                        b ? b->data[static_cast<size_t>(oc)] : 0.0f);
    const Shape in_st = row_major_strides(g.in), k_st = row_major_strides(g.kernel);
    for (int64_t i = 0; i < in_vol; ++i)
        for (int64_t t = 0; t < k_vol; ++t) {
            int64_t off = 0;  // of the output pixel input pixel i reaches through tap t, or -1
            for (size_t d = 0; d < nd && off >= 0; ++d) {
                const int64_t id = (i / in_st[d]) % g.in[d], td = (t / k_st[d]) % g.kernel[d];
                const int64_t o = id * g.stride[d] - g.pad_begin[d] + td * g.dilation[d];
                off = o < 0 || o >= g.out[d] ? -1 : off * g.out[d] + o;
            }
            if (off < 0) continue;
            for (int64_t bi = 0; bi < B; ++bi)
                for (int64_t c = 0; c < g.cin; ++c) {
                    const float xv = x.data[static_cast<size_t>((bi * g.cin + c) * in_vol + i)];
                    if (xv == 0.0f) continue;
                    const float* wp = w.data.data() + c * opg * k_vol + t;
                    float* yp = y.data.data() + (bi * g.cout + c / cpg * opg) * out_vol + off;
                    for (int64_t o = 0; o < opg; ++o) yp[o * out_vol] += xv * wp[o * k_vol];
                }
        }
    return y;
}

Tensor pad(const Node& n, const std::vector<const Tensor*>& ins, int64_t opset) {
    const Tensor& x = need_input(n, ins, 0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> pads;
    float value = 0.0f;
    if (opset >= 11) {
        pads = tensor_ints(need_input(n, ins, 1));
        if (const Tensor* v = optional_input(ins, 2); v && !v->data.empty()) value = v->data[0];
        if (const Tensor* a = optional_input(ins, 3)) {  // opset 18 axes: pads only for them
            const auto axes = tensor_ints(*a);
            if (pads.size() != 2 * axes.size()) fail_node(n, "pads do not match axes");
            std::vector<int64_t> full(2 * static_cast<size_t>(rank), 0);
            for (size_t i = 0; i < axes.size(); ++i) {
                const int64_t ax = axis_in_range(n, axes[i], rank);
                full[ax] = pads[i];
                full[ax + rank] = pads[i + axes.size()];
            }
            pads = full;
        }
    } else {
        pads = n.attr_ints("pads", n.attr_ints("paddings", {}));
        value = n.attr_float("value", 0.0f);
    }
    if (pads.size() != 2 * static_cast<size_t>(rank))
        fail_node(n, "pads must have " + std::to_string(2 * rank) + " entries");
    const std::string mode = n.attr_string("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge")
        fail_node(n, "unsupported mode '" + mode + "'");
    Shape out(x.shape);
    for (int64_t d = 0; d < rank; ++d) {
        out[d] += pads[d] + pads[d + rank];
        if (out[d] < 0) fail_node(n, "negative output dimension");
        if (mode != "constant" && x.shape[d] == 0 && out[d] > 0)
            fail_node(n, mode + " padding of an empty axis");
    }
    const auto st = row_major_strides(x.shape);
    Tensor y(out);
    for_each_index(out, [&](int64_t i, const std::vector<int64_t>& o) {
        int64_t off = 0;
        for (int64_t d = 0; d < rank; ++d) {
            int64_t c = o[d] - pads[d];
            const int64_t len = x.shape[d];
            if (c < 0 || c >= len) {
                if (mode == "constant") {
                    y.data[i] = value;
                    return;
                }
                if (mode == "edge") {
                    c = std::clamp<int64_t>(c, 0, len - 1);
                } else if (len == 1) {
                    c = 0;
                } else {  // reflect without repeating the edge, period 2 * (len - 1)
                    const int64_t period = 2 * (len - 1);
                    c = ((c % period) + period) % period;
                    if (c >= len) c = period - c;
                }
            }
            off += c * st[d];
        }
        y.data[i] = x.data[off];
    });
    return y;
}

Tensor resize(const Node& n, const std::vector<const Tensor*>& ins, int64_t opset) {
    const Tensor& x = need_input(n, ins, 0);
    const size_t rank = x.rank();
    const bool upsample = n.op == OpKind::Upsample;
    // Input positions: Upsample-7 scales attribute, Upsample-9 / Resize-10 scales at 1, Resize-11+
    // roi at 1, scales at 2, sizes at 3.
    const Tensor* roi = nullptr;
    std::vector<float> scales;
    std::vector<int64_t> sizes;
    if (upsample || opset < 11) {
        if (const Tensor* s = optional_input(ins, 1))
            scales = s->data;
        else
            scales = std::get<std::vector<float>>(
                n.attrs.count("scales") ? n.attrs.at("scales") : AttrValue{std::vector<float>{}});
    } else {
        roi = optional_input(ins, 1);
        if (const Tensor* s = optional_input(ins, 2)) scales = s->data;
        if (const Tensor* s = optional_input(ins, 3)) sizes = tensor_ints(*s);
    }
    if (!sizes.empty() && !scales.empty()) fail_node(n, "give scales or sizes, not both");
    if (sizes.empty() && scales.size() != rank)
        fail_node(n, "scales must have " + std::to_string(rank) + " entries");
    if (!sizes.empty() && sizes.size() != rank)
        fail_node(n, "sizes must have " + std::to_string(rank) + " entries");
    std::string mode = n.attr_string("mode", "nearest");
    if (mode == "bilinear") mode = "linear";  // Upsample-7 spelling
    if (mode != "nearest" && mode != "linear")
        fail_node(n, "mode '" + mode + "' is not supported (nearest, linear)");
    // Before Resize-11 the coordinates are asymmetric and nearest rounds down.
    const bool legacy = upsample || opset < 11;
    const std::string ctm =
        legacy ? "asymmetric" : n.attr_string("coordinate_transformation_mode", "half_pixel");
    const std::string nearest_mode =
        legacy ? "floor" : n.attr_string("nearest_mode", "round_prefer_floor");
    const float extrapolation = n.attr_float("extrapolation_value", 0.0f);
    Shape out(rank);
    std::vector<double> scale(rank);
    for (size_t d = 0; d < rank; ++d) {
        if (!sizes.empty()) {
            out[d] = sizes[d];
            scale[d] = static_cast<double>(out[d]) / static_cast<double>(x.shape[d]);
        } else {
            if (!(scales[d] > 0.0f)) fail_node(n, "scales must be positive");
            scale[d] = scales[d];
            out[d] = static_cast<int64_t>(std::floor(static_cast<double>(x.shape[d]) * scale[d]));
        }
        if (out[d] < 0) fail_node(n, "negative output size");
    }
    // Per axis and output coordinate: the two input taps and the weight of the second (linear),
    // or the one tap (nearest, weight 0); `outside` marks tf_crop_and_resize extrapolation.
    struct Tap {
        int64_t i0 = 0, i1 = 0;
        double w1 = 0.0;
        bool outside = false;
    };
    std::vector<std::vector<Tap>> taps(rank);
    for (size_t d = 0; d < rank; ++d) {
        const int64_t in = x.shape[d];
        const double len_out = scale[d] * static_cast<double>(in);
        taps[d].resize(static_cast<size_t>(out[d]));
        for (int64_t o = 0; o < out[d]; ++o) {
            const double xo = static_cast<double>(o);
            double xi;
            if (ctm == "half_pixel") {
                xi = (xo + 0.5) / scale[d] - 0.5;
            } else if (ctm == "pytorch_half_pixel") {
                xi = len_out > 1.0 ? (xo + 0.5) / scale[d] - 0.5 : 0.0;
            } else if (ctm == "align_corners") {
                xi = len_out > 1.0 ? xo * static_cast<double>(in - 1) / (len_out - 1.0) : 0.0;
            } else if (ctm == "asymmetric") {
                xi = xo / scale[d];
            } else if (ctm == "tf_half_pixel_for_nn") {
                xi = (xo + 0.5) / scale[d];
            } else if (ctm == "tf_crop_and_resize") {
                if (!roi || roi->size() != static_cast<int64_t>(2 * rank))
                    fail_node(n, "tf_crop_and_resize needs roi of 2 x rank values");
                const double start = roi->data[d], end = roi->data[d + rank];
                xi = len_out > 1.0
                         ? start * static_cast<double>(in - 1) +
                               xo * (end - start) * static_cast<double>(in - 1) / (len_out - 1.0)
                         : 0.5 * (start + end) * static_cast<double>(in - 1);
            } else {
                fail_node(n, "unknown coordinate_transformation_mode '" + ctm + "'");
            }
            Tap& t = taps[d][static_cast<size_t>(o)];
            t.outside =
                ctm == "tf_crop_and_resize" && (xi < 0.0 || xi > static_cast<double>(in - 1));
            const double fl = std::floor(xi);
            const double frac = xi - fl;
            const int64_t base = static_cast<int64_t>(fl);
            if (mode == "linear") {
                t.i0 = std::clamp<int64_t>(base, 0, in - 1);
                t.i1 = std::clamp<int64_t>(base + 1, 0, in - 1);
                t.w1 = frac;
            } else {
                bool up;
                if (nearest_mode == "round_prefer_floor")
                    up = frac > 0.5;
                else if (nearest_mode == "round_prefer_ceil")
                    up = frac >= 0.5;
                else if (nearest_mode == "floor")
                    up = false;
                else if (nearest_mode == "ceil")
                    up = frac > 0.0;
                else
                    fail_node(n, "unknown nearest_mode '" + nearest_mode + "'");
                t.i0 = t.i1 = std::clamp<int64_t>(base + (up ? 1 : 0), 0, in - 1);
            }
        }
    }
    const auto st = row_major_strides(x.shape);
    Tensor y(out);
    for_each_index(out, [&](int64_t i, const std::vector<int64_t>& o) {
        double acc = 0.0;
        for (size_t d = 0; d < rank; ++d)
            if (taps[d][static_cast<size_t>(o[d])].outside) {
                y.data[i] = extrapolation;
                return;
            }
        // Sum over the 2^rank corners, skipping those of zero weight.
        const size_t corners = size_t{1} << rank;
        for (size_t c = 0; c < corners; ++c) {
            double w = 1.0;
            int64_t off = 0;
            for (size_t d = 0; d < rank && w != 0.0; ++d) {
                const Tap& t = taps[d][static_cast<size_t>(o[d])];
                const bool second = (c >> d) & 1u;
                w *= second ? t.w1 : 1.0 - t.w1;
                off += (second ? t.i1 : t.i0) * st[d];
            }
            if (w != 0.0) acc += w * x.data[off];
        }
        y.data[i] = static_cast<float>(acc);
    });
    return y;
}

Tensor transpose(const Node& n, const Tensor& x) {
    const size_t rank = x.rank();
    std::vector<int64_t> rev(rank);
    std::iota(rev.rbegin(), rev.rend(), 0);
    const auto perm = n.attr_ints("perm", rev);
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> ident(rank);
    std::iota(ident.begin(), ident.end(), 0);
    if (sorted != ident) fail_node(n, "perm is not a permutation of the input's axes");
    Shape out(rank);
    for (size_t d = 0; d < rank; ++d) out[d] = x.shape[perm[d]];
    const auto st = row_major_strides(x.shape);
    Tensor y(out);
    for_each_index(out, [&](int64_t i, const std::vector<int64_t>& o) {
        int64_t off = 0;
        for (size_t d = 0; d < rank; ++d) off += o[d] * st[perm[d]];
        y.data[i] = x.data[off];
    });
    return y;
}

Tensor squeeze(const Node& n, const std::vector<const Tensor*>& ins) {
    const Tensor& x = need_input(n, ins, 0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<bool> drop(x.rank(), false);
    const auto axes = axes_of(n, ins, 1);
    for (int64_t a : axes) {
        const int64_t ax = axis_in_range(n, a, rank);
        if (x.shape[ax] != 1) fail_node(n, "axis " + std::to_string(a) + " is not of size 1");
        drop[ax] = true;
    }
    Shape out;
    for (int64_t d = 0; d < rank; ++d)
        if (!(axes.empty() ? x.shape[d] == 1 : drop[d])) out.push_back(x.shape[d]);
    return Tensor(out, x.data);
}

Tensor unsqueeze(const Node& n, const std::vector<const Tensor*>& ins) {
    const Tensor& x = need_input(n, ins, 0);
    const auto axes = axes_of(n, ins, 1);
    const int64_t rank = static_cast<int64_t>(x.rank() + axes.size());
    std::vector<bool> inserted(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
        const int64_t ax = axis_in_range(n, a, rank);
        if (inserted[ax]) fail_node(n, "repeated axis");
        inserted[ax] = true;
    }
    Shape out;
    size_t k = 0;
    for (int64_t d = 0; d < rank; ++d) out.push_back(inserted[d] ? 1 : x.shape[k++]);
    return Tensor(out, x.data);
}

Tensor slice(const Node& n, const std::vector<const Tensor*>& ins) {
    const Tensor& x = need_input(n, ins, 0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> starts, ends, axes, steps;
    if (optional_input(ins, 1)) {  // Slice-10+: inputs
        starts = tensor_ints(need_input(n, ins, 1));
        ends = tensor_ints(need_input(n, ins, 2));
        if (const Tensor* a = optional_input(ins, 3)) axes = tensor_ints(*a);
        if (const Tensor* s = optional_input(ins, 4)) steps = tensor_ints(*s);
    } else {  // Slice-1: attributes
        starts = n.attr_ints("starts", {});
        ends = n.attr_ints("ends", {});
        axes = n.attr_ints("axes", {});
    }
    if (axes.empty()) {
        axes.resize(starts.size());
        std::iota(axes.begin(), axes.end(), 0);
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
        fail_node(n, "starts, ends, axes and steps differ in length");
    std::vector<int64_t> begin(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1);
    Shape out = x.shape;
    for (size_t i = 0; i < starts.size(); ++i) {
        const int64_t ax = axis_in_range(n, axes[i], rank);
        const int64_t dim = x.shape[ax];
        if (steps[i] == 0) fail_node(n, "step 0");
        int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
        int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
        if (steps[i] > 0) {
            s = std::clamp<int64_t>(s, 0, dim);
            e = std::clamp<int64_t>(e, 0, dim);
            out[ax] = e > s ? (e - s + steps[i] - 1) / steps[i] : 0;
        } else {
            s = std::clamp<int64_t>(s, 0, dim - 1);
            e = std::clamp<int64_t>(e, -1, dim - 1);
            out[ax] = s > e ? (s - e - steps[i] - 1) / -steps[i] : 0;
        }
        begin[ax] = s;
        step[ax] = steps[i];
    }
    const auto st = row_major_strides(x.shape);
    Tensor y(out);
    for_each_index(out, [&](int64_t i, const std::vector<int64_t>& o) {
        int64_t off = 0;
        for (int64_t d = 0; d < rank; ++d) off += (begin[d] + o[d] * step[d]) * st[d];
        y.data[i] = x.data[off];
    });
    return y;
}

Tensor gather(const Node& n, const Tensor& data, const Tensor& indices) {
    const int64_t rank = static_cast<int64_t>(data.rank());
    if (rank == 0) fail_node(n, "data must be at least 1-D");
    const int64_t axis = axis_in_range(n, n.attr_int("axis", 0), rank);
    const int64_t dim = data.shape[axis];
    Shape out(data.shape.begin(), data.shape.begin() + axis);
    out.insert(out.end(), indices.shape.begin(), indices.shape.end());
    out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= data.shape[d];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= data.shape[d];
    const auto idx = tensor_ints(indices);
    Tensor y(out);
    int64_t pos = 0;
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t k : idx) {
            if (k < -dim || k >= dim) fail_node(n, "index " + std::to_string(k) + " out of range");
            if (k < 0) k += dim;
            std::copy_n(data.data.begin() + (o * dim + k) * inner, inner, y.data.begin() + pos);
            pos += inner;
        }
    return y;
}

Tensor shape_of(const Node& n, const Tensor& x) {
    const int64_t rank = static_cast<int64_t>(x.rank());
    auto clampi = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const int64_t s = clampi(n.attr_int("start", 0)), e = clampi(n.attr_int("end", rank));
    std::vector<float> dims;
    for (int64_t d = s; d < e; ++d) dims.push_back(static_cast<float>(x.shape[d]));
    const int64_t count = static_cast<int64_t>(dims.size());  // before dims is moved from
    return Tensor({count}, std::move(dims));
}

namespace {

// v rounded to the nearest IEEE half-precision value (ties to even; beyond the largest half,
// infinity), held as float. Written out because clang has no _Float16 on every target.
float round_to_float16(float v) {
    if (!std::isfinite(v)) return v;
    const float a = std::fabs(v);
    if (a >= 65520.0f) return std::copysign(HUGE_VALF, v);  // rounds past 65504: infinity
    int e = 0;
    std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    // A half has 10 fraction bits; below 2^-14 (subnormal) the step stays 2^-24.
    const float step = std::ldexp(1.0f, std::max(e - 1, -14) - 10);
    return std::copysign(std::nearbyint(a / step) * step, v);
}

}  // namespace

Tensor cast(const Node& n, const Tensor& x) {
    // ONNX TensorProto.DataType codes.
    enum : int64_t {
        F32 = 1,
        U8 = 2,
        I8 = 3,
        U16 = 4,
        I16 = 5,
        I32 = 6,
        I64 = 7,
        STR = 8,
        BOOL = 9,
        F16 = 10,
        F64 = 11,
        U32 = 12,
        U64 = 13,
        BF16 = 16
    };
    const int64_t to = n.attr_int("to", -1);
    Tensor y = x;
    switch (to) {
        case F32:
        case F64:
            break;
        case F16:
            for (float& v : y.data) v = round_to_float16(v);
            break;
        case BF16:
            for (float& v : y.data) {  // round to nearest even on the top 16 bits
                uint32_t b;
                std::memcpy(&b, &v, sizeof b);
                if (!std::isnan(v)) b = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
                std::memcpy(&v, &b, sizeof b);
            }
            break;
        case BOOL:
            for (float& v : y.data) v = v != 0.0f ? 1.0f : 0.0f;
            break;
        case U8:
        case I8:
        case U16:
        case I16:
        case I32:
        case I64:
        case U32:
        case U64:
            for (float& v : y.data) v = std::trunc(v);
            break;
        default:
            fail_node(n, "cast to data type " + std::to_string(to) + " is not supported" +
                             (to == STR ? " (string tensors are not modelled)" : ""));
    }
    return y;
}

Tensor reduce_mean(const Node& n, const std::vector<const Tensor*>& ins) {
    const Tensor& x = need_input(n, ins, 0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    const auto axes = axes_of(n, ins, 1);
    const bool keep = n.attr_int("keepdims", 1) != 0;
    if (axes.empty() && n.attr_int("noop_with_empty_axes", 0) != 0) return x;
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
    for (int64_t a : axes) reduced[axis_in_range(n, a, rank)] = true;
    Shape kept(x.shape);
    int64_t count = 1;
    for (int64_t d = 0; d < rank; ++d)
        if (reduced[d]) {
            count *= x.shape[d];
            kept[d] = 1;
        }
    const auto kst = row_major_strides(kept);
    std::vector<double> acc(static_cast<size_t>(numel(kept)), 0.0);
    for_each_index(x.shape, [&](int64_t i, const std::vector<int64_t>& c) {
        int64_t off = 0;
        for (int64_t d = 0; d < rank; ++d)
            if (!reduced[d]) off += c[d] * kst[d];
        acc[static_cast<size_t>(off)] += x.data[i];
    });
    Shape out;
    for (int64_t d = 0; d < rank; ++d)
        if (!reduced[d] || keep) out.push_back(kept[d]);
    Tensor y(out);
    for (size_t i = 0; i < acc.size(); ++i)
        y.data[i] = static_cast<float>(acc[i] / static_cast<double>(std::max<int64_t>(1, count)));
    return y;
}

}  // namespace sparsecim
