// Dense baseline mapping: whole logical outputs per crossbar (outputs never straddle two
// crossbars), rows in order, OU grid schedule.
#include "map/dense_mapper.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "map/encoding.hpp"

namespace sparsecim {

void add_grid_schedule(Tile& tile, int used_rows, int used_cols, const HwConfig& hw) {
    for (int r0 = 0; r0 < used_rows; r0 += hw.ou_rows)
        for (int c0 = 0; c0 < used_cols; c0 += hw.ou_cols) {
            OuOp op;
            op.r0 = static_cast<uint16_t>(r0);
            op.rows = static_cast<uint16_t>(std::min(hw.ou_rows, used_rows - r0));
            op.c0 = static_cast<uint16_t>(c0);
            op.cols = static_cast<uint16_t>(std::min(hw.ou_cols, used_cols - c0));
            op.in_ofs = static_cast<uint32_t>(r0);
            op.out_ofs = static_cast<uint32_t>(c0);
            tile.ops.push_back(op);
        }
}

Mapping map_dense(const WeightMatrix& w, const HwConfig& hw) {
    const ColumnCode code = column_code(hw);
    const int cpo = static_cast<int>(code.columns.size());
    if (cpo > hw.xbar_cols)
        throw Error(hw.source + ": crossbar.cols: " + std::to_string(hw.xbar_cols) +
                    " columns cannot hold one weight's " + std::to_string(cpo) + " columns");
    Mapping m = empty_mapping("dense", w, hw.cell_bits);
    m.offset = code.offset;
    const int64_t outs_per_xbar = hw.xbar_cols / cpo;
    std::vector<uint8_t> states(static_cast<size_t>(cpo));
    for (int64_t k0 = 0; k0 < w.K; k0 += hw.xbar_rows) {
        const int rows = static_cast<int>(std::min<int64_t>(hw.xbar_rows, w.K - k0));
        for (int64_t n0 = 0; n0 < w.N; n0 += outs_per_xbar) {
            const int64_t nouts = std::min<int64_t>(outs_per_xbar, w.N - n0);
            const int cols = static_cast<int>(nouts * cpo);
            Tile t = empty_tile(hw.xbar_rows, hw.xbar_cols);
            t.inputs.resize(static_cast<size_t>(rows));
            for (int r = 0; r < rows; ++r)
                t.inputs[static_cast<size_t>(r)].k = static_cast<int32_t>(k0 + r);
            t.outputs.resize(static_cast<size_t>(cols));
            for (int64_t o = 0; o < nouts; ++o)
                for (int c = 0; c < cpo; ++c) {
                    ColOutput co = code.columns[static_cast<size_t>(c)];
                    co.n = static_cast<int32_t>(n0 + o);
                    t.outputs[static_cast<size_t>(o * cpo + c)] = co;
                }
            for (int r = 0; r < rows; ++r)
                for (int64_t o = 0; o < nouts; ++o) {
                    encode_weight(w.at(k0 + r, n0 + o), code, hw, states.data());
                    for (int c = 0; c < cpo; ++c)
                        t.cell(r, static_cast<int>(o * cpo + c)) = states[static_cast<size_t>(c)];
                }
            add_grid_schedule(t, rows, cols, hw);
            m.tiles.push_back(std::move(t));
        }
    }
    return m;
}

}  // namespace sparsecim
