// map_csr's phases that stand alone (issue 20 item 3): the shuffle search over (band, window)
// problems, and the k-means comparison point, which is not part of the mapping.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

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
