// The prior-work comparison point of deck 000: "weight mapping based on k-means clustering to
// skip all-0 crossbars" (e.g. Lin et al., ASP-DAC 2019). The logical weight columns of a layer are
// clustered by their zero pattern (k-modes: Hamming distance on packed bitmasks, majority-vote
// centroids, k-means++ seeding), reordered so that every cluster is contiguous, and cut into
// blocks of one row slab x a run of columns; a block whose weights are all zero is not stored.
// No row compression and no window limit on the reordering. The unit is the logical weight, as in
// the csr figures: slice planes share the zero pattern, so a skipped block is skipped in each.
#pragma once

#include <cstdint>
#include <vector>

#include "model/weight_matrix.hpp"

namespace sparsecim {

// The zero pattern of every logical column at one skip granularity: the K rows are cut into row
// bands of `band_rows` and every band into slabs of `slab_rows` (the last ones may be shorter);
// bit s of column n is set when column n has a non-zero weight in slab s.
struct ColumnPatterns {
    int64_t N = 0;
    int64_t slabs = 0;
    int words = 0;                    // 64-bit words per column
    std::vector<int64_t> slab_size;   // rows of each slab
    std::vector<int64_t> slab_first;  // first row of each slab
    std::vector<uint64_t> bits;       // N * words
    // The weights' diagonal blocks (WeightMatrix::groups, group_rows, group_cols): column n has
    // weight positions on rows [n / group_cols * group_rows, + group_rows) only.
    int64_t groups = 1, group_rows = 0, group_cols = 0;

    const uint64_t* column(int64_t n) const { return bits.data() + n * words; }
};

ColumnPatterns column_patterns(const WeightMatrix& w, int band_rows, int slab_rows);

struct KmeansOrder {
    std::vector<int64_t> order;  // order[position] = logical column placed there
    int clusters = 0;    // centres seeded (<= the k asked for: at most the distinct patterns)
    int iterations = 0;  // assignment rounds until no column moved (or the limit)
};

// Clusters the columns into k groups (k-modes with k-means++ seeding from `seed`, at most
// `max_iterations` rounds) and returns the order: clusters contiguous, chained so that each next
// cluster has the centroid nearest (Hamming) to the previous one, starting from the sparsest
// centroid; columns in their original order inside a cluster. Deterministic for a seed.
KmeansOrder kmeans_column_order(const ColumnPatterns& p, int k, int max_iterations, uint64_t seed);

// Zero weights in the all-zero blocks when the columns, in `order`, are cut into runs of
// `block_cols` (the last run may be shorter) and every run into the slabs: the weights a
// block-skipping mapping does not store (weight positions only, not a grouped layer's structural
// zeros).
int64_t skipped_zero_weights(const ColumnPatterns& p, const std::vector<int64_t>& order,
                             int64_t block_cols);

}  // namespace sparsecim
