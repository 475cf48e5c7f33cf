// The dense baseline mapper: every weight stored, bit-sliced across adjacent columns, the
// K x (N * columns per weight) matrix cut into crossbars, each crossbar into OUs; every OU op is
// issued for every input bit-plane (nothing skipped).
#pragma once

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "model/weight_matrix.hpp"

namespace sparsecim {

Mapping map_dense(const WeightMatrix& w, const HwConfig& hw);

// Appends the row-band x column-group OU schedule of a tile whose first `used_rows` rows and
// `used_cols` columns are occupied, with one input table entry per row (offset = row) and one
// output table entry per column (offset = column). Schemes that keep the dense schedule reuse it.
void add_grid_schedule(Tile& tile, int used_rows, int used_cols, const HwConfig& hw);

}  // namespace sparsecim
