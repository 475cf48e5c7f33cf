// Resolution of ONNX Conv and ConvTranspose attributes (including auto_pad) into their geometry,
// and of a 2-D ConvTranspose into the equivalent direct convolution.
#include "model/conv_geom.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace sparsecim {

bool ConvGeom::reads_input(int64_t oy, int64_t ox, int64_t ky, int64_t kx) const {
    const int64_t uy = oy * stride_h - pad_top + ky * dil_h;
    const int64_t ux = ox * stride_w - pad_left + kx * dil_w;
    return uy >= 0 && ux >= 0 && uy % up_h == 0 && ux % up_w == 0 && uy / up_h < in_h &&
           ux / up_w < in_w;
}

ConvGeom conv_geom(const Node& n, const Shape& x, const Shape& w) {
    auto fail = [&](const std::string& why) -> void {
        throw Error("node '" + n.name + "' (Conv): " + why);
    };
    if (x.size() != 4) fail("input must be 4-D NCHW, got " + shape_str(x));
    if (w.size() != 4) fail("weight must be 4-D OIHW, got " + shape_str(w));
    ConvGeom g;
    g.group = n.attr_int("group", 1);
    g.cin = x[1];
    g.in_h = x[2];
    g.in_w = x[3];
    g.cout = w[0];
    g.kh = w[2];
    g.kw = w[3];
    if (g.group <= 0 || g.cin % g.group != 0 || g.cout % g.group != 0)
        fail("group " + std::to_string(g.group) + " does not divide the channels");
    if (w[1] * g.group != g.cin)
        fail("weight " + shape_str(w) + " does not match input channels " + std::to_string(g.cin));
    auto ks = n.attr_ints("kernel_shape", {g.kh, g.kw});
    if (ks.size() != 2 || ks[0] != g.kh || ks[1] != g.kw)
        fail("kernel_shape disagrees with weight");
    auto st = n.attr_ints("strides", {1, 1});
    auto dl = n.attr_ints("dilations", {1, 1});
    if (st.size() != 2 || dl.size() != 2) fail("only 2-D strides/dilations are supported");
    g.stride_h = st[0];
    g.stride_w = st[1];
    g.dil_h = dl[0];
    g.dil_w = dl[1];
    if (g.stride_h <= 0 || g.stride_w <= 0 || g.dil_h <= 0 || g.dil_w <= 0)
        fail("strides and dilations must be positive");
    const int64_t ekh = (g.kh - 1) * g.dil_h + 1;
    const int64_t ekw = (g.kw - 1) * g.dil_w + 1;
    std::string ap = n.attr_string("auto_pad", "NOTSET");
    if (ap == "NOTSET" || ap == "VALID") {
        auto p = n.attr_ints("pads", {0, 0, 0, 0});
        if (ap == "VALID") p = {0, 0, 0, 0};
        if (p.size() != 4) fail("pads must have 4 entries");
        g.pad_top = p[0];
        g.pad_left = p[1];
        g.pad_bottom = p[2];
        g.pad_right = p[3];
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
        const int64_t oh = (g.in_h + g.stride_h - 1) / g.stride_h;
        const int64_t ow = (g.in_w + g.stride_w - 1) / g.stride_w;
        const int64_t ph = std::max<int64_t>(0, (oh - 1) * g.stride_h + ekh - g.in_h);
        const int64_t pw = std::max<int64_t>(0, (ow - 1) * g.stride_w + ekw - g.in_w);
        const bool upper = ap == "SAME_UPPER";
        g.pad_top = upper ? ph / 2 : ph - ph / 2;
        g.pad_bottom = ph - g.pad_top;
        g.pad_left = upper ? pw / 2 : pw - pw / 2;
        g.pad_right = pw - g.pad_left;
    } else {
        fail("unknown auto_pad '" + ap + "'");
    }
    g.out_h = (g.in_h + g.pad_top + g.pad_bottom - ekh) / g.stride_h + 1;
    g.out_w = (g.in_w + g.pad_left + g.pad_right - ekw) / g.stride_w + 1;
    if (g.out_h <= 0 || g.out_w <= 0) fail("output would be empty for input " + shape_str(x));
    return g;
}

namespace {

std::string axes_str(size_t nd) {
    return std::to_string(nd) + (nd == 1 ? " entry" : " entries");
}

}  // namespace

ConvTransposeGeom conv_transpose_geom(const Node& n, const Shape& x, const Shape& w) {
    auto fail = [&](const std::string& why) -> void {
        throw Error("node '" + n.name + "' (ConvTranspose): " + why);
    };
    if (x.size() < 3) fail("input must be N x C x spatial, got " + shape_str(x));
    const size_t nd = x.size() - 2;
    if (w.size() != x.size())
        fail("weight " + shape_str(w) +
             " must be (Cin, Cout/group, kernel...) of the input's rank " +
             std::to_string(x.size()));
    ConvTransposeGeom g;
    g.group = n.attr_int("group", 1);
    g.cin = x[1];
    if (g.group <= 0 || w[0] != g.cin || g.cin % g.group != 0)
        fail("weight " + shape_str(w) + " does not match input " + shape_str(x) + " with group " +
             std::to_string(g.group));
    g.cout = w[1] * g.group;
    g.in.assign(x.begin() + 2, x.end());
    g.kernel.assign(w.begin() + 2, w.end());
    if (n.attr_ints("kernel_shape", g.kernel) != g.kernel)
        fail("kernel_shape disagrees with weight");
    g.stride = n.attr_ints("strides", Shape(nd, 1));
    g.dilation = n.attr_ints("dilations", Shape(nd, 1));
    const Shape out_pad = n.attr_ints("output_padding", Shape(nd, 0));
    if (g.stride.size() != nd || g.dilation.size() != nd || out_pad.size() != nd)
        fail("strides, dilations and output_padding must have " + axes_str(nd));
    // Bounds that keep every product below int64 (each factor is at most 2^28).
    auto in_range = [](int64_t v, int64_t lo) { return v >= lo && v <= kMaxTensorElements; };
    for (size_t d = 0; d < nd; ++d) {
        if (!in_range(g.stride[d], 1) || !in_range(g.dilation[d], 1))
            fail("strides and dilations must lie in [1, 2^28]");
        if (!in_range(out_pad[d], 0)) fail("output_padding must lie in [0, 2^28]");
    }
    // Full (uncropped) output extent per axis.
    Shape full(nd);
    for (size_t d = 0; d < nd; ++d)
        full[d] = g.stride[d] * (g.in[d] - 1) + out_pad[d] + (g.kernel[d] - 1) * g.dilation[d] + 1;
    const std::string ap = n.attr_string("auto_pad", "NOTSET");
    const Shape out_shape = n.attr_ints("output_shape", {});
    g.pad_begin.assign(nd, 0);
    g.out.assign(nd, 0);
    if (!out_shape.empty() || ap == "SAME_UPPER" || ap == "SAME_LOWER") {
        if (!out_shape.empty() && out_shape.size() != nd)
            fail("output_shape must have " + axes_str(nd));
        // ONNX: SAME_UPPER puts the odd padding at the end, otherwise at the start; a negative
        // total (output_shape beyond the full output) leaves zero rows at the end. Floor halves.
        auto half = [](int64_t t) { return t >= 0 ? t / 2 : -((-t + 1) / 2); };
        for (size_t d = 0; d < nd; ++d) {
            g.out[d] = out_shape.empty() ? g.in[d] * g.stride[d] : out_shape[d];
            if (!in_range(g.out[d], 1)) fail("output_shape must lie in [1, 2^28]");
            const int64_t total = full[d] - g.out[d];
            g.pad_begin[d] = ap == "SAME_UPPER" ? half(total) : total - half(total);
        }
    } else if (ap == "NOTSET" || ap == "VALID") {
        Shape p = n.attr_ints("pads", Shape(2 * nd, 0));
        if (ap == "VALID") p.assign(2 * nd, 0);
        if (p.size() != 2 * nd) fail("pads must have " + axes_str(2 * nd));
        for (size_t d = 0; d < nd; ++d) {
            if (std::abs(p[d]) > kMaxTensorElements || std::abs(p[d + nd]) > kMaxTensorElements)
                fail("pads must lie in [-2^28, 2^28]");
            g.pad_begin[d] = p[d];
            g.out[d] = full[d] - p[d] - p[d + nd];
        }
    } else {
        fail("unknown auto_pad '" + ap + "'");
    }
    for (int64_t o : g.out)
        if (o <= 0) fail("output would be empty for input " + shape_str(x));
    return g;
}

ConvGeom conv_transpose_as_conv(const Node& n, const Shape& x, const Shape& w) {
    const ConvTransposeGeom t = conv_transpose_geom(n, x, w);
    if (t.in.size() != 2)
        throw Error("node '" + n.name +
                    "' (ConvTranspose): only a 2-D ConvTranspose (input N x C x " +
                    "H x W) is a crossbar weight layer; this one has " +
                    std::to_string(t.in.size()) + " spatial axes");
    ConvGeom g;
    g.cin = t.cin;
    g.cout = t.cout;
    g.group = t.group;
    g.in_h = t.in[0];
    g.in_w = t.in[1];
    g.kh = t.kernel[0];
    g.kw = t.kernel[1];
    g.dil_h = t.dilation[0];
    g.dil_w = t.dilation[1];
    g.up_h = t.stride[0];
    g.up_w = t.stride[1];
    g.out_h = t.out[0];
    g.out_w = t.out[1];
    g.pad_top = (g.kh - 1) * g.dil_h - t.pad_begin[0];
    g.pad_left = (g.kw - 1) * g.dil_w - t.pad_begin[1];
    // The end padding that makes out = upsampled input + pads - dilated kernel + 1.
    g.pad_bottom = g.out_h - 1 + (g.kh - 1) * g.dil_h + 1 - g.pad_top - ((g.in_h - 1) * g.up_h + 1);
    g.pad_right = g.out_w - 1 + (g.kw - 1) * g.dil_w + 1 - g.pad_left - ((g.in_w - 1) * g.up_w + 1);
    return g;
}

ConvGeom conv_layer_geom(const Node& n, const Shape& x, const Shape& w) {
    if (n.op == OpKind::ConvTranspose) return conv_transpose_as_conv(n, x, w);
    return conv_geom(n, x, w);
}

}  // namespace sparsecim
