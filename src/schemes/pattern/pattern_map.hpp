// Pattern-block mapping of a pattern-pruned 3x3 conv layer. Kernels that share (input channel c,
// pattern p) form a pattern block: its rows are p's positions of channel c (rows c*9 + q of the
// WeightMatrix), its columns the outputs using it, each taking the encoding's columns per weight.
// Blocks are placed on crossbars by shelf packing (shelf_packing.hpp); per placed segment the
// tile's input table lists the pattern's rows (the input preprocessing unit's gather list) and
// the output table the outputs' columns (the output indexing unit's scatter addresses). Layers
// that are not 3x3 convolutions fall back to the dense mapping, with a note saying so.
#pragma once

#include <vector>

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "quant/quant_model.hpp"
#include "schemes/pattern/pattern_params.hpp"
#include "schemes/pattern/pattern_prune.hpp"

namespace sparsecim {

struct PatternBlock {
    int64_t c = 0;                 // input channel
    PatternMask mask = 0;          // the pattern (its kernel positions)
    std::vector<int32_t> outputs;  // output channels whose kernel of channel c has this pattern
};

// The pattern blocks of a 3x3 layer, read from the keep mask (kernels with no kept entry are
// absent), ordered by channel, then by pattern frequency in the layer.
std::vector<PatternBlock> pattern_blocks(const WeightMatrix& w);

Mapping map_pattern(const QuantLayer& layer, const HwConfig& hw, const PatternParams& p);

}  // namespace sparsecim
