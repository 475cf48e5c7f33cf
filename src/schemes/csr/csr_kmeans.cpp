// k-modes clustering of column zero patterns and all-zero block skipping (the k-means comparison
// point of the csr scheme).
#include "schemes/csr/csr_kmeans.hpp"

#include <algorithm>
#include <bit>
#include <random>

#include "core/error.hpp"

namespace sparsecim {

namespace {

int hamming(const uint64_t* a, const uint64_t* b, int words) {
    int d = 0;
    for (int x = 0; x < words; ++x) d += std::popcount(a[x] ^ b[x]);
    return d;
}

// Uniform in [0, n) from the generator's raw output (the standard distributions are not the
// same on every library; the bias of the modulo is below 2^-40 for the sizes used here).
uint64_t below(std::mt19937_64& rng, uint64_t n) {
    return rng() % n;
}

}  // namespace

ColumnPatterns column_patterns(const WeightMatrix& w, int band_rows, int slab_rows) {
    if (band_rows <= 0 || slab_rows <= 0 || slab_rows > band_rows)
        throw Error("column_patterns: need 0 < slab rows <= band rows");
    ColumnPatterns p;
    p.N = w.N;
    const int64_t per_band = (band_rows + slab_rows - 1) / slab_rows;
    const int64_t bands = (w.K + band_rows - 1) / band_rows;
    p.slabs = bands * per_band;
    p.words = static_cast<int>((p.slabs + 63) / 64);
    p.slab_size.assign(static_cast<size_t>(p.slabs), 0);
    p.slab_first.assign(static_cast<size_t>(p.slabs), 0);
    p.groups = w.groups;
    p.group_rows = w.group_rows();
    p.group_cols = w.group_cols();
    p.bits.assign(static_cast<size_t>(w.N * p.words), 0);
    for (int64_t k = 0; k < w.K; ++k) {
        const int64_t s = (k / band_rows) * per_band + (k % band_rows) / slab_rows;
        if (p.slab_size[static_cast<size_t>(s)]++ == 0) p.slab_first[static_cast<size_t>(s)] = k;
        const uint64_t bit = uint64_t{1} << (s % 64);
        uint64_t* word = p.bits.data() + s / 64;
        for (int64_t n = 0; n < w.N; ++n)
            if (w.at(k, n) != 0) word[n * p.words] |= bit;
    }
    return p;
}

KmeansOrder kmeans_column_order(const ColumnPatterns& p, int k, int max_iterations, uint64_t seed) {
    KmeansOrder r;
    const int64_t N = p.N;
    const int words = p.words;
    if (N == 0) return r;
    k = static_cast<int>(std::clamp<int64_t>(k, 1, N));
    std::mt19937_64 rng(seed);

    // k-means++ seeding: the first centre uniformly, each next one with probability proportional
    // to the squared distance to the nearest centre chosen so far; stops early when every column
    // equals a centre.
    std::vector<uint64_t> centre;
    centre.reserve(static_cast<size_t>(k * words));
    std::vector<uint64_t> d2(static_cast<size_t>(N), UINT64_MAX);
    int64_t pick = static_cast<int64_t>(below(rng, static_cast<uint64_t>(N)));
    for (int c = 0; c < k; ++c) {
        centre.insert(centre.end(), p.column(pick), p.column(pick) + words);
        const uint64_t* cc = centre.data() + static_cast<size_t>(c) * words;
        uint64_t total = 0;
        for (int64_t n = 0; n < N; ++n) {
            const auto d = static_cast<uint64_t>(hamming(p.column(n), cc, words));
            d2[static_cast<size_t>(n)] = std::min(d2[static_cast<size_t>(n)], d * d);
            total += d2[static_cast<size_t>(n)];
        }
        r.clusters = c + 1;
        if (total == 0 || c + 1 == k) break;
        uint64_t x = below(rng, total);
        pick = 0;
        while (x >= d2[static_cast<size_t>(pick)]) x -= d2[static_cast<size_t>(pick++)];
    }
    k = r.clusters;

    // Lloyd rounds: nearest centre (ties to the lower index), then majority-vote centres (a bit is
    // set when more than half of the members have it); an empty cluster keeps its centre.
    std::vector<int> assign(static_cast<size_t>(N), -1);
    std::vector<int64_t> size(static_cast<size_t>(k));
    std::vector<int64_t> ones(static_cast<size_t>(k * p.slabs));
    for (int it = 0; it < std::max(1, max_iterations); ++it) {
        bool moved = false;
        for (int64_t n = 0; n < N; ++n) {
            int best = 0, best_d = INT32_MAX;
            for (int c = 0; c < k; ++c) {
                const int d =
                    hamming(p.column(n), centre.data() + static_cast<size_t>(c) * words, words);
                if (d < best_d) best = c, best_d = d;
            }
            moved = moved || assign[static_cast<size_t>(n)] != best;
            assign[static_cast<size_t>(n)] = best;
        }
        r.iterations = it + 1;
        if (!moved) break;
        std::fill(size.begin(), size.end(), 0);
        std::fill(ones.begin(), ones.end(), 0);
        for (int64_t n = 0; n < N; ++n) {
            const int c = assign[static_cast<size_t>(n)];
            ++size[static_cast<size_t>(c)];
            for (int x = 0; x < words; ++x)
                for (uint64_t v = p.column(n)[x]; v != 0; v &= v - 1)
                    ++ones[static_cast<size_t>(c * p.slabs + x * 64 + std::countr_zero(v))];
        }
        for (int c = 0; c < k; ++c) {
            if (size[static_cast<size_t>(c)] == 0) continue;
            uint64_t* cc = centre.data() + static_cast<size_t>(c) * words;
            std::fill(cc, cc + words, 0);
            for (int64_t s = 0; s < p.slabs; ++s)
                if (2 * ones[static_cast<size_t>(c * p.slabs + s)] > size[static_cast<size_t>(c)])
                    cc[s / 64] |= uint64_t{1} << (s % 64);
        }
    }

    // Order: non-empty clusters chained from the sparsest centre (fewest set bits, then the lower
    // index) to the nearest (Hamming) unvisited centre, members in their original order.
    std::vector<std::vector<int64_t>> members(static_cast<size_t>(k));
    for (int64_t n = 0; n < N; ++n)
        members[static_cast<size_t>(assign[static_cast<size_t>(n)])].push_back(n);
    auto cc = [&](int c) { return centre.data() + static_cast<size_t>(c) * words; };
    std::vector<bool> done(static_cast<size_t>(k), false);
    for (int c = 0; c < k; ++c)
        done[static_cast<size_t>(c)] = members[static_cast<size_t>(c)].empty();
    const std::vector<uint64_t> none(static_cast<size_t>(words), 0);
    const uint64_t* from = none.data();
    r.order.reserve(static_cast<size_t>(N));
    for (;;) {
        int next = -1, next_d = INT32_MAX;
        for (int c = 0; c < k; ++c) {
            if (done[static_cast<size_t>(c)]) continue;
            const int d = hamming(from, cc(c), words);
            if (d < next_d) next = c, next_d = d;
        }
        if (next < 0) break;
        done[static_cast<size_t>(next)] = true;
        const std::vector<int64_t>& mem = members[static_cast<size_t>(next)];
        r.order.insert(r.order.end(), mem.begin(), mem.end());
        from = cc(next);
    }
    return r;
}

int64_t skipped_zero_weights(const ColumnPatterns& p, const std::vector<int64_t>& order,
                             int64_t block_cols) {
    if (block_cols <= 0) throw Error("skipped_zero_weights: block columns must be positive");
    int64_t removed = 0;
    std::vector<uint64_t> acc(static_cast<size_t>(p.words));
    const auto n = static_cast<int64_t>(order.size());
    for (int64_t b0 = 0; b0 < n; b0 += block_cols) {
        const int64_t cols = std::min(block_cols, n - b0);
        std::fill(acc.begin(), acc.end(), 0);
        for (int64_t i = b0; i < b0 + cols; ++i)
            for (int x = 0; x < p.words; ++x)
                acc[static_cast<size_t>(x)] |= p.column(order[static_cast<size_t>(i)])[x];
        for (int64_t s = 0; s < p.slabs; ++s) {
            if (((acc[static_cast<size_t>(s / 64)] >> (s % 64)) & 1) != 0) continue;
            const int64_t size = p.slab_size[static_cast<size_t>(s)];
            if (p.groups == 1) {
                removed += size * cols;
                continue;
            }
            // Only the slab's rows in each column's own diagonal block are weights.
            const int64_t r0 = p.slab_first[static_cast<size_t>(s)], r1 = r0 + size;
            for (int64_t i = b0; i < b0 + cols; ++i) {
                const int64_t g0 = order[static_cast<size_t>(i)] / p.group_cols * p.group_rows;
                removed += std::max<int64_t>(0, std::min(r1, g0 + p.group_rows) - std::max(r0, g0));
            }
        }
    }
    return removed;
}

}  // namespace sparsecim
