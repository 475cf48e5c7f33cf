// The OU grid: how every mapper cuts a rectangle of a crossbar into operation units. One helper
// builds an op and one builds the row-band x column-group schedule of a block, so the OU shape
// and the op encoding are decided in one place for the dense, sme, pattern and twofold mappers
// (csr issues its own row-first order of single ops through ou_op).
#pragma once

#include <cstdint>

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"

namespace sparsecim {

// A rectangle of a tile, rows [r0, r0 + rows) x columns [c0, c0 + cols), whose rows read
// tile.inputs from in_ofs and whose columns write tile.outputs from out_ofs (row r0 + i uses
// entry in_ofs + i, column c0 + j entry out_ofs + j).
struct OuBlock {
    int r0 = 0, rows = 0, c0 = 0, cols = 0;
    uint32_t in_ofs = 0, out_ofs = 0;
};

// One OU op over rows [r0, r0 + rows) x columns [c0, c0 + cols) with its table offsets.
OuOp ou_op(int64_t r0, int64_t rows, int64_t c0, int64_t cols, uint32_t in_ofs, uint32_t out_ofs);

// Appends the block's OU schedule to tile.ops: row bands of hw.ou_rows outer, column groups of
// hw.ou_cols inner, the last band and group cut to what remains.
void add_ou_grid(Tile& tile, const OuBlock& block, const HwConfig& hw);

}  // namespace sparsecim
