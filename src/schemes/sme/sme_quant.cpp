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
    if (p.budget > 0) sme_drop_to_budget(w, layer.w_scale, p);
}

int64_t sme_drop_to_budget(WeightMatrix& w, const std::vector<float>& scale, const SmeParams& p) {
    const int P = w.w_bits;
    const int64_t R = p.group_rows, C = p.group_outputs;
    const int64_t room = static_cast<int64_t>(p.budget) * R;
    // The largest |w| of each scale group (a column, or the layer) sets the grid's scale: its
    // bits are never dropped, so quantizing the result again finds the same scale and the same
    // integers (prepare is idempotent, as finetuning's contract needs).
    std::vector<int64_t> argmax(static_cast<size_t>(w.N), -1);  // per column: flat index of its max
    int64_t layer_arg = -1;
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t n = 0; n < w.N; ++n) {
            const size_t i = static_cast<size_t>(k * w.N + n);
            auto bigger = [&](int64_t at) {
                return at < 0 || std::abs(w.w[i]) > std::abs(w.w[static_cast<size_t>(at)]);
            };
            if (bigger(argmax[static_cast<size_t>(n)]))
                argmax[static_cast<size_t>(n)] = static_cast<int64_t>(i);
            if (bigger(layer_arg)) layer_arg = static_cast<int64_t>(i);
        }
    auto is_argmax = [&](int64_t k, int64_t n) {
        return k * w.N + n == (p.scale == "layer" ? layer_arg : argmax[static_cast<size_t>(n)]);
    };
    struct Pair {
        double cost = 0.0;  // squared weight the pair's bits carry
        int64_t k = 0;
        int q = 0;
    };
    int64_t dropped = 0;
    for (int64_t k0 = 0; k0 < w.K; k0 += R)
        for (int64_t n0 = 0; n0 < w.N; n0 += C) {
            const int64_t k1 = std::min(w.K, k0 + R), n1 = std::min(w.N, n0 + C);
            std::vector<Pair> pairs;
            int64_t total = 0;
            for (int64_t k = k0; k < k1; ++k)
                for (int q = 0; q < P; ++q) {
                    Pair pr{0.0, k, q};
                    bool any = false, fixed = false;
                    for (int64_t n = n0; n < n1; ++n) {
                        const auto mag = static_cast<uint32_t>(std::abs(w.at(k, n)));
                        if (!((mag >> q) & 1u)) continue;
                        any = true;
                        fixed = fixed || is_argmax(k, n);
                        const double v = std::ldexp(1.0, q) * scale[static_cast<size_t>(n)];
                        pr.cost += v * v;
                    }
                    total += any;
                    if (any && !fixed) pairs.push_back(pr);
                }
            if (total <= room) continue;
            std::stable_sort(pairs.begin(), pairs.end(),
                             [](const Pair& a, const Pair& b) { return a.cost < b.cost; });
            for (size_t d = 0; d < pairs.size() && total > room; ++d, --total, ++dropped)
                for (int64_t n = n0; n < n1; ++n) {
                    int32_t& v = w.w[static_cast<size_t>(pairs[d].k * w.N + n)];
                    const int32_t mag = std::abs(v) & ~(int32_t{1} << pairs[d].q);
                    v = v < 0 ? -mag : mag;
                }
        }
    return dropped;
}

QuantModel sme_quantize(const Graph& g, const Tensor& calib, const QuantOptions& opt,
                        const SmeParams& p) {
    QuantModel qm = quantize(g, calib, opt);
    for (QuantLayer& L : qm.layers)
        sme_requantize_layer(L, float_weight_matrix(qm.graph, qm.graph.nodes[L.node]), p);
    return qm;
}

}  // namespace sparsecim
