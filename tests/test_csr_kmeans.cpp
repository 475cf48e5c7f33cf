// The k-means comparison point of the csr scheme (deck 000's prior work): column patterns,
// k-modes ordering and all-zero block skipping against a direct count on the weights,
// determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>

#include "schemes/csr/csr_kmeans.hpp"

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
