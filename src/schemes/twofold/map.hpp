// twofold's mapping: b-bit two's complement weights on multi-bit cells. The low bits go in
// groups of cell_bits into adjacent columns (a 2-bit cell holds a bit pair: state 00..11); the
// sign bit needs a column of its own, because a cell cannot weigh one of its bits negatively:
//   SignCode::Column: bits 0..b-2 in groups, bit b-1 alone in a column weighted -2^(b-1);
//   SignCode::Plane:  bits 0..b-1 in groups (the top group unsigned), plus a sign-plane column
//                     holding bit b-1 weighted -2^b (w = unsigned code - 2^b * sign bit).
// With gating, the LFSR-regenerated mask switches off, per OU op, the wordlines whose weights in
// that OU are all pruned and the bitlines whose weights are all pruned; an OU op with nothing
// left is not issued. The mask costs no index bits, only LFSR steps (Mapping::events).
#pragma once

#include <cstdint>
#include <vector>

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "model/weight_matrix.hpp"
#include "schemes/twofold/params.hpp"
#include "schemes/twofold/prune.hpp"

namespace sparsecim {

struct CodeColumn {
    int lo = 0;     // lowest code bit the column's cell holds
    int nbits = 1;  // code bits the cell holds (<= cell_bits)
    int8_t shift = 0;
    int8_t sign = 1;
};

// The physical columns of one weight, low bits first. Throws Error for bits < 2 or cell_bits < 1.
std::vector<CodeColumn> twofold_code(int bits, int cell_bits, SignCode sign);

// Cell state of weight w (b-bit two's complement) in column `c`.
uint8_t twofold_cell(int32_t w, int bits, const CodeColumn& c);

// Maps a layer whose pruned positions are `mask.keep == 0`. Throws Error when a weight does not
// fit in `bits` or a pruned position holds a non-zero weight.
Mapping map_twofold(const WeightMatrix& w, const LayerMask& mask, const TwofoldParams& p,
                    const HwConfig& hw);

}  // namespace sparsecim
