#include "map/ou_grid.hpp"

#include <algorithm>

namespace sparsecim {

OuOp ou_op(int64_t r0, int64_t rows, int64_t c0, int64_t cols, uint32_t in_ofs, uint32_t out_ofs) {
    OuOp op;
    op.r0 = static_cast<uint16_t>(r0);
    op.rows = static_cast<uint16_t>(rows);
    op.c0 = static_cast<uint16_t>(c0);
    op.cols = static_cast<uint16_t>(cols);
    op.in_ofs = in_ofs;
    op.out_ofs = out_ofs;
    return op;
}

void add_ou_grid(Tile& tile, const OuBlock& b, const HwConfig& hw) {
    for (int i = 0; i < b.rows; i += hw.ou_rows)
        for (int j = 0; j < b.cols; j += hw.ou_cols)
            tile.ops.push_back(ou_op(b.r0 + i, std::min(hw.ou_rows, b.rows - i), b.c0 + j,
                                     std::min(hw.ou_cols, b.cols - j),
                                     b.in_ofs + static_cast<uint32_t>(i),
                                     b.out_ofs + static_cast<uint32_t>(j)));
}

}  // namespace sparsecim
