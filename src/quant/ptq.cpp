// Calibration by float inference with a weight-layer hook, and symmetric per-channel weights.
#include "quant/ptq.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "infer/float_infer.hpp"
#include "infer/layer_eval.hpp"

namespace sparsecim {

std::vector<InputStats> calibrate_inputs(const Graph& g, const Tensor& images,
                                         const QuantOptions& opt) {
    if (opt.calibration != "max" && opt.calibration != "percentile")
        throw Error("quantization.calibration: expected 'max' or 'percentile', got '" +
                    opt.calibration + "'");
    std::vector<int> layer_of(g.nodes.size(), -1);
    int nl = 0;
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (is_weight_layer(g, g.nodes[i])) layer_of[i] = nl++;
    std::vector<InputStats> stats(static_cast<size_t>(nl));
    // No images (mapping-only analysis with modelled activations): every input unsigned, |x| <= 1.
    if (images.size() == 0) {
        for (auto& s : stats) s.scale_max = 1.0f;
        return stats;
    }
    std::vector<std::vector<float>> samples(static_cast<size_t>(nl));
    constexpr size_t kMaxSamples = 1 << 20;
    auto hook = [&](size_t ni, const Node& n, const Tensor& x) -> Tensor {
        const size_t l = static_cast<size_t>(layer_of[ni]);
        InputStats& s = stats[l];
        float mx = s.scale_max;
        for (float v : x.data) {
            s.min = std::min(s.min, v);
            mx = std::max(mx, std::fabs(v));
        }
        if (opt.calibration == "max") {
            s.scale_max = mx;
        } else {
            auto& smp = samples[l];
            const size_t stride = std::max<size_t>(1, x.data.size() / (kMaxSamples / 16));
            for (size_t i = 0; i < x.data.size() && smp.size() < kMaxSamples; i += stride)
                smp.push_back(std::fabs(x.data[i]));
        }
        return eval_with_input(g, n, x);
    };
    const std::string in_name = g.inputs.at(0).name;
    run_graph(g, {{in_name, images}}, hook);
    if (opt.calibration == "percentile")
        for (size_t l = 0; l < stats.size(); ++l) {
            auto& smp = samples[l];
            if (smp.empty()) continue;
            const double q = std::clamp(opt.percentile, 0.0, 100.0) / 100.0;
            const size_t idx =
                std::min(smp.size() - 1, static_cast<size_t>(q * static_cast<double>(smp.size())));
            std::nth_element(smp.begin(), smp.begin() + static_cast<std::ptrdiff_t>(idx),
                             smp.end());
            stats[l].scale_max = smp[idx];
        }
    return stats;
}

void quantize_weights_symmetric(const FloatMatrix& fm, int w_bits, QuantLayer& layer) {
    const int32_t qmax = (1 << (w_bits - 1)) - 1;
    layer.weights = WeightMatrix(layer.name, fm.K, fm.N, w_bits);
    layer.weights.groups = fm.groups;
    layer.w_scale.assign(static_cast<size_t>(fm.N), 1.0f);
    layer.bias = fm.bias;
    for (int64_t n = 0; n < fm.N; ++n) {
        float mx = 0.0f;
        for (int64_t k = 0; k < fm.K; ++k)
            mx = std::max(mx, std::fabs(fm.w[static_cast<size_t>(k * fm.N + n)]));
        const float s = mx > 0.0f ? mx / static_cast<float>(qmax) : 1.0f;
        layer.w_scale[static_cast<size_t>(n)] = s;
        for (int64_t k = 0; k < fm.K; ++k) {
            const size_t i = static_cast<size_t>(k * fm.N + n);
            const long q = std::lround(fm.w[i] / s);
            layer.weights.w[i] = static_cast<int32_t>(std::clamp<long>(q, -qmax, qmax));
            layer.weights.keep[i] = fm.in_block[i];
        }
    }
}

void set_input_scale(const InputStats& s, int a_bits, QuantLayer& layer) {
    layer.a_bits = a_bits;
    layer.in_signed = s.min < 0.0f;
    const float levels = layer.in_signed ? static_cast<float>((1 << (a_bits - 1)) - 1)
                                         : static_cast<float>((1 << a_bits) - 1);
    layer.in_scale = s.scale_max > 0.0f ? s.scale_max / levels : 1.0f;
}

QuantModel quantize(const Graph& g, const Tensor& calib_images, const QuantOptions& opt) {
    if (opt.w_bits < 2 || opt.w_bits > 16) throw Error("quantization.w_bits: must be 2..16");
    if (opt.a_bits < 1 || opt.a_bits > 16) throw Error("quantization.a_bits: must be 1..16");
    const std::vector<InputStats> stats = calibrate_inputs(g, calib_images, opt);
    QuantModel qm;
    qm.graph = g;
    qm.layer_of_node.assign(g.nodes.size(), -1);
    std::vector<size_t> nodes;  // the weight layers' nodes, in graph order
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (is_weight_layer(g, g.nodes[i])) nodes.push_back(i);
    // Layers on every core: each is quantized on its own.
    qm.layers.resize(nodes.size());
    parallel_for(static_cast<int64_t>(nodes.size()), 0, [&](int64_t li) {
        const size_t i = nodes[static_cast<size_t>(li)];
        const Node& n = g.nodes[i];
        QuantLayer& layer = qm.layers[static_cast<size_t>(li)];
        layer.node = i;
        layer.name = n.name;
        quantize_weights_symmetric(float_weight_matrix(g, n), opt.w_bits, layer);
        if (n.op == OpKind::Conv || n.op == OpKind::ConvTranspose) {
            const Tensor& w = g.constant(weight_name(n));
            layer.kernel_h = w.dim(2);
            layer.kernel_w = w.dim(3);
        }
        set_input_scale(stats[static_cast<size_t>(li)], opt.a_bits, layer);
    });
    for (size_t li = 0; li < nodes.size(); ++li) qm.layer_of_node[nodes[li]] = static_cast<int>(li);
    return qm;
}

}  // namespace sparsecim
