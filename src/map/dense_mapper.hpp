// The dense baseline mapper: every weight stored, bit-sliced across adjacent columns, the
// K x (N * columns per weight) matrix cut into crossbars, each crossbar into OUs; every OU op is
// issued for every input bit-plane (nothing skipped). A grouped or depthwise layer stores only its
// diagonal blocks (the weights), packed diagonally, never its structural zeros.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "model/weight_matrix.hpp"

namespace sparsecim {

Mapping map_dense(const WeightMatrix& w, const HwConfig& hw);

// One rectangle of weights the dense mapper stores whole in one crossbar: rows [k0, k0 + rows) x
// outputs [n0, n0 + outs), at physical row r0 and output slot o0 (columns from o0 x columns per
// weight) of crossbar `tile`.
struct DensePiece {
    int64_t tile = 0;
    int64_t k0 = 0, n0 = 0;
    int64_t rows = 0, outs = 0;
    int64_t r0 = 0, o0 = 0;
};

// The dense layout on crossbars of `xbar_rows` rows and `outs_per_xbar` whole outputs. Each
// diagonal block of `w` (the whole matrix when groups = 1) is cut into pieces of at most
// xbar_rows rows x outs_per_xbar outputs (row bands outer, output groups inner), and the pieces
// are placed next-fit along the diagonal: a piece goes below and to the right of the previous one
// while both its rows and its outputs still fit, else it opens the next crossbar. With groups = 1
// every piece has a crossbar of its own, at (0, 0). Throws Error when w.groups does not divide
// the matrix.
std::vector<DensePiece> dense_pieces(const WeightMatrix& w, int64_t xbar_rows,
                                     int64_t outs_per_xbar);

// Appends the row-band x column-group OU schedule of the rectangle rows [r0, r0 + rows) x columns
// [c0, c0 + cols) of a tile, whose input and output tables are indexed by physical row and column
// (in_ofs = row, out_ofs = column).
void add_block_schedule(Tile& tile, int r0, int rows, int c0, int cols, const HwConfig& hw);

// The same for a tile whose first `used_rows` rows and `used_cols` columns are occupied, with one
// input table entry per row (offset = row) and one output table entry per column (offset =
// column). Schemes that keep the dense schedule reuse it.
void add_grid_schedule(Tile& tile, int used_rows, int used_cols, const HwConfig& hw);

}  // namespace sparsecim
