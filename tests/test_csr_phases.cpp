// map_csr's phases that stand alone (issue 20 item 3): the shuffle search over (band, window)
// problems, and the k-means comparison point, which is not part of the mapping.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "hw/hw_config.hpp"
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
