// The k-means comparison point of the csr scheme (deck 000's prior work): column patterns,
// k-modes ordering and all-zero block skipping against a direct count on the weights, planted
// clusters that only the clustered order turns into all-zero OU and crossbar blocks, determinism,
// and the three utilizations (csr, no shuffle, k-means) on a pruned zoo model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "schemes/csr/csr_kmeans.hpp"
#include "schemes/csr/csr_mapper.hpp"
#include "schemes/csr/csr_params.hpp"
#include "schemes/scheme.hpp"

using namespace sparsecim;

namespace {

// K x N; column n is non-zero exactly on the rows of its own row group, group n % groups (rows
// [g * group_rows, (g + 1) * group_rows)), so that neighbouring columns never share a group.
WeightMatrix planted(int64_t K, int64_t N, int64_t group_rows) {
    WeightMatrix w("fc", K, N, 8);
    const int64_t groups = K / group_rows;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t k = (n % groups) * group_rows; k < (n % groups + 1) * group_rows; ++k)
            w.at(k, n) = static_cast<int32_t>(1 + (k + n) % 7);
    return w;
}

// Random block-sparse weights: each (row, column) non-zero with probability `density`.
WeightMatrix random_sparse(int64_t K, int64_t N, double density, uint64_t seed) {
    WeightMatrix w("fc", K, N, 8);
    std::mt19937_64 rng(seed);
    for (int32_t& v : w.w)
        v = static_cast<double>(rng() % 1000) < density * 1000.0
                ? 1 + static_cast<int32_t>(rng() % 9)
                : 0;
    return w;
}

// The zero weights in all-zero blocks, counted on the weights themselves.
int64_t direct_skipped(const WeightMatrix& w, const std::vector<int64_t>& order, int band_rows,
                       int slab_rows, int64_t block_cols) {
    int64_t removed = 0;
    for (int64_t b0 = 0; b0 < w.K; b0 += band_rows)
        for (int64_t s0 = b0; s0 < std::min<int64_t>(w.K, b0 + band_rows); s0 += slab_rows) {
            const int64_t s1 = std::min<int64_t>({w.K, b0 + band_rows, s0 + slab_rows});
            for (int64_t c0 = 0; c0 < w.N; c0 += block_cols) {
                const int64_t c1 = std::min(w.N, c0 + block_cols);
                bool zero = true;
                for (int64_t k = s0; k < s1; ++k)
                    for (int64_t c = c0; c < c1; ++c)
                        zero = zero && w.at(k, order[static_cast<size_t>(c)]) == 0;
                if (zero) removed += (s1 - s0) * (c1 - c0);
            }
        }
    return removed;
}

std::vector<int64_t> identity(int64_t n) {
    std::vector<int64_t> id(static_cast<size_t>(n));
    std::iota(id.begin(), id.end(), 0);
    return id;
}

}  // namespace

TEST(CsrKmeans, PatternsAndSkippingMatchADirectCount) {
    // Rows 0..199 in bands of 128 and slabs of 16 (the last band 72 rows: slabs of 16 and one
    // of 8); 37 columns in runs of 8 (the last run 5 columns).
    const WeightMatrix w = random_sparse(200, 37, 0.01, 3);
    const ColumnPatterns p = column_patterns(w, 128, 16);
    EXPECT_EQ(p.slabs, 16);
    EXPECT_EQ(p.slab_size[7], 16);
    EXPECT_EQ(p.slab_size[12], 8);
    EXPECT_EQ(p.slab_size[13], 0);
    EXPECT_EQ(std::accumulate(p.slab_size.begin(), p.slab_size.end(), int64_t{0}), 200);
    std::vector<int64_t> shuffled = identity(w.N);
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(5));
    for (const std::vector<int64_t>& order :
         {identity(w.N), shuffled, kmeans_column_order(p, 5, 100, 9).order}) {
        const int64_t s = skipped_zero_weights(p, order, 8);
        EXPECT_EQ(s, direct_skipped(w, order, 128, 16, 8));
        EXPECT_GT(s, 0);
        EXPECT_LE(s, w.K * w.N - w.nonzeros());
    }
    const ColumnPatterns xb = column_patterns(w, 128, 128);
    EXPECT_EQ(xb.slabs, 2);
    EXPECT_EQ(skipped_zero_weights(xb, shuffled, 16), direct_skipped(w, shuffled, 128, 128, 16));
}

TEST(CsrKmeans, OrderIsAPermutationAndDeterministicForASeed) {
    const WeightMatrix w = random_sparse(512, 300, 0.02, 8);
    const ColumnPatterns p = column_patterns(w, 128, 16);
    const KmeansOrder a = kmeans_column_order(p, 38, 100, 42);
    const KmeansOrder b = kmeans_column_order(p, 38, 100, 42);
    EXPECT_EQ(a.order, b.order);
    EXPECT_EQ(a.clusters, 38);
    EXPECT_GE(a.iterations, 2);
    std::vector<int64_t> sorted = a.order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, identity(w.N));
    // More clusters asked for than distinct patterns: one centre per pattern.
    const WeightMatrix few = planted(64, 40, 16);
    EXPECT_EQ(kmeans_column_order(column_patterns(few, 64, 16), 30, 100, 1).clusters, 4);
}

// 128 x 64 on the csr preset (P_WL 16, P_BL 8, 128 x 128 crossbars): column n is non-zero only on
// OU slab n % 8, so every 8-column OU block of the original order meets every slab and none is
// all zero; k-means (one cluster per OU block = 8) gathers each slab's columns into one block and
// skips every zero weight. At crossbar size, 256 x 256 with column n non-zero only in band n % 2.
TEST(CsrKmeans, PlantedClustersMakeWholeBlocksZeroOnlyAfterReordering) {
    const HwConfig hw = load_hw_config(hw_preset_path("csr"));
    const CsrParams params = parse_csr_params(nlohmann::json::object(), 3);

    const WeightMatrix w = planted(128, 64, 16);
    const int64_t zeros = w.K * w.N - w.nonzeros();
    ASSERT_EQ(zeros, 128 * 64 - 64 * 16);
    const ColumnPatterns p = column_patterns(w, 128, 16);
    EXPECT_EQ(skipped_zero_weights(p, identity(w.N), 8), 0);
    const KmeansOrder o = kmeans_column_order(p, 8, 100, 3);
    EXPECT_EQ(o.clusters, 8);
    EXPECT_EQ(skipped_zero_weights(p, o.order, 8), zeros);
    // One cluster keeps the original order: nothing to skip.
    EXPECT_EQ(skipped_zero_weights(p, kmeans_column_order(p, 1, 100, 3).order, 8), 0);

    const Mapping m = map_csr(w, hw, params);
    ASSERT_EQ(verify(m, w), "");
    EXPECT_EQ(m.figures.at("zero_weights"), static_cast<double>(zeros));
    EXPECT_EQ(m.figures.at("kmeans_zero_weights_removed_ou"), static_cast<double>(zeros));
    EXPECT_EQ(m.figures.at("kmeans_zero_weights_removed_xbar"), 0.0);  // one band, all non-zero
    CsrParams one = params;
    one.kmeans_k = 1;
    EXPECT_EQ(map_csr(w, hw, one).figures.at("kmeans_zero_weights_removed_ou"), 0.0);

    const WeightMatrix big = planted(256, 256, 128);
    const Mapping mb = map_csr(big, hw, params);
    EXPECT_EQ(mb.figures.at("kmeans_zero_weights_removed_xbar"), 2.0 * 128 * 128);
    EXPECT_EQ(skipped_zero_weights(column_patterns(big, 128, 128), identity(big.N), 128), 0);
}

// search=none maps exactly the no-shuffle comparison point that every run reports; the seed of
// the k-means point comes from the run unless kmeans_seed is given.
TEST(CsrKmeans, NoShuffleFigureEqualsTheUnshuffledMappingAndSeedsAreTheRuns) {
    const HwConfig hw = load_hw_config(hw_preset_path("csr"));
    const WeightMatrix w = random_sparse(300, 200, 0.03, 21);
    const Mapping ga = map_csr(w, hw, parse_csr_params(nlohmann::json::object(), 4));
    const Mapping none = map_csr(w, hw, parse_csr_params({{"search", "none"}}, 4));
    EXPECT_EQ(ga.figures.at("noshuffle_zero_weights_removed"),
              none.figures.at("zero_weights_removed"));
    EXPECT_EQ(none.figures.at("noshuffle_zero_weights_removed"),
              none.figures.at("zero_weights_removed"));
    EXPECT_EQ(ga.figures.at("kmeans_zero_weights_removed_ou"),
              none.figures.at("kmeans_zero_weights_removed_ou"));
    EXPECT_EQ(parse_csr_params(nlohmann::json::object(), 4).kmeans_seed, 4u);
    EXPECT_EQ(parse_csr_params({{"kmeans_seed", 6}}, 4).kmeans_seed, 6u);
    EXPECT_EQ(parse_csr_params({{"kmeans_k", 12}}, 4).kmeans_k, 12);
    EXPECT_THROW(parse_csr_params({{"kmeans_k", -1}}, 4), Error);
    try {
        parse_csr_params({{"kmeans_k", "many"}}, 4);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "csr.kmeans_k: must be a non-negative integer (0 = auto)");
    }
}

// On pruned resnet-mini at the deck's beta 4 and sparsity 0.8: every comparison figure is within
// the zeros present, csr's utilization is at least the no-shuffle one, k-means skips something;
// the three utilizations are printed.
TEST(CsrKmeans, ZooUtilizationsCsrNoShuffleAndKmeans) {
    SchemeContext ctx;
    ctx.hw = load_hw_config(hw_preset_path("csr"));
    ctx.params = {{"sparsity", 0.8}};
    ctx.seed = 1;
    const Scheme csr = find_scheme("csr");
    const QuantModel qm =
        csr.prepare(make_zoo_model("resnet-mini", 5), load_fashion_mnist("train", 16).images, ctx);
    std::map<std::string, double> sum;
    for (const QuantLayer& L : qm.layers) {
        const Mapping m = csr.map(L, ctx);
        const double zeros = m.figures.at("zero_weights");
        for (const char* f :
             {"zero_weights_removed", "noshuffle_zero_weights_removed",
              "kmeans_zero_weights_removed_ou", "kmeans_zero_weights_removed_xbar"}) {
            EXPECT_GE(m.figures.at(f), 0.0) << L.name << " " << f;
            EXPECT_LE(m.figures.at(f), zeros) << L.name << " " << f;
            sum[f] += m.figures.at(f);
        }
        sum["zero_weights"] += zeros;
    }
    const double z = sum["zero_weights"];
    ASSERT_GT(z, 0.0);
    std::printf(
        "[csr] resnet-mini sparsity 0.8 utilization: csr %.3f, no shuffle %.3f, k-means OU %.3f, "
        "k-means crossbar %.3f\n",
        sum["zero_weights_removed"] / z, sum["noshuffle_zero_weights_removed"] / z,
        sum["kmeans_zero_weights_removed_ou"] / z, sum["kmeans_zero_weights_removed_xbar"] / z);
    EXPECT_GE(sum["zero_weights_removed"], sum["noshuffle_zero_weights_removed"]);
    EXPECT_GT(sum["kmeans_zero_weights_removed_ou"], 0.0);
}
