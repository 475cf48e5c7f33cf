// Row-block magnitude pruning (deck 000): in each row of a layer's K x N weight matrix, beta
// consecutive logical columns form a block; blocks with the smallest L2 norm of their real-valued
// weights (integer weight x per-column scale) are zeroed until the target fraction of zero
// weights is reached, per layer or with one ranking over all layers.
#pragma once

#include <cstdint>

#include "quant/quant_model.hpp"

namespace sparsecim {

struct BlockPruneResult {
    int64_t blocks_pruned = 0;   // blocks zeroed that still held a non-zero weight
    int64_t weights_zeroed = 0;  // non-zero weights set to zero
};

// Prunes `qm` in place (weights set to 0, keep-mask cleared on every pruned block). `sparsity` is
// the target fraction of zero weights among the weight positions (a grouped layer's structural
// zeros are none), counting zeros the quantizer already produced; `global` ranks the blocks of all
// layers together. Layers marked exempt are left alone (and out of the global ranking).
// Deterministic: ties are broken by layer, row, block.
BlockPruneResult prune_row_blocks(QuantModel& qm, int beta, double sparsity, bool global);

}  // namespace sparsecim
