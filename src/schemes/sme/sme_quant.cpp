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
    if (p.scale == "layer") {
        double mx = 0.0;
        for (int64_t k = 0; k < w.K; ++k)
            for (int64_t n = 0; n < w.N; ++n)
                if (w.keep[static_cast<size_t>(k * w.N + n)])
                    mx = std::max(mx, std::fabs(real(static_cast<size_t>(k * w.N + n), n)));
        const double qmax = static_cast<double>((1 << mag_bits) - 1);
        const float s = mx > 0.0 ? static_cast<float>(mx / qmax) : 1.0f;
        std::vector<double> reals(w.w.size());
        for (int64_t k = 0; k < w.K; ++k)
            for (int64_t n = 0; n < w.N; ++n)
                reals[static_cast<size_t>(k * w.N + n)] = real(static_cast<size_t>(k * w.N + n), n);
        layer.w_scale.assign(static_cast<size_t>(w.N), s);
        for (size_t i = 0; i < w.w.size(); ++i) {
            const auto m = static_cast<int32_t>(
                w.keep[i] ? sme_nearest(std::fabs(reals[i]) / static_cast<double>(s), levels) : 0);
            w.w[i] = reals[i] < 0.0 ? -m : m;
        }
        return;
    }
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t n = 0; n < w.N; ++n) {
            const size_t i = static_cast<size_t>(k * w.N + n);
            if (!w.keep[i]) {
                w.w[i] = 0;
                continue;
            }
            const double r = real(i, n);
            const double v = std::fabs(r) / layer.w_scale[static_cast<size_t>(n)];
            const auto m = static_cast<int32_t>(sme_nearest(v, levels));
            w.w[i] = r < 0.0 ? -m : m;
        }
}

QuantModel sme_quantize(const Graph& g, const Tensor& calib, const QuantOptions& opt,
                        const SmeParams& p) {
    QuantModel qm = quantize(g, calib, opt);
    for (QuantLayer& L : qm.layers)
        sme_requantize_layer(L, float_weight_matrix(qm.graph, qm.graph.nodes[L.node]), p);
    return qm;
}

}  // namespace sparsecim
