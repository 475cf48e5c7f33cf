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
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t n = 0; n < w.N; ++n) {
            const size_t i = static_cast<size_t>(k * w.N + n);
            if (!w.keep[i]) {
                w.w[i] = 0;
                continue;
            }
            double v = 0.0;
            bool negative = false;
            if (p.source == "float") {
                const double s = layer.w_scale[static_cast<size_t>(n)];
                v = std::fabs(static_cast<double>(fm.w[i])) / s;
                negative = fm.w[i] < 0.0f;
            } else {
                v = std::abs(static_cast<double>(w.w[i]));
                negative = w.w[i] < 0;
            }
            const auto m = static_cast<int32_t>(sme_nearest(v, levels));
            w.w[i] = negative ? -m : m;
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
