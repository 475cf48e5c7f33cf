// Per-layer scaled symmetric quantization to b bits.
#include "schemes/twofold/quant.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "schemes/param_table.hpp"

namespace sparsecim {

uint32_t twos_code(int32_t w, int bits) {
    return static_cast<uint32_t>(w) & ((1u << bits) - 1);
}

int code_ones(int32_t w, int bits) {
    return std::popcount(twos_code(w, bits));
}

void scaled_quantize(const FloatMatrix& fm, const std::vector<uint8_t>& keep, int bits,
                     QuantLayer& layer) {
    if (bits < 2 || bits > 16) param_error("twofold", "bits", "must be an integer in 2..16");
    if (keep.size() != fm.w.size())
        throw Error(layer.name + ": mask has " + std::to_string(keep.size()) +
                    " entries, the layer " + std::to_string(fm.w.size()));
    const int32_t qmax = (1 << (bits - 1)) - 1;
    float s = 0.0f;
    for (size_t i = 0; i < fm.w.size(); ++i)
        if (keep[i]) s = std::max(s, std::fabs(fm.w[i]));
    if (s == 0.0f) s = 1.0f;  // nothing kept, or all zero: any scale reproduces the zeros
    layer.weights = WeightMatrix(layer.name, fm.K, fm.N, bits);
    layer.weights.groups = fm.groups;
    layer.w_scale.assign(static_cast<size_t>(fm.N), s / static_cast<float>(qmax));
    layer.bias = fm.bias;
    for (size_t i = 0; i < fm.w.size(); ++i) {
        layer.weights.keep[i] = keep[i];
        if (!keep[i]) continue;
        const long q = std::lround(fm.w[i] / s * static_cast<float>(qmax));
        layer.weights.w[i] = static_cast<int32_t>(std::clamp<long>(q, -qmax, qmax));
    }
}

}  // namespace sparsecim
