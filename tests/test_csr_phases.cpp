// map_csr's phases that stand alone (issue 20 item 3): the shuffle search over (band, window)
// problems, compression, placement and schedule, the index metadata, and the k-means comparison
// point, which is not part of the mapping.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "hw/hw_config.hpp"
#include "map/encoding.hpp"
#include "map/mapping.hpp"
#include "schemes/csr/csr_mapper.hpp"
#include "schemes/csr/csr_params.hpp"
#include "schemes/csr/csr_search.hpp"

using namespace sparsecim;

namespace {

// Random windows of 16 blocks of beta 1 on a 64-row band, about a third of the rows live.
std::vector<WindowProblem> problems(int n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<WindowProblem> out;
    for (int i = 0; i < n; ++i) {
        WindowProblem p;
        p.blocks = 16;
        p.beta = 1;
        p.ou_cols = 8;
        p.ou_rows = 16;
        p.words = 1;
        for (int b = 0; b < p.blocks; ++b) p.masks.push_back(rng() & rng());
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace

TEST(CsrPhases, ShuffleSearchKeepsIdentityOrImprovesAndIsDeterministic) {
    const std::vector<WindowProblem> probs = problems(6, 3);
    const ShuffleResult none =
        search_shuffles(probs, 3, parse_csr_params({{"search", "none"}}, 1), "conv");
    ASSERT_EQ(none.perm.size(), probs.size());
    for (const std::vector<int>& perm : none.perm) {
        std::vector<int> id(perm.size());
        std::iota(id.begin(), id.end(), 0);
        EXPECT_EQ(perm, id);
    }
    EXPECT_EQ(none.rows_searched, none.rows_identity);
    EXPECT_EQ(none.windows_improved, 0);

    const CsrParams ga = parse_csr_params({{"search", "ga"}}, 1);
    const ShuffleResult a = search_shuffles(probs, 3, ga, "conv");
    EXPECT_EQ(a.rows_identity, none.rows_identity);
    EXPECT_LE(a.rows_searched, a.rows_identity);
    EXPECT_GT(a.windows_improved, 0);
    EXPECT_GT(a.evaluations, 0);
    for (size_t i = 0; i < probs.size(); ++i) {  // each a permutation of the window's blocks
        std::vector<int> sorted = a.perm[i];
        std::sort(sorted.begin(), sorted.end());
        std::vector<int> id(sorted.size());
        std::iota(id.begin(), id.end(), 0);
        EXPECT_EQ(sorted, id);
    }
    EXPECT_EQ(search_shuffles(probs, 3, ga, "conv").perm, a.perm);
    // The GA is seeded per layer name: another layer may search differently, never worse than
    // its identity.
    EXPECT_LE(search_shuffles(probs, 3, ga, "fc").rows_searched, a.rows_identity);
}

// Compression stores every non-empty row of each OU column group, packed upward in band order,
// and pads groups so that heights inside a window (balance=window) differ by less than P_WL.
TEST(CsrPhases, CompressionKeepsEveryLiveRowAndBalancesHeights) {
    const std::vector<WindowProblem> probs = problems(4, 5);  // 2 bands x 2 windows, 2 groups
    const std::vector<std::vector<int>> perms =
        search_shuffles(probs, 2, parse_csr_params({{"search", "ga"}}, 1), "conv").perm;
    const std::vector<int> band_rows = {64, 64};
    for (const std::string balance : {"none", "window", "layer"}) {
        const CompressResult c = compress_rows(probs, perms, 2, 2, balance, band_rows);
        ASSERT_EQ(c.rows.size(), 8u);
        int64_t padding = 0;
        for (size_t i = 0; i < probs.size(); ++i) {
            const std::vector<uint64_t> gm = group_row_masks(probs[i], perms[i]);
            size_t lo = SIZE_MAX, hi = 0;
            for (int g = 0; g < 2; ++g) {
                const std::vector<int32_t>& rows = c.rows[i * 2 + static_cast<size_t>(g)];
                EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
                size_t live = 0;
                for (int r = 0; r < 64; ++r) {
                    const bool set = (gm[static_cast<size_t>(g)] >> r) & 1;
                    live += set;
                    if (set) {
                        EXPECT_TRUE(std::binary_search(rows.begin(), rows.end(), r))
                            << balance << " problem " << i << " group " << g << " row " << r;
                    }
                }
                padding += static_cast<int64_t>(rows.size() - live);
                lo = std::min(lo, rows.size());
                hi = std::max(hi, rows.size());
            }
            if (balance != "none") {
                EXPECT_LT(hi - lo, 16u) << balance << " problem " << i;
            }
        }
        EXPECT_EQ(c.padding_rows, padding) << balance;
        if (balance == "none") {
            EXPECT_EQ(c.padding_rows, 0);
        }
    }
}

// Half the columns all zero: clustered together, they fill whole OU blocks (16 rows x 8 columns)
// and the comparison point leaves them out; a whole crossbar holds live columns, so nothing is
// left out at crossbar granularity.
TEST(CsrPhases, KmeansComparisonLeavesOutAllZeroBlocks) {
    HwConfig hw = load_hw_config(hw_preset_path("csr"));
    WeightMatrix w("fc", 32, 32, 8);
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t n = 0; n < w.N; n += 2) w.at(k, n) = 1 + static_cast<int32_t>(k % 5);
    const KmeansComparison c = kmeans_comparison(w, hw, parse_csr_params({}, 1));
    EXPECT_EQ(c.removed_ou, 16 * 32);
    EXPECT_EQ(c.removed_xbar, 0);
}

namespace {

// A 300 x 100 layer, about a fifth of its weights non-zero (3 bands of the 128-row crossbar, two
// windows of 64 and 40 columns after padding to 104), and per (band, window, group) the rows the
// compress phase would keep without balance: those with a non-zero weight in the group under
// `perms` (each window's blocks reversed when `reversed`).
struct Layer {
    WeightMatrix w{"conv", 300, 100, 8};
    std::vector<std::vector<int>> perms;
    std::vector<std::vector<int32_t>> rows;
};

Layer layer(const CsrGeometry& g0, bool reversed) {
    Layer l;
    std::mt19937_64 rng(11);
    for (int64_t k = 0; k < l.w.K; ++k)
        for (int64_t n = 0; n < l.w.N; ++n)
            if (rng() % 5 == 0) l.w.at(k, n) = static_cast<int32_t>(rng() % 255) - 127;
    CsrGeometry g = g0;
    g.w = &l.w;
    for (int64_t b = 0; b < g.bands; ++b)
        for (int64_t win = 0; win < g.windows; ++win) {
            std::vector<int> pm(static_cast<size_t>(g.window_width(win) / g.beta));
            std::iota(pm.begin(), pm.end(), 0);
            if (reversed) std::reverse(pm.begin(), pm.end());
            l.perms.push_back(pm);
        }
    l.rows.assign(static_cast<size_t>(g.bands * g.windows * g.slots), {});
    for (int64_t b = 0; b < g.bands; ++b)
        for (int64_t win = 0; win < g.windows; ++win)
            for (int64_t gr = 0; gr < g.window_width(win) / g.ou_cols; ++gr)
                for (int r = 0; r < g.band_rows(b); ++r) {
                    bool live = false;
                    for (int64_t x = gr * g.ou_cols; x < (gr + 1) * g.ou_cols; ++x) {
                        const int64_t n =
                            g.column_at(l.perms[static_cast<size_t>(b * g.windows + win)], win, x);
                        live = live || (n >= 0 && l.w.at(b * g.xbar_rows + r, n) != 0);
                    }
                    if (live) l.rows[g.slot(b, win, gr)].push_back(r);
                }
    return l;
}

}  // namespace

// Placement and schedule alone: the stored rows of any permutation, placed and scheduled, compute
// the layer's matrix exactly (the output tables undo the permutation), every OU op covers at most
// P_WL x P_BL cells, and the stored weight slots are the live columns of every stored row.
TEST(CsrPhases, PlacementOfAnyPermutationReconstructsTheMatrix) {
    const HwConfig hw = load_hw_config(hw_preset_path("csr"));
    const CsrParams p = parse_csr_params({}, 1);
    for (const bool reversed : {false, true}) {
        WeightMatrix shape("conv", 300, 100, 8);
        const CsrGeometry g0 = csr_geometry(shape, hw, p);
        ASSERT_EQ(g0.bands, 3);
        ASSERT_EQ(g0.windows, 2);
        ASSERT_EQ(g0.window_width(1), 40);
        const Layer l = layer(g0, reversed);
        CsrGeometry g = g0;
        g.w = &l.w;
        const ColumnCode code = column_code(hw);
        const int cpo = static_cast<int>(code.columns.size());
        std::vector<uint8_t> enc(static_cast<size_t>(l.w.K * l.w.N * cpo), 0);
        for (int64_t i = 0; i < l.w.K * l.w.N; ++i)
            if (l.w.w[static_cast<size_t>(i)] != 0)
                encode_weight(l.w.w[static_cast<size_t>(i)], code, hw, enc.data() + i * cpo);
        Mapping m = empty_mapping("csr", l.w, hw.cell_bits);
        const CsrPlacement placed = place_and_schedule(g, code, enc, l.perms, l.rows, m);
        EXPECT_EQ(verify(m, l.w), "") << "reversed " << reversed;
        int64_t slots = 0;
        for (int64_t b = 0; b < g.bands; ++b)
            for (int64_t win = 0; win < g.windows; ++win)
                for (int64_t gr = 0; gr < g.window_width(win) / g.ou_cols; ++gr)
                    slots +=
                        g.live_cols(l.perms[static_cast<size_t>(b * g.windows + win)], win, gr) *
                        static_cast<int64_t>(l.rows[g.slot(b, win, gr)].size());
        EXPECT_EQ(placed.weight_slots, slots);
        EXPECT_EQ(placed.weight_positions, slots);  // not grouped: every slot is a position
        for (const Tile& t : m.tiles)
            for (const OuOp& op : t.ops) {
                EXPECT_LE(op.rows, g.ou_rows);
                EXPECT_LE(op.cols, g.ou_cols);
            }
    }
}

// The index phase: log2(R) = 7 bits per stored OU-row, and a Benes configuration (one bit per
// switch) only for the (band, window)s that store a row.
TEST(CsrPhases, IndexCountsRowIndicesAndTheBenesOfWindowsInUse) {
    const HwConfig hw = load_hw_config(hw_preset_path("csr"));
    WeightMatrix w("conv", 300, 100, 8);
    const CsrGeometry g = csr_geometry(w, hw, parse_csr_params({}, 1));
    std::vector<std::vector<int32_t>> rows(static_cast<size_t>(g.bands * g.windows * g.slots));
    rows[g.slot(0, 0, 0)] = {0, 5, 9};
    rows[g.slot(0, 0, 7)] = {3};
    rows[g.slot(2, 1, 4)] = {1, 2};
    const CsrIndex idx = index_metadata(g, rows);
    EXPECT_EQ(idx.stored_rows, 6);
    EXPECT_EQ(idx.row_index_bits, 6 * 7);
    // Window 0: 16 blocks of beta 4 (a 16-input Benes); window 1: 10 blocks (rounded up to 16).
    EXPECT_EQ(idx.benes_config_bits, benes_switches(16) + benes_switches(10));
    EXPECT_EQ(benes_switches(16), 16 * 4 - 8);
}
