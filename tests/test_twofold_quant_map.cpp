// twofold's scaled quantization and its two's complement mapping on multi-bit cells: hand
// computed values, every code reconstructs, the gated mapping of a hand-made layer, and the
// simulator's cell-state counts and energies against a direct count on that layer.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "cost/cost_model.hpp"
#include "map/mapping.hpp"
#include "schemes/twofold/map.hpp"
#include "schemes/twofold/quant.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

TEST(TwofoldQuant, ScaledRoundingByHand) {
    FloatMatrix fm;
    fm.K = 2;
    fm.N = 3;
    fm.w = {0.5f, -1.0f, 0.25f, 0.1f, 2.0f, -0.3f};
    fm.bias = {0.1f, 0.2f, 0.3f};
    QuantLayer L;
    L.name = "l";
    // 2.0 pruned: s = max |kept| = 1.0, levels 127.
    scaled_quantize(fm, {1, 1, 1, 1, 0, 1}, 8, L);
    EXPECT_EQ(L.weights.w, (std::vector<int32_t>{64, -127, 32, 13, 0, -38}));
    EXPECT_EQ(L.weights.keep, (std::vector<uint8_t>{1, 1, 1, 1, 0, 1}));
    EXPECT_EQ(L.weights.w_bits, 8);
    for (float s : L.w_scale) EXPECT_FLOAT_EQ(s, 1.0f / 127.0f);
    EXPECT_EQ(L.bias, fm.bias);
    // b = 4: 7 levels, s = 2.0 with everything kept.
    scaled_quantize(fm, {1, 1, 1, 1, 1, 1}, 4, L);
    EXPECT_EQ(L.weights.w, (std::vector<int32_t>{2, -4, 1, 0, 7, -1}));
    for (float s : L.w_scale) EXPECT_FLOAT_EQ(s, 2.0f / 7.0f);
    EXPECT_THROW(scaled_quantize(fm, {1, 1, 1, 1, 1, 1}, 1, L), Error);
}

TEST(TwofoldQuant, TwosComplementCode) {
    EXPECT_EQ(twos_code(-1, 8), 0xffu);
    EXPECT_EQ(twos_code(-127, 8), 0x81u);
    EXPECT_EQ(twos_code(5, 8), 5u);
    EXPECT_EQ(code_ones(-1, 8), 8);
    EXPECT_EQ(code_ones(-128, 8), 1);
    EXPECT_EQ(code_ones(3, 4), 2);
}

TEST(TwofoldCode, ColumnsOfEachSignCode) {
    const auto col = twofold_code(8, 2, SignCode::Column);
    ASSERT_EQ(col.size(), 5u);
    const int shifts[] = {0, 2, 4, 6, 7}, nbits[] = {2, 2, 2, 1, 1}, signs[] = {1, 1, 1, 1, -1};
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(col[i].shift, shifts[i]);
        EXPECT_EQ(col[i].nbits, nbits[i]);
        EXPECT_EQ(col[i].sign, signs[i]);
    }
    const auto plane = twofold_code(8, 2, SignCode::Plane);
    ASSERT_EQ(plane.size(), 5u);
    const int pshifts[] = {0, 2, 4, 6, 8}, pnbits[] = {2, 2, 2, 2, 1};
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(plane[i].shift, pshifts[i]);
        EXPECT_EQ(plane[i].nbits, pnbits[i]);
    }
    EXPECT_EQ(plane[4].sign, -1);
    // -3 = 11111101: column code cells 01 11 11 1 | 1 ; plane code cells 01 11 11 11 | 1.
    std::vector<int> cells;
    for (const auto& c : col) cells.push_back(twofold_cell(-3, 8, c));
    EXPECT_EQ(cells, (std::vector<int>{1, 3, 3, 1, 1}));
    cells.clear();
    for (const auto& c : plane) cells.push_back(twofold_cell(-3, 8, c));
    EXPECT_EQ(cells, (std::vector<int>{1, 3, 3, 3, 1}));
}

TEST(TwofoldCode, EveryValueReconstructsForEveryWidthAndCell) {
    for (SignCode sc : {SignCode::Column, SignCode::Plane})
        for (int bits : {2, 3, 4, 5, 8, 9, 12})
            for (int cb : {1, 2, 4}) {
                const auto code = twofold_code(bits, cb, sc);
                for (int32_t w = -(1 << (bits - 1)); w < (1 << (bits - 1)); ++w) {
                    int64_t v = 0;
                    for (const auto& c : code) {
                        const int cell = twofold_cell(w, bits, c);
                        ASSERT_LT(cell, 1 << cb);
                        v += c.sign * (int64_t{cell} << c.shift);
                    }
                    ASSERT_EQ(v, w) << "bits " << bits << " cell_bits " << cb;
                }
            }
}

namespace {

HwConfig small_hw() {
    HwConfig hw = load_hw_config(hw_preset_path("twofold"));  // the deck's state energies
    hw.xbar_rows = 16;
    hw.xbar_cols = 16;
    hw.ou_rows = 8;
    hw.ou_cols = 8;
    hw.adc_per_xbar = 8;
    return hw;
}

// K = 4 inputs, N = 2 outputs; keep: row0 (1,1), row1 (1,0), row2 (0,1), row3 (0,0).
struct HandLayer {
    WeightMatrix w{"hand", 4, 2, 8};
    LayerMask mask;
    HandLayer() {
        const int32_t vals[] = {-3, 77, 5, 0, 0, -128, 0, 0};
        const uint8_t keep[] = {1, 1, 1, 0, 0, 1, 0, 0};
        for (size_t i = 0; i < 8; ++i) {
            w.w[i] = vals[i];
            w.keep[i] = keep[i];
            mask.keep.push_back(keep[i]);
        }
        mask.size = 8;
        mask.pruned = 4;
        mask.steps = 6;
        mask.lfsr.width = 4;
        mask.lfsr.taps = {4, 3};
    }
};

LayerTrace hand_trace(const HandLayer& h, const std::vector<std::vector<int32_t>>& xs) {
    LayerTrace tr;
    tr.layer = "hand";
    tr.K = 4;
    tr.N = 2;
    tr.a_bits = 8;
    tr.positions = static_cast<int64_t>(xs.size());
    for (const auto& x : xs) {
        tr.inputs.insert(tr.inputs.end(), x.begin(), x.end());
        for (int64_t n = 0; n < 2; ++n) {
            int64_t acc = 0;
            for (int64_t k = 0; k < 4; ++k)
                acc += int64_t{x[static_cast<size_t>(k)]} * h.w.at(k, n);
            tr.outputs.push_back(static_cast<int32_t>(acc));
        }
    }
    return tr;
}

}  // namespace

// Column code, 5 columns per weight: weight 0 in columns 0-4, weight 1 in 5-9. OU 8x8: op A =
// rows 0-3 x columns 0-7, op B = rows 0-3 x columns 8-9. Gating: op A drops row 3 (both weights
// pruned); op B (weight 1 only) drops rows 1 and 3; no column is all pruned.
TEST(TwofoldMap, HandLayerGatingAndDirectCellStateCount) {
    const HandLayer h;
    const HwConfig hw = small_hw();
    TwofoldParams p;  // b = 8, sign column, gating on
    const Mapping m = map_twofold(h.w, h.mask, p, hw);
    ASSERT_EQ(verify(m, h.w), "");
    ASSERT_EQ(m.tiles.size(), 1u);
    ASSERT_EQ(m.tiles[0].ops.size(), 2u);
    EXPECT_EQ(m.figures.at("op_rows"), 8.0);
    EXPECT_EQ(m.figures.at("op_rows_gated"), 3.0);
    EXPECT_EQ(m.figures.at("op_cols_gated"), 0.0);
    EXPECT_TRUE(m.index_bits.empty() || m.total_index_bits() == 0);
    EXPECT_EQ(m.units.at("lfsr_flipflop"), 4);
    EXPECT_EQ(m.units.at("lfsr_xor"), 1);
    // Code cells as the deck counts them (4 pairs per weight): -3 = 01 11 11 11 from the top,
    // 77 = 01 00 11 01, 5 = 00 00 01 01, -128 = 10 00 00 00, and four zeros.
    EXPECT_EQ(m.figures.at("code_cells_00"), 4 * 4 + 1 + 2 + 3);
    EXPECT_EQ(m.figures.at("code_cells_01"), 1 + 2 + 2);
    EXPECT_EQ(m.figures.at("code_cells_10"), 1.0);
    EXPECT_EQ(m.figures.at("code_cells_11"), 3 + 1);

    const std::vector<std::vector<int32_t>> xs = {{1, 2, 3, 255}, {0, 7, 128, 9}, {200, 0, 0, 1}};
    const LayerTrace tr = hand_trace(h, xs);
    SimOptions ideal;
    ideal.ideal_adc = true;
    const SimResult r = simulate(m, tr, hw, ideal);
    EXPECT_EQ(r.mismatches, 0);
    EXPECT_EQ(r.outputs_checked, 6);

    // Direct count: a cell is read when its row is live in its op and the row's input bit is 1.
    auto live = [&](int k, int col) {
        const int n = col / 5;
        if (col < 8)
            return h.mask.keep[static_cast<size_t>(k * 2)] ||
                   h.mask.keep[static_cast<size_t>(k * 2 + 1)];
        return h.mask.keep[static_cast<size_t>(k * 2 + n)] != 0;
    };
    const auto code = twofold_code(8, 2, SignCode::Column);
    std::vector<uint64_t> reads(4, 0);
    uint64_t driven = 0;
    for (const auto& x : xs)
        for (int t = 0; t < 8; ++t)
            for (int k = 0; k < 4; ++k) {
                if (!((x[static_cast<size_t>(k)] >> t) & 1)) continue;
                for (int col = 0; col < 10; ++col) {
                    if (!live(k, col)) continue;
                    ++reads[twofold_cell(h.w.at(k, col / 5), 8,
                                         code[static_cast<size_t>(col % 5)])];
                }
                driven += (live(k, 0) ? 1 : 0) + (live(k, 8) ? 1 : 0);
            }
    EXPECT_EQ(r.stats.cell_reads_by_state, reads);
    EXPECT_EQ(r.stats.driver_activations, driven);
    // 3 positions x 8 bit-planes x 10 live columns; nothing skipped.
    EXPECT_EQ(r.stats.adc_conversions, 3u * 8u * 10u);
    // LFSR replayed per position: 6 steps x 4 flip-flops, 6 steps x 1 XOR.
    EXPECT_EQ(r.stats.events.at("lfsr_flipflop"), 3u * 6u * 4u);
    EXPECT_EQ(r.stats.events.at("lfsr_xor"), 3u * 6u * 1u);

    // Pricing: the deck's per-state energies and ADC energy, and the LFSR components.
    Footprint fp;
    fp.crossbars = 1;
    fp.stored_cells = m.stored_cells();
    fp.units = m.units;
    const Cost c = price(r.stats, fp, hw);
    const double e[] = {0.079, 0.36, 0.73, 1.49};
    double cells = 0;
    for (size_t s = 0; s < 4; ++s) cells += static_cast<double>(reads[s]) * e[s];
    EXPECT_NEAR(c.energy_pj.at("cells"), cells, 1e-9);
    EXPECT_NEAR(c.energy_pj.at("adc"), 240 * 0.208, 1e-9);
    EXPECT_NEAR(c.energy_pj.at("lfsr_flipflop"), 72 * hw.components.at("lfsr_flipflop").energy_pj,
                1e-12);
    EXPECT_GT(c.energy_pj.at("lfsr_flipflop"), 0.0);
    EXPECT_GT(c.area_um2.at("lfsr_flipflop"), 0.0);
}

TEST(TwofoldMap, UngatedAndPlaneVariantsAreExactToo) {
    const HandLayer h;
    const HwConfig hw = small_hw();
    const LayerTrace tr = hand_trace(h, {{1, 2, 3, 255}, {255, 255, 255, 255}});
    SimOptions ideal;
    ideal.ideal_adc = true;
    for (bool gating : {false, true})
        for (SignCode sc : {SignCode::Column, SignCode::Plane}) {
            TwofoldParams p;
            p.gating = gating;
            p.sign = sc;
            const Mapping m = map_twofold(h.w, h.mask, p, hw);
            ASSERT_EQ(verify(m, h.w), "");
            EXPECT_EQ(simulate(m, tr, hw, ideal).mismatches, 0);
            EXPECT_EQ(m.units.empty(), !gating);
            EXPECT_EQ(m.events.empty(), !gating);
            // Ungated: every row of both ops is driven.
            EXPECT_EQ(m.figures.at("op_rows"), 8.0);  // 2 ops x 4 rows, gated or not
            if (!gating) {
                EXPECT_EQ(m.figures.at("op_rows_gated"), 0.0);
            }
        }
}

TEST(TwofoldMap, RejectsWeightsTheMaskDoesNotExplain) {
    HandLayer h;
    const HwConfig hw = small_hw();
    TwofoldParams p;
    h.w.w[3] = 9;  // (1,1) is pruned by the mask
    EXPECT_THROW(map_twofold(h.w, h.mask, p, hw), Error);
    h.w.w[3] = 0;
    h.w.w[0] = 128;  // does not fit 8-bit two's complement
    EXPECT_THROW(map_twofold(h.w, h.mask, p, hw), Error);
}

TEST(TwofoldMap, AllPrunedOuOpsAreNotIssued) {
    WeightMatrix w("wide", 16, 4, 8);
    LayerMask mask;
    mask.size = 64;
    mask.keep.assign(64, 1);
    for (int k = 8; k < 16; ++k)  // the second row band entirely pruned
        for (int n = 0; n < 4; ++n) mask.keep[static_cast<size_t>(k * 4 + n)] = 0;
    for (size_t i = 0; i < 64; ++i) w.w[i] = mask.keep[i] ? static_cast<int32_t>(i) - 30 : 0;
    mask.pruned = 32;
    mask.steps = 40;
    mask.lfsr.width = 7;
    mask.lfsr.taps = {7, 6};
    const HwConfig hw = small_hw();  // 16 columns: 3 weights (15 columns) per crossbar
    const Mapping m = map_twofold(w, mask, TwofoldParams{}, hw);
    ASSERT_EQ(verify(m, w), "");
    EXPECT_EQ(m.tiles.size(), 2u);
    // Grid: tile 0 = 2 bands x 2 column groups, tile 1 = 2 bands x 1 group; the pruned band's
    // 3 ops are gated off entirely.
    EXPECT_EQ(m.figures.at("ou_grid_ops"), 6.0);
    EXPECT_EQ(m.figures.at("ou_ops_gated_off"), 3.0);
    EXPECT_EQ(m.ou_slots(), 3);
}
