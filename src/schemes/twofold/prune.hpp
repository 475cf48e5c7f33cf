// twofold's network-level pruning: per layer, an LFSR (width, taps, seed) names the weights to
// prune until the target sparsity is met. The mask is a pure function of the parameters, the
// layer's shape and its node index, so the hardware (and map()) regenerate it from the seed alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.hpp"
#include "schemes/twofold/lfsr.hpp"
#include "schemes/twofold/params.hpp"

namespace sparsecim {

// The register of one layer of `size` weights: width lfsr_width (0: lfsr_width_for(size)), taps
// lfsr_taps (empty: default_lfsr_taps), and a start state 1 + splitmix64(lfsr_seed, node) mod
// (2^w - 1). Throws Error naming --param twofold.lfsr_width when the width cannot address `size`.
LfsrSpec layer_lfsr(const TwofoldParams& p, uint64_t size, size_t node, const std::string& layer);

// Weights to prune in a layer of `size` weights: round(sparsity * size).
uint64_t pruned_count(uint64_t size, double sparsity);

struct LayerMask {
    std::vector<uint8_t> keep;  // K*N row-major: 1 = kept, 0 = pruned or outside the layer
    uint64_t size = 0;          // K * N
    uint64_t pruned = 0;
    uint64_t steps = 0;  // LFSR steps to regenerate the mask (incl. skipped indices >= size)
    LfsrSpec lfsr;
};

// The mask of a K x N layer: LFSR index i names position i of the K x N matrix in row-major
// (k, n) order, the order of the crossbar's cells; size = K * N. (A grouped conv's positions
// outside its groups' blocks are zeros the crossbar stores anyway: they count like weights.)
LayerMask lfsr_layer_mask(int64_t K, int64_t N, const TwofoldParams& p, size_t node,
                          const std::string& layer);

// Sets to zero the graph's weight-tensor elements of node `ni` whose K x N position has
// keep == 0 (the inverse of float_weight_matrix's flattening), so that float inference and
// calibration see the pruned network.
void zero_pruned_weights(Graph& g, size_t ni, const std::vector<uint8_t>& keep);

}  // namespace sparsecim
