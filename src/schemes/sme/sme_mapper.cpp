// Bit slicing per crossbar group (one row block x one column block of the weight matrix, all
// bit planes), then squeeze-out inside the group. Physical rows of a crossbar are ordered by input
// shift, and the OU schedule cuts row bands at shift boundaries, so every OU op has one shift.
#include "schemes/sme/sme_mapper.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <map>

#include "core/error.hpp"
#include "map/ou_grid.hpp"

namespace sparsecim {

namespace {

struct PhysRow {
    int32_t k = 0;  // source row of the weight matrix (the input that feeds it)
    int plane = 0;  // source bit plane
    int shift = 0;  // plane - crossbar base: the input is weighted by 2^shift
};

// One crossbar of a group: its base plane (the column shift) and its physical rows in order.
struct Xbar {
    int base = 0;
    std::vector<PhysRow> rows;
};

std::string plane_key(int p, const char* what) {
    return "plane" + std::to_string(p) + "_" + what;
}

// Builds the tile of crossbar `x` holding outputs [n0, n0 + nouts) as W+/W- column pairs, and
// its OU schedule (row bands of one shift x column groups). Shifts go to the row inputs, or with
// `shift_at_output` to per-shift copies of the output table.
Tile build_tile(const WeightMatrix& w, int64_t n0, int64_t nouts, const Xbar& x, const HwConfig& hw,
                bool shift_at_output) {
    Tile t = empty_tile(hw.xbar_rows, hw.xbar_cols);
    const int used_cols = static_cast<int>(2 * nouts);
    for (size_t i = 0; i < x.rows.size(); ++i) {
        const PhysRow& pr = x.rows[i];
        RowInput ri;
        ri.k = pr.k;
        ri.shift = static_cast<int8_t>(shift_at_output ? 0 : pr.shift);
        t.inputs.push_back(ri);
        for (int64_t o = 0; o < nouts; ++o) {
            const int32_t v = w.at(pr.k, n0 + o);
            const uint32_t mag = static_cast<uint32_t>(std::abs(v));
            t.cell(static_cast<int>(i), static_cast<int>(2 * o + (v < 0 ? 1 : 0))) =
                static_cast<uint8_t>((mag >> pr.plane) & 1u);
        }
    }
    // Output tables: one per distinct shift when the shift is applied at the output.
    std::map<int, uint32_t> table_of_shift;
    auto add_table = [&](int shift) {
        table_of_shift[shift] = static_cast<uint32_t>(t.outputs.size());
        for (int64_t o = 0; o < nouts; ++o)
            for (int8_t sign : {int8_t{1}, int8_t{-1}}) {
                ColOutput co;
                co.n = static_cast<int32_t>(n0 + o);
                co.shift = static_cast<int8_t>(x.base + shift);
                co.sign = sign;
                t.outputs.push_back(co);
            }
    };
    add_table(0);
    const int rows = static_cast<int>(x.rows.size());
    for (int seg0 = 0; seg0 < rows;) {
        const int shift = x.rows[static_cast<size_t>(seg0)].shift;
        int seg1 = seg0;
        while (seg1 < rows && x.rows[static_cast<size_t>(seg1)].shift == shift) ++seg1;
        if (shift_at_output && !table_of_shift.count(shift)) add_table(shift);
        const uint32_t out_base = shift_at_output ? table_of_shift[shift] : 0;
        add_ou_grid(
            t, OuBlock{seg0, seg1 - seg0, 0, used_cols, static_cast<uint32_t>(seg0), out_base}, hw);
        seg0 = seg1;
    }
    return t;
}

}  // namespace

Mapping map_sme(const WeightMatrix& w, const HwConfig& hw, const SmeParams& p, bool in_signed) {
    if (hw.xbar_cols < 2)
        throw Error(hw.source + ": crossbar.cols: sme needs at least 2 columns (a W+/W- pair)");
    Mapping m = empty_mapping("sme", w, hw.cell_bits);
    // Planes 0 .. w_bits-1: magnitudes up to 2^w_bits - 1 (PTQ keeps them below 2^(w_bits-1), so
    // the top plane is empty and never gets a crossbar).
    const int P = w.w_bits;
    for (int32_t v : w.w)
        if (static_cast<uint32_t>(std::abs(static_cast<int64_t>(v))) >= (uint64_t{1} << P))
            throw Error(w.name + ": sme: weight " + std::to_string(v) + " does not fit in " +
                        std::to_string(P) + " magnitude bits");
    const bool squeeze = p.squeeze && !(in_signed && p.signed_inputs == "skip");
    const bool shift_at_output = p.shift_at == "output";
    if (p.squeeze && !squeeze)
        m.notes.push_back("signed inputs: squeeze-out skipped (sme.signed_inputs=skip)");
    if (hw.cell_bits != 1)
        m.notes.push_back("cell_bits " + std::to_string(hw.cell_bits) +
                          ": sme stores one weight bit per cell");
    if (hw.encoding != Encoding::Differential)
        m.notes.push_back(std::string("encoding ") + encoding_name(hw.encoding) +
                          " ignored: sme stores sign and magnitude as W+/W- column pairs");

    const int R = hw.xbar_rows;
    const int64_t outs_per_xbar = hw.xbar_cols / 2;
    if (p.budget > 0 && (p.group_rows != R || p.group_outputs != outs_per_xbar))
        m.notes.push_back("sme.budget groups are " + std::to_string(p.group_rows) + " x " +
                          std::to_string(p.group_outputs) + " but the crossbar holds " +
                          std::to_string(R) + " x " + std::to_string(outs_per_xbar) +
                          ": the budget of " + std::to_string(p.budget) +
                          " crossbars per group may not hold");
    // Row index entry of a squeezed physical row: its source row within the row block and its
    // shift (source plane - base plane).
    const int row_bits =
        std::max(1, static_cast<int>(std::bit_width(static_cast<unsigned>(R - 1))));
    const int shift_bits =
        std::max(1, static_cast<int>(std::bit_width(static_cast<unsigned>(P - 1))));
    for (int q = 0; q < P; ++q) {
        m.figures[plane_key(q, "rows")] = 0;
        m.figures[plane_key(q, "nonempty_rows")] = 0;
    }
    double sliced = 0, moved = 0, shift_sum = 0;
    int64_t shifted_rows = 0, row_index_bits = 0, output_shift_events = 0, output_shifters = 0;

    for (int64_t k0 = 0; k0 < w.K; k0 += R) {
        const int rows = static_cast<int>(std::min<int64_t>(R, w.K - k0));
        for (int64_t n0 = 0; n0 < w.N; n0 += outs_per_xbar) {
            const int64_t nouts = std::min<int64_t>(outs_per_xbar, w.N - n0);
            // Non-empty rows of each plane within this group's columns.
            std::vector<std::vector<int>> ne(static_cast<size_t>(P));
            for (int r = 0; r < rows; ++r) {
                uint32_t any = 0;
                for (int64_t o = 0; o < nouts; ++o)
                    any |= static_cast<uint32_t>(std::abs(w.at(k0 + r, n0 + o)));
                for (int q = 0; q < P; ++q)
                    if ((any >> q) & 1u) ne[static_cast<size_t>(q)].push_back(r);
            }
            std::vector<int> live;  // non-empty planes, ascending
            int64_t total = 0;
            for (int q = 0; q < P; ++q) {
                m.figures[plane_key(q, "rows")] += rows;
                m.figures[plane_key(q, "nonempty_rows")] +=
                    static_cast<double>(ne[static_cast<size_t>(q)].size());
                if (!ne[static_cast<size_t>(q)].empty()) {
                    live.push_back(q);
                    total += static_cast<int64_t>(ne[static_cast<size_t>(q)].size());
                }
            }
            sliced += static_cast<double>(live.size());
            std::vector<Xbar> xbars;
            if (!squeeze) {
                for (int q : live) {
                    Xbar x;
                    x.base = q;
                    for (int r = 0; r < rows; ++r)
                        x.rows.push_back(PhysRow{static_cast<int32_t>(k0 + r), q, 0});
                    xbars.push_back(std::move(x));
                }
            } else {
                // Keep the lowest `keep` non-empty planes, the fewest that hold every non-empty
                // row; the rows of the planes above move into their free rows, the highest kept
                // plane filled first (smallest shifts).
                const size_t keep = std::min(live.size(), static_cast<size_t>((total + R - 1) / R));
                std::vector<int> free_rows;
                for (size_t b = 0; b < keep; ++b) {
                    Xbar x;
                    x.base = live[b];
                    for (int r : ne[static_cast<size_t>(live[b])])
                        x.rows.push_back(PhysRow{static_cast<int32_t>(k0 + r), live[b], 0});
                    free_rows.push_back(R - static_cast<int>(x.rows.size()));
                    xbars.push_back(std::move(x));
                }
                size_t b = keep;  // one past the crossbar being filled
                for (size_t d = keep; d < live.size(); ++d) {
                    const int q = live[d];
                    for (int r : ne[static_cast<size_t>(q)]) {
                        while (b > 0 && free_rows[b - 1] == 0) --b;
                        if (b == 0) throw Error(w.name + ": sme: squeeze-out ran out of rows");
                        Xbar& x = xbars[b - 1];
                        x.rows.push_back(PhysRow{static_cast<int32_t>(k0 + r), q, q - x.base});
                        --free_rows[b - 1];
                        moved += 1;
                        shift_sum += q - x.base;
                    }
                }
                for (Xbar& x : xbars) {
                    std::stable_sort(
                        x.rows.begin(), x.rows.end(),
                        [](const PhysRow& a, const PhysRow& c) { return a.shift < c.shift; });
                    row_index_bits += static_cast<int64_t>(x.rows.size()) * (row_bits + shift_bits);
                }
            }
            for (const Xbar& x : xbars) {
                Tile t = build_tile(w, n0, nouts, x, hw, shift_at_output);
                bool has_shift = false;
                for (const PhysRow& pr : x.rows)
                    if (pr.shift != 0) {
                        ++shifted_rows;
                        has_shift = true;
                    }
                if (shift_at_output && has_shift) {
                    output_shifters += hw.adc_per_xbar;
                    for (const OuOp& op : t.ops)
                        if (x.rows[op.r0].shift != 0)
                            output_shift_events += static_cast<int64_t>(op.cols) * hw.a_bits;
                }
                m.tiles.push_back(std::move(t));
            }
        }
    }
    m.figures["sliced_crossbars"] = sliced;
    m.figures["squeezed_crossbars"] = static_cast<double>(m.tiles.size());
    m.figures["moved_rows"] = moved;
    m.figures["moved_rows_shift_sum"] = shift_sum;
    if (row_index_bits > 0) m.index_bits["row_index"] = row_index_bits;
    if (shifted_rows > 0) {
        if (!shift_at_output) {
            // One shifter per physical row fed with a shifted input; it shifts that row's input
            // once per output position.
            m.units["sme_input_shifter"] = shifted_rows;
            m.events.push_back(
                {"sme_input_shifter", Mapping::EventRule::Per::Position, shifted_rows});
        } else {
            // A variable shift in each shift-and-add lane of a crossbar with shifted rows; one
            // event per conversion of a shifted OU op (a_bits planes per op, nothing skipped).
            m.units["sme_output_shifter"] = output_shifters;
            m.events.push_back(
                {"sme_output_shifter", Mapping::EventRule::Per::Position, output_shift_events});
        }
    }
    return m;
}

}  // namespace sparsecim
