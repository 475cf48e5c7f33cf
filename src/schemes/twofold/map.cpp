// twofold mapper: whole weights per crossbar (a weight's columns never straddle two crossbars),
// rows in order, the OU grid schedule, then per-op wordline/bitline gating from the LFSR mask.
#include "schemes/twofold/map.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "map/dense_mapper.hpp"
#include "schemes/twofold/quant.hpp"

namespace sparsecim {

std::vector<CodeColumn> twofold_code(int bits, int cell_bits, SignCode sign) {
    if (bits < 2 || bits > 16) throw Error("twofold code: bits must be 2..16");
    if (cell_bits < 1 || cell_bits > 8) throw Error("twofold code: cell_bits must be 1..8");
    std::vector<CodeColumn> cols;
    const int grouped = sign == SignCode::Column ? bits - 1 : bits;
    for (int lo = 0; lo < grouped; lo += cell_bits) {
        CodeColumn c;
        c.lo = lo;
        c.nbits = std::min(cell_bits, grouped - lo);
        c.shift = static_cast<int8_t>(lo);
        cols.push_back(c);
    }
    CodeColumn s;
    s.lo = bits - 1;
    s.nbits = 1;
    s.shift = static_cast<int8_t>(sign == SignCode::Column ? bits - 1 : bits);
    s.sign = -1;
    cols.push_back(s);
    return cols;
}

uint8_t twofold_cell(int32_t w, int bits, const CodeColumn& c) {
    return static_cast<uint8_t>((twos_code(w, bits) >> c.lo) & ((1u << c.nbits) - 1));
}

namespace {

std::string cell_state_name(int state, int cell_bits) {
    std::string s;
    for (int b = cell_bits - 1; b >= 0; --b) s += ((state >> b) & 1) ? '1' : '0';
    return s;
}

}  // namespace

Mapping map_twofold(const WeightMatrix& w, const LayerMask& mask, const TwofoldParams& p,
                    const HwConfig& hw) {
    const std::vector<CodeColumn> code = twofold_code(p.bits, hw.cell_bits, p.sign);
    const int cpw = static_cast<int>(code.size());
    if (cpw > hw.xbar_cols)
        throw Error(hw.source + ": crossbar.cols: " + std::to_string(hw.xbar_cols) +
                    " columns cannot hold one weight's " + std::to_string(cpw) + " columns");
    if (mask.keep.size() != w.w.size())
        throw Error(w.name + ": LFSR mask has " + std::to_string(mask.keep.size()) +
                    " entries, the layer " + std::to_string(w.w.size()));
    const int32_t lo = -(1 << (p.bits - 1)), hi = (1 << (p.bits - 1)) - 1;
    const int states = 1 << hw.cell_bits;
    std::vector<int64_t> code_hist(static_cast<size_t>(states), 0);
    for (size_t i = 0; i < w.w.size(); ++i) {
        const int32_t v = w.w[i];
        if (v < lo || v > hi)
            throw Error(w.name + ": weight " + std::to_string(v) + " does not fit in " +
                        std::to_string(p.bits) + "-bit two's complement");
        if (!mask.keep[i] && v != 0)
            throw Error(w.name + ": weight at (" + std::to_string(static_cast<int64_t>(i) / w.N) +
                        "," + std::to_string(static_cast<int64_t>(i) % w.N) +
                        ") is pruned by the LFSR mask but holds " + std::to_string(v) +
                        " (the layer was not pruned with these twofold parameters)");
        // The code's cells as the deck counts them: b bits in groups of cell_bits from bit 0.
        const uint32_t c = twos_code(v, p.bits);
        for (int b0 = 0; b0 < p.bits; b0 += hw.cell_bits)
            ++code_hist[(c >> b0) & static_cast<uint32_t>(states - 1)];
    }

    Mapping m = empty_mapping("twofold", w, hw.cell_bits);
    const bool gate = p.gating && mask.pruned > 0;
    int64_t grid_ops = 0, dropped_ops = 0, op_rows = 0, gated_rows = 0, op_cols = 0, gated_cols = 0;
    auto kept = [&](int64_t k, int64_t n) { return mask.keep[static_cast<size_t>(k * w.N + n)]; };

    const int64_t outs_per_xbar = hw.xbar_cols / cpw;
    for (int64_t k0 = 0; k0 < w.K; k0 += hw.xbar_rows) {
        const int rows = static_cast<int>(std::min<int64_t>(hw.xbar_rows, w.K - k0));
        for (int64_t n0 = 0; n0 < w.N; n0 += outs_per_xbar) {
            const int64_t nouts = std::min<int64_t>(outs_per_xbar, w.N - n0);
            const int cols = static_cast<int>(nouts * cpw);
            Tile t = empty_tile(hw.xbar_rows, hw.xbar_cols);
            for (int r = 0; r < rows; ++r)
                for (int64_t o = 0; o < nouts; ++o)
                    for (int c = 0; c < cpw; ++c)
                        t.cell(r, static_cast<int>(o * cpw + c)) = twofold_cell(
                            w.at(k0 + r, n0 + o), p.bits, code[static_cast<size_t>(c)]);
            // The full tables (every row and column live) first, as the dense grid uses them.
            t.inputs.resize(static_cast<size_t>(rows));
            for (int r = 0; r < rows; ++r)
                t.inputs[static_cast<size_t>(r)].k = static_cast<int32_t>(k0 + r);
            t.outputs.resize(static_cast<size_t>(cols));
            for (int64_t o = 0; o < nouts; ++o)
                for (int c = 0; c < cpw; ++c) {
                    ColOutput& co = t.outputs[static_cast<size_t>(o * cpw + c)];
                    co.n = static_cast<int32_t>(n0 + o);
                    co.shift = code[static_cast<size_t>(c)].shift;
                    co.sign = code[static_cast<size_t>(c)].sign;
                }
            Tile grid;
            add_grid_schedule(grid, rows, cols, hw);
            grid_ops += static_cast<int64_t>(grid.ops.size());
            for (const OuOp& op : grid.ops) {
                op_rows += op.rows;
                op_cols += op.cols;
            }
            if (!gate) {
                t.ops = std::move(grid.ops);
                m.tiles.push_back(std::move(t));
                continue;
            }
            for (OuOp op : grid.ops) {
                std::vector<uint8_t> row_live(op.rows, 0), col_live(op.cols, 0);
                for (int i = 0; i < op.rows; ++i)
                    for (int j = 0; j < op.cols; ++j) {
                        const int64_t k = k0 + op.r0 + i;
                        const int64_t n = t.outputs[static_cast<size_t>(op.c0 + j)].n;
                        if (kept(k, n))
                            row_live[static_cast<size_t>(i)] = col_live[static_cast<size_t>(j)] = 1;
                    }
                const int live_rows =
                    static_cast<int>(std::count(row_live.begin(), row_live.end(), uint8_t{1}));
                const int live_cols =
                    static_cast<int>(std::count(col_live.begin(), col_live.end(), uint8_t{1}));
                if (live_rows == 0 || live_cols == 0) {
                    ++dropped_ops;
                    gated_rows += op.rows;
                    gated_cols += op.cols;
                    continue;
                }
                gated_rows += op.rows - live_rows;
                gated_cols += op.cols - live_cols;
                if (live_rows < op.rows) {
                    const uint32_t ofs = static_cast<uint32_t>(t.inputs.size());
                    for (int i = 0; i < op.rows; ++i) {
                        RowInput ri = t.inputs[op.in_ofs + static_cast<size_t>(i)];
                        if (!row_live[static_cast<size_t>(i)]) ri.k = -1;
                        t.inputs.push_back(ri);
                    }
                    op.in_ofs = ofs;
                }
                if (live_cols < op.cols) {
                    const uint32_t ofs = static_cast<uint32_t>(t.outputs.size());
                    for (int j = 0; j < op.cols; ++j) {
                        ColOutput co = t.outputs[op.out_ofs + static_cast<size_t>(j)];
                        if (!col_live[static_cast<size_t>(j)]) co.n = -1;
                        t.outputs.push_back(co);
                    }
                    op.out_ofs = ofs;
                }
                t.ops.push_back(op);
            }
            m.tiles.push_back(std::move(t));
        }
    }

    m.figures["layer_weights"] = static_cast<double>(mask.size);
    m.figures["lfsr_pruned"] = static_cast<double>(mask.pruned);
    m.figures["lfsr_steps"] = static_cast<double>(mask.steps);
    m.figures["ou_grid_ops"] = static_cast<double>(grid_ops);
    m.figures["ou_ops_gated_off"] = static_cast<double>(dropped_ops);
    m.figures["op_rows"] = static_cast<double>(op_rows);
    m.figures["op_rows_gated"] = static_cast<double>(gated_rows);
    m.figures["op_cols"] = static_cast<double>(op_cols);
    m.figures["op_cols_gated"] = static_cast<double>(gated_cols);
    for (int s = 0; s < states; ++s)
        m.figures["code_cells_" + cell_state_name(s, hw.cell_bits)] =
            static_cast<double>(code_hist[static_cast<size_t>(s)]);
    if (gate) {
        const int64_t width = mask.lfsr.width;
        const int64_t xors = static_cast<int64_t>(mask.lfsr.taps.size()) - 1;
        m.units["lfsr_flipflop"] = width;
        if (xors > 0) m.units["lfsr_xor"] = xors;
        // Positions are processed one after another and the OU ops' gates come from the
        // mask in LFSR order, so the register replays the layer's sequence per output position.
        const int64_t steps = static_cast<int64_t>(mask.steps);
        m.events.push_back({"lfsr_flipflop", Mapping::EventRule::Per::Position, steps * width});
        if (xors > 0)
            m.events.push_back({"lfsr_xor", Mapping::EventRule::Per::Position, steps * xors});
        m.figures["lfsr_flipflops"] = static_cast<double>(width);
        m.figures["lfsr_seed_bits"] = static_cast<double>(width);
    }
    std::string taps;
    for (int tp : mask.lfsr.taps) taps += (taps.empty() ? "" : ",") + std::to_string(tp);
    if (mask.pruned > 0)
        m.notes.push_back("LFSR width " + std::to_string(mask.lfsr.width) + " taps [" + taps +
                          "] seed " + std::to_string(mask.lfsr.seed) + ": " +
                          std::to_string(mask.steps) + " steps prune " +
                          std::to_string(mask.pruned) + " of " + std::to_string(mask.size) +
                          (gate ? "; mask gates OU rows/columns" : "; stored as zero cells"));
    // No index storage: the mask is regenerated from the seed (index_bits stays empty).
    return m;
}

}  // namespace sparsecim
