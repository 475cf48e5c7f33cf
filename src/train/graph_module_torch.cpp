// Graph -> LibTorch: every OpKind as LibTorch operations with the ONNX semantics the float
// reference (infer/float_infer.cpp) implements, so both agree to float rounding.
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "model/conv_geom.hpp"
#include "train/torch_module.hpp"

namespace sparsecim {

torch::Tensor to_torch(const Tensor& t) {
    std::vector<int64_t> sizes(t.shape.begin(), t.shape.end());
    return torch::from_blob(const_cast<float*>(t.data.data()), sizes, torch::kFloat32).clone();
}

Tensor from_torch(const torch::Tensor& t) {
    const torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
    Tensor out(Shape(c.sizes().begin(), c.sizes().end()));
    std::copy_n(c.data_ptr<float>(), out.data.size(), out.data.begin());
    return out;
}

namespace {

[[noreturn]] void fail(const Graph& g, const Node& n, const std::string& why) {
    throw Error((g.source.empty() ? "" : g.source + ": ") + "node '" + n.name + "' (" + n.type() +
                "): " + why + " (LibTorch conversion)");
}

int64_t norm_axis(const Graph& g, const Node& n, int64_t axis, int64_t rank, bool inclusive) {
    const int64_t hi = inclusive ? rank : rank - 1;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > hi) fail(g, n, "axis out of range for rank " + std::to_string(rank));
    return axis;
}

Shape shape_of(const torch::Tensor& t) {
    return Shape(t.sizes().begin(), t.sizes().end());
}

// 2-D pooling geometry with ONNX semantics (pads begin/end, ceil_mode, auto_pad).
struct PoolGeom {
    int64_t k[2], s[2], d[2], pb[2], pe[2], out[2];
};

PoolGeom pool_geom(const Graph& g, const Node& n, const torch::Tensor& x) {
    if (x.dim() != 4) fail(g, n, "only 2-D pooling of N x C x H x W is supported");
    const auto ks = n.attr_ints("kernel_shape", {});
    const auto st = n.attr_ints("strides", {1, 1});
    const auto dl = n.attr_ints("dilations", {1, 1});
    auto pads = n.attr_ints("pads", {0, 0, 0, 0});
    if (ks.size() != 2 || st.size() != 2 || dl.size() != 2 || pads.size() != 4)
        fail(g, n, "kernel_shape/strides/dilations/pads must be 2-D");
    const bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
    const std::string ap = n.attr_string("auto_pad", "NOTSET");
    PoolGeom p{};
    for (size_t i = 0; i < 2; ++i) {
        const int64_t in = x.size(static_cast<int64_t>(i) + 2);
        p.k[i] = ks[i];
        p.s[i] = st[i];
        p.d[i] = dl[i];
        if (ks[i] <= 0 || st[i] <= 0 || dl[i] <= 0)
            fail(g, n, "kernel, strides, dilations must be > 0");
        const int64_t ek = (ks[i] - 1) * dl[i] + 1;
        if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
            p.out[i] = (in + st[i] - 1) / st[i];
            const int64_t total = std::max<int64_t>(0, (p.out[i] - 1) * st[i] + ek - in);
            p.pb[i] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
            p.pe[i] = total - p.pb[i];
        } else if (ap == "VALID" || ap == "NOTSET") {
            p.pb[i] = ap == "VALID" ? 0 : pads[i];
            p.pe[i] = ap == "VALID" ? 0 : pads[i + 2];
            const int64_t span = in + p.pb[i] + p.pe[i] - ek;
            if (span < 0) fail(g, n, "kernel larger than the padded input");
            int64_t o = (ceil_mode ? (span + st[i] - 1) / st[i] : span / st[i]) + 1;
            if (ceil_mode && (o - 1) * st[i] >= in + p.pb[i]) --o;
            p.out[i] = o;
        } else {
            fail(g, n, "unknown auto_pad '" + ap + "'");
        }
    }
    return p;
}

torch::Tensor pad2d(const torch::Tensor& x, const PoolGeom& p, double value) {
    if (p.pb[0] == 0 && p.pb[1] == 0 && p.pe[0] == 0 && p.pe[1] == 0) return x;
    return torch::constant_pad_nd(x, {p.pb[1], p.pe[1], p.pb[0], p.pe[0]}, value);
}

torch::Tensor crop(const torch::Tensor& y, const PoolGeom& p) {
    return y.narrow(2, 0, p.out[0]).narrow(3, 0, p.out[1]);
}

bool is_trainable_use(const Node& n, size_t input) {
    switch (n.op) {
        case OpKind::Conv:
        case OpKind::Gemm:
            return input == 1 || input == 2;
        case OpKind::MatMul:
        case OpKind::Add:
            return input <= 1;
        case OpKind::BatchNormalization:
            return input == 1 || input == 2;
        default:
            return false;
    }
}

}  // namespace

GraphModule::Impl::Impl(const Graph& g) : graph(g) {
    if (g.inputs.empty() || g.outputs.empty())
        throw Error((g.source.empty() ? g.name : g.source) + ": graph has no input/output");
    for (const auto& [name, t] : g.constants) values[name] = to_torch(t);
    std::set<std::string> seen;
    for (const Node& n : g.nodes) {
        // Forms the conversion rejects up front, so a bad model fails before any training.
        if (n.op == OpKind::MaxPool && n.outputs.size() > 1 && !n.outputs[1].empty())
            fail(g, n, "the Indices output is not supported");
        if (n.op == OpKind::AveragePool &&
            n.attr_ints("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
            fail(g, n, "dilated AveragePool is not supported");
        if (n.op == OpKind::Reshape && (n.inputs.size() < 2 || !g.is_constant(n.inputs[1])) &&
            n.attrs.count("shape") == 0)
            fail(g, n, "the target shape must be a constant");
        if (n.op == OpKind::BatchNormalization &&
            (n.inputs.size() < 5 || !g.is_constant(n.inputs[3]) || !g.is_constant(n.inputs[4])))
            fail(g, n, "mean and var must be constants");
        for (size_t i = 0; i < n.inputs.size(); ++i)
            if (is_trainable_use(n, i) && g.is_constant(n.inputs[i]) &&
                seen.insert(n.inputs[i]).second)
                params.push_back(n.inputs[i]);
        if (is_weight_layer(g, n) && !weight_axis.count(weight_name(n))) {
            const Tensor& w = g.constant(weight_name(n));
            weights.push_back(weight_name(n));
            weight_axis[weight_name(n)] = n.op == OpKind::Conv ? 0
                                          : n.op == OpKind::Gemm
                                              ? (n.attr_int("transB", 0) ? 0 : 1)
                                              : static_cast<int64_t>(w.rank()) - 1;
        }
    }
    for (const auto& p : params) values[p].set_requires_grad(true);
}

torch::Tensor GraphModule::Impl::weight_value(const std::string& name) {
    const torch::Tensor& w = values.at(name);
    if (auto q = projected.find(name); q != projected.end()) return w + (q->second - w.detach());
    if (ste_bits <= 0) return w;
    auto it = weight_axis.find(name);
    if (it == weight_axis.end()) return w;
    // Symmetric per-output-channel fake quantization; the rounding's gradient passes straight
    // through (w + (q - w).detach()), the scale is treated as a constant.
    const double qmax = static_cast<double>((1 << (ste_bits - 1)) - 1);
    const int64_t axis = it->second;
    std::vector<int64_t> others;
    for (int64_t d = 0; d < w.dim(); ++d)
        if (d != axis) others.push_back(d);
    torch::Tensor wd = w.detach();
    torch::Tensor mx = others.empty() ? wd.abs() : wd.abs().amax(others, /*keepdim=*/true);
    torch::Tensor s = torch::where(mx > 0, mx / qmax, torch::ones_like(mx));
    torch::Tensor q = torch::clamp(torch::round(wd / s), -qmax, qmax) * s;
    return w + (q - wd);
}

std::vector<torch::Tensor> GraphModule::Impl::eval(const Node& n,
                                                   const std::vector<torch::Tensor>& ins) {
    const Graph& g = graph;
    auto need = [&](size_t i) -> const torch::Tensor& {
        if (i >= ins.size() || !ins[i].defined())
            fail(g, n, "input " + std::to_string(i) + " is missing");
        return ins[i];
    };
    auto opt = [&](size_t i) -> torch::Tensor { return i < ins.size() ? ins[i] : torch::Tensor(); };
    switch (n.op) {
        case OpKind::Conv: {
            const torch::Tensor& x = need(0);
            const torch::Tensor& w = need(1);
            const ConvGeom cg = conv_geom(n, shape_of(x), shape_of(w));
            torch::Tensor xp = x;
            int64_t ph = cg.pad_top, pw = cg.pad_left;
            if (cg.pad_top != cg.pad_bottom || cg.pad_left != cg.pad_right) {
                xp = torch::constant_pad_nd(
                    x, {cg.pad_left, cg.pad_right, cg.pad_top, cg.pad_bottom}, 0.0);
                ph = pw = 0;
            }
            return {torch::conv2d(xp, w, opt(2), {cg.stride_h, cg.stride_w}, {ph, pw},
                                  {cg.dil_h, cg.dil_w}, cg.group)};
        }
        case OpKind::Gemm: {
            const torch::Tensor& a = need(0);
            const torch::Tensor& b = need(1);
            if (a.dim() != 2 || b.dim() != 2) fail(g, n, "A and B must be 2-D");
            const bool ta = n.attr_int("transA", 0) != 0, tb = n.attr_int("transB", 0) != 0;
            const double alpha = n.attr_float("alpha", 1.0f), beta = n.attr_float("beta", 1.0f);
            torch::Tensor y = torch::matmul(ta ? a.t() : a, tb ? b.t() : b);
            if (alpha != 1.0) y = y * alpha;
            const torch::Tensor c = opt(2);
            if (c.defined() && beta != 0.0) y = y + (beta == 1.0 ? c : c * beta);
            return {y};
        }
        case OpKind::MatMul:
            return {torch::matmul(need(0), need(1))};
        case OpKind::BatchNormalization: {
            const torch::Tensor& x = need(0);
            if (x.dim() < 2) fail(g, n, "input must be at least 2-D");
            const double eps = n.attr_float("epsilon", 1e-5f);
            const double momentum = 1.0 - n.attr_float("momentum", 0.9f);
            return {torch::batch_norm(x, need(1), need(2), values.at(n.inputs[3]),
                                      values.at(n.inputs[4]), training, momentum, eps, false)};
        }
        case OpKind::Relu:
            return {torch::relu(need(0))};
        case OpKind::Clip: {
            double lo = n.attr_float("min", -std::numeric_limits<float>::infinity());
            double hi = n.attr_float("max", std::numeric_limits<float>::infinity());
            if (torch::Tensor t = opt(1); t.defined() && t.numel() > 0)
                lo = t.reshape({-1})[0].item<double>();
            if (torch::Tensor t = opt(2); t.defined() && t.numel() > 0)
                hi = t.reshape({-1})[0].item<double>();
            return {torch::clamp(need(0), lo, hi)};
        }
        case OpKind::MaxPool: {
            const PoolGeom p = pool_geom(g, n, need(0));
            const torch::Tensor xp = pad2d(need(0), p, -std::numeric_limits<double>::infinity());
            return {crop(torch::max_pool2d(xp, {p.k[0], p.k[1]}, {p.s[0], p.s[1]}, {0, 0},
                                           {p.d[0], p.d[1]}, n.attr_int("ceil_mode", 0) != 0),
                         p)};
        }
        case OpKind::AveragePool: {
            const torch::Tensor& x = need(0);
            const PoolGeom p = pool_geom(g, n, x);
            const bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
            const bool include_pad = n.attr_int("count_include_pad", 0) != 0;
            // Window sums divided by the number of counted positions (inside the input, or
            // inside the padded input with count_include_pad), as the ONNX reference does.
            auto sums = [&](const torch::Tensor& t) {
                return crop(torch::avg_pool2d(t, {p.k[0], p.k[1]}, {p.s[0], p.s[1]}, {0, 0},
                                              ceil_mode, true, 1),
                            p);
            };
            const torch::Tensor ones = torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
            return {sums(pad2d(x, p, 0.0)) / sums(pad2d(ones, p, include_pad ? 1.0 : 0.0))};
        }
        case OpKind::GlobalAveragePool: {
            const torch::Tensor& x = need(0);
            if (x.dim() < 3) fail(g, n, "input must be N x C x spatial");
            std::vector<int64_t> dims;
            for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
            return {x.mean(dims, /*keepdim=*/true)};
        }
        case OpKind::Add:
            return {need(0) + need(1)};
        case OpKind::Concat: {
            if (ins.empty()) fail(g, n, "needs at least one input");
            const int64_t axis = norm_axis(g, n, n.attr_int("axis", 1), need(0).dim(), false);
            std::vector<torch::Tensor> parts;
            for (size_t i = 0; i < ins.size(); ++i) parts.push_back(need(i));
            return {torch::cat(parts, axis)};
        }
        case OpKind::Flatten: {
            const torch::Tensor& x = need(0);
            const int64_t axis = norm_axis(g, n, n.attr_int("axis", 1), x.dim(), true);
            int64_t outer = 1;
            for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
            return {x.reshape({outer, outer ? x.numel() / std::max<int64_t>(1, outer) : 0})};
        }
        case OpKind::Reshape: {
            const torch::Tensor& x = need(0);
            std::vector<int64_t> spec;
            if (n.inputs.size() >= 2 && g.is_constant(n.inputs[1]))
                for (float v : g.constant(n.inputs[1]).data) spec.push_back(std::llround(v));
            else
                spec = n.attr_ints("shape", {});
            const bool allowzero = n.attr_int("allowzero", 0) != 0;
            for (size_t i = 0; i < spec.size(); ++i)
                if (spec[i] == 0 && !allowzero) {
                    if (static_cast<int64_t>(i) >= x.dim())
                        fail(g, n, "shape entry 0 copies a dimension the input lacks");
                    spec[i] = x.size(static_cast<int64_t>(i));
                }
            try {
                return {x.reshape(spec)};
            } catch (const c10::Error&) {
                fail(g, n, "cannot reshape " + shape_str(shape_of(x)));
            }
        }
        case OpKind::Identity: {
            std::vector<torch::Tensor> outs{need(0)};
            if (n.outputs.size() > 1) outs.push_back(torch::ones_like(need(0)));
            return outs;
        }
        case OpKind::Softmax: {
            const torch::Tensor& x = need(0);
            if (g.opset >= 13)
                return {torch::softmax(x, norm_axis(g, n, n.attr_int("axis", -1), x.dim(), false))};
            const int64_t axis = norm_axis(g, n, n.attr_int("axis", 1), x.dim(), true);
            int64_t outer = 1;
            for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
            return {torch::softmax(x.reshape({outer, -1}), 1).reshape(x.sizes())};
        }
        default:  // ops inference runs but training does not (yet): the error below
            break;
    }
    fail(g, n, "unsupported op");
}

torch::Tensor GraphModule::Impl::forward(const torch::Tensor& x, bool logits) {
    std::map<std::string, torch::Tensor> act;
    act[graph.inputs[0].name] = x;
    std::map<std::string, torch::Tensor> wq;  // fake-quantized weights of this pass
    auto lookup = [&](const std::string& name) -> torch::Tensor {
        if (auto it = act.find(name); it != act.end()) return it->second;
        if (auto it = weight_axis.find(name); it != weight_axis.end()) {
            auto& slot = wq[name];
            if (!slot.defined()) slot = weight_value(name);
            return slot;
        }
        if (auto it = values.find(name); it != values.end()) return it->second;
        return {};
    };
    const std::string& out = graph.outputs[0];
    for (const Node& n : graph.nodes) {
        std::vector<torch::Tensor> ins;
        for (const auto& name : n.inputs) {
            ins.push_back(name.empty() ? torch::Tensor() : lookup(name));
            if (!name.empty() && !ins.back().defined())
                fail(graph, n, "input '" + name + "' is not available");
        }
        if (logits && n.op == OpKind::Softmax && !n.outputs.empty() && n.outputs[0] == out)
            return ins.at(0);
        std::vector<torch::Tensor> outs;
        try {
            outs = eval(n, ins);
        } catch (const c10::Error& e) {
            fail(graph, n, std::string(e.what_without_backtrace()).substr(0, 200));
        }
        for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k)
            if (!n.outputs[k].empty()) act[n.outputs[k]] = outs[k];
    }
    torch::Tensor y = lookup(out);
    if (!y.defined()) throw Error(graph.source + ": graph output '" + out + "' was not computed");
    return y;
}

void GraphModule::Impl::write_back() {
    for (auto& [name, t] : values) graph.constants[name] = from_torch(t);
}

GraphModule::GraphModule(const Graph& g) : impl_(std::make_unique<Impl>(g)) {}
GraphModule::~GraphModule() = default;
GraphModule::GraphModule(GraphModule&&) noexcept = default;
GraphModule& GraphModule::operator=(GraphModule&&) noexcept = default;

Tensor GraphModule::forward(const Tensor& images) const {
    torch::NoGradGuard no_grad;
    const bool was = impl_->training;
    impl_->training = false;
    Tensor y = from_torch(impl_->forward(to_torch(images)));
    impl_->training = was;
    return y;
}

Graph GraphModule::to_graph() const {
    impl_->write_back();
    return impl_->graph;
}

std::vector<std::string> GraphModule::parameter_names() const {
    return impl_->params;
}

}  // namespace sparsecim
