// Windowed power-of-two quantization: a table of representable magnitudes and a nearest search.
#include "schemes/sme/sme_quant.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/error.hpp"

namespace sparsecim {

bool sme_representable(uint32_t m, int S) {
    if (m == 0) return true;
    const int lo = std::countr_zero(m);
    const int hi = 31 - std::countl_zero(m);
    return hi - lo < S;
}

std::vector<uint32_t> sme_levels(int S, int mag_bits) {
    if (S < 1) throw Error("sme: window size S must be at least 1");
    if (mag_bits < 1 || mag_bits > 30) throw Error("sme: magnitude bits must be 1..30");
    std::vector<uint32_t> levels;
    const uint32_t top = (uint32_t{1} << mag_bits) - 1;
    for (uint32_t m = 0; m <= top; ++m)
        if (sme_representable(m, S)) levels.push_back(m);
    return levels;
}

uint32_t sme_nearest(double v, const std::vector<uint32_t>& levels) {
    if (!(v >= 0.0)) return 0;  // negative or NaN: the caller passes magnitudes
    const auto it = std::lower_bound(levels.begin(), levels.end(), v, [](uint32_t l, double x) {
        return static_cast<double>(l) < x;
    });
    if (it == levels.end()) return levels.back();
    if (it == levels.begin()) return *it;
    const uint32_t hi = *it, lo = *(it - 1);
    return (static_cast<double>(hi) - v) <= (v - static_cast<double>(lo)) ? hi : lo;
}

uint32_t sme_round(double v, int S, int mag_bits) {
    return sme_nearest(v, sme_levels(S, mag_bits));
}

void sme_requantize_layer(QuantLayer& layer, const FloatMatrix& fm, const SmeParams& p) {
    WeightMatrix& w = layer.weights;
    if (fm.K != w.K || fm.N != w.N)
        throw Error(layer.name + ": sme: float weights are " + std::to_string(fm.K) + "x" +
                    std::to_string(fm.N) + " but the quantized layer is " + std::to_string(w.K) +
                    "x" + std::to_string(w.N));
    const int mag_bits = w.w_bits - 1;  // symmetric PTQ: |w| <= 2^(w_bits-1) - 1
    const std::vector<uint32_t> levels = sme_levels(p.S, mag_bits);
    // The real weight the window rounds: the float weight, or the int8 PTQ weight times its scale.
    auto real = [&](size_t i, int64_t n) {
        return p.source == "float"
                   ? static_cast<double>(fm.w[i])
                   : static_cast<double>(w.w[i]) * layer.w_scale[static_cast<size_t>(n)];
    };
    // The grid's scale per group (a column, or the whole layer): its largest kept |w| goes to
    // the top representable window level (range=window), or to 2^(w_bits-1)-1 as in int8 PTQ
    // (range=int8), where the window's top level (112 for S=3) then clips it.
    const double top = p.range == "window" ? static_cast<double>(levels.back())
                                           : static_cast<double>((1 << mag_bits) - 1);
    std::vector<double> reals(w.w.size());
    std::vector<double> group_max(p.scale == "layer" ? 1 : static_cast<size_t>(w.N), 0.0);
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t n = 0; n < w.N; ++n) {
            const size_t i = static_cast<size_t>(k * w.N + n);
            reals[i] = real(i, n);
            double& mx = group_max[p.scale == "layer" ? 0 : static_cast<size_t>(n)];
            if (w.keep[i]) mx = std::max(mx, std::fabs(reals[i]));
        }
    std::vector<float> scale(static_cast<size_t>(w.N));
    for (size_t n = 0; n < scale.size(); ++n) {
        const double mx = group_max[p.scale == "layer" ? 0 : n];
        // range=int8 per column is the int8 PTQ grid itself, so its scale is kept bit for bit; a
        // group with no kept weight keeps the PTQ scale too (its weights are all 0).
        const bool ptq_grid = p.range == "int8" && p.scale == "channel";
        scale[n] = mx > 0.0 && !ptq_grid ? static_cast<float>(mx / top) : layer.w_scale[n];
    }
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t n = 0; n < w.N; ++n) {
            const size_t i = static_cast<size_t>(k * w.N + n);
            const double v =
                std::fabs(reals[i]) / static_cast<double>(scale[static_cast<size_t>(n)]);
            const auto m = static_cast<int32_t>(w.keep[i] ? sme_nearest(v, levels) : 0);
            w.w[i] = reals[i] < 0.0 ? -m : m;
        }
    layer.w_scale = std::move(scale);
}

QuantModel sme_quantize(const Graph& g, const Tensor& calib, const QuantOptions& opt,
                        const SmeParams& p) {
    QuantModel qm = quantize(g, calib, opt);
    for (QuantLayer& L : qm.layers)
        sme_requantize_layer(L, float_weight_matrix(qm.graph, qm.graph.nodes[L.node]), p);
    return qm;
}

}  // namespace sparsecim
