// Dense baseline mapping: whole logical outputs per crossbar (outputs never straddle two
// crossbars), rows in order, OU grid schedule; a grouped layer's diagonal blocks packed along the
// crossbars' diagonals, each with its own OU grid.
#include "map/dense_mapper.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "map/encoding.hpp"
#include "map/ou_grid.hpp"

namespace sparsecim {

void add_block_schedule(Tile& tile, int r0, int rows, int c0, int cols, const HwConfig& hw) {
    add_ou_grid(tile,
                OuBlock{r0, rows, c0, cols, static_cast<uint32_t>(r0), static_cast<uint32_t>(c0)},
                hw);
}

void add_grid_schedule(Tile& tile, int used_rows, int used_cols, const HwConfig& hw) {
    add_block_schedule(tile, 0, used_rows, 0, used_cols, hw);
}

std::vector<DensePiece> dense_pieces(const WeightMatrix& w, int64_t xbar_rows,
                                     int64_t outs_per_xbar) {
    if (std::string problem = w.groups_problem(); !problem.empty()) throw Error(problem);
    if (xbar_rows < 1 || outs_per_xbar < 1)
        throw Error(w.name + ": a crossbar of " + std::to_string(xbar_rows) + " rows and " +
                    std::to_string(outs_per_xbar) + " outputs holds no weight");
    std::vector<DensePiece> pieces;
    const int64_t gk = w.group_rows(), gn = w.group_cols();
    int64_t tile = -1, rows_used = 0, outs_used = 0;
    for (int64_t g = 0; g < w.groups; ++g)
        for (int64_t k0 = g * gk; k0 < (g + 1) * gk; k0 += xbar_rows) {
            const int64_t rows = std::min(xbar_rows, (g + 1) * gk - k0);
            for (int64_t n0 = g * gn; n0 < (g + 1) * gn; n0 += outs_per_xbar) {
                const int64_t outs = std::min(outs_per_xbar, (g + 1) * gn - n0);
                if (tile < 0 || rows_used + rows > xbar_rows || outs_used + outs > outs_per_xbar) {
                    ++tile;
                    rows_used = outs_used = 0;
                }
                pieces.push_back({tile, k0, n0, rows, outs, rows_used, outs_used});
                rows_used += rows;
                outs_used += outs;
            }
        }
    return pieces;
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
    const std::vector<DensePiece> pieces = dense_pieces(w, hw.xbar_rows, outs_per_xbar);
    std::vector<uint8_t> states(static_cast<size_t>(cpo));
    for (const DensePiece& p : pieces) {
        if (p.tile == static_cast<int64_t>(m.tiles.size()))
            m.tiles.push_back(empty_tile(hw.xbar_rows, hw.xbar_cols));
        Tile& t = m.tiles.back();
        const int r0 = static_cast<int>(p.r0), rows = static_cast<int>(p.rows);
        const int c0 = static_cast<int>(p.o0 * cpo), cols = static_cast<int>(p.outs * cpo);
        // The tables are indexed by physical row and column; the pieces fill them in order.
        t.inputs.resize(static_cast<size_t>(r0 + rows));
        for (int r = 0; r < rows; ++r)
            t.inputs[static_cast<size_t>(r0 + r)].k = static_cast<int32_t>(p.k0 + r);
        t.outputs.resize(static_cast<size_t>(c0 + cols));
        for (int64_t o = 0; o < p.outs; ++o)
            for (int c = 0; c < cpo; ++c) {
                ColOutput co = code.columns[static_cast<size_t>(c)];
                co.n = static_cast<int32_t>(p.n0 + o);
                t.outputs[static_cast<size_t>(c0 + o * cpo + c)] = co;
            }
        for (int r = 0; r < rows; ++r)
            for (int64_t o = 0; o < p.outs; ++o) {
                encode_weight(w.at(p.k0 + r, p.n0 + o), code, hw, states.data());
                for (int c = 0; c < cpo; ++c)
                    t.cell(r0 + r, static_cast<int>(c0 + o * cpo + c)) =
                        states[static_cast<size_t>(c)];
            }
        add_block_schedule(t, r0, rows, c0, cols, hw);
    }
    if (w.groups > 1 && !pieces.empty()) {
        const int64_t whole =
            ((w.K + hw.xbar_rows - 1) / hw.xbar_rows) * ((w.N + outs_per_xbar - 1) / outs_per_xbar);
        m.notes.push_back(
            std::to_string(w.groups) + " groups of " + std::to_string(w.group_rows()) + " x " +
            std::to_string(w.group_cols()) + " weights packed along crossbar diagonals: " +
            std::to_string(m.tiles.size()) + " crossbars (the whole " + std::to_string(w.K) +
            " x " + std::to_string(w.N) + " matrix: " + std::to_string(whole) + ")");
    }
    return m;
}

}  // namespace sparsecim
