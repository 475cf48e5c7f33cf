// Pattern pruning of one 3x3 conv layer's integer weights: every kernel (input channel c, output
// n) keeps the entries of one pattern from a small per-layer library, and whole kernels with the
// smallest L2 norm are removed (connectivity pruning). Patterns are 9-bit masks over the kernel
// positions ky*3+kx; the layer's rows are (c, ky, kx), so kernel (c, n) is rows c*9 .. c*9+8 of
// column n. The result lives in the WeightMatrix itself: keep = the kernel's pattern (all zero for
// a removed kernel), w = 0 outside it. The mapper reads the patterns back from `keep`.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/quant_model.hpp"
#include "schemes/pattern/pattern_params.hpp"

namespace sparsecim {

using PatternMask = uint16_t;  // bit q = kernel position q = ky*3 + kx

// The k positions of largest |v| (ties: lower position first).
PatternMask top_k_mask(const int32_t* v, int k);

// What pattern pruning did to one layer.
struct PatternPruneReport {
    std::vector<PatternMask> library;  // most frequent top-k masks first
    int64_t kernels = 0;               // kernels that exist (inside the conv's groups)
    int64_t kernels_removed = 0;       // by connectivity pruning or all zero after projection
    double connectivity = 0.0;         // fraction of kernels removed by connectivity pruning
    double retention = 0.0;  // squared L2 norm kept by the projection / kept by top-k masks
};

// Prunes a 3x3 conv layer in place (weights, keep). Throws Error unless the layer is 3x3.
PatternPruneReport pattern_prune_layer(QuantLayer& layer, const PatternParams& p);

}  // namespace sparsecim
