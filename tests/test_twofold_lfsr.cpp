// twofold's LFSR and LFSR pruning: default taps are maximal-length (exhaustively for small
// widths, algebraically for every width up to 32), a hand-traced sequence, index skipping,
// and masks regenerated from the seed alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>

#include "core/error.hpp"
#include "schemes/twofold/lfsr.hpp"
#include "schemes/twofold/params.hpp"
#include "schemes/twofold/prune.hpp"

using namespace sparsecim;

namespace {

LfsrSpec spec(int width, uint32_t seed = 1) {
    LfsrSpec s;
    s.width = width;
    s.taps = default_lfsr_taps(width);
    s.seed = seed;
    return s;
}

// The LFSR's step as a linear map over GF(2)^w: column j = image of basis vector e_j.
using Mat = std::array<uint32_t, 32>;

uint32_t apply(const Mat& m, int w, uint32_t v) {
    uint32_t r = 0;
    for (int j = 0; j < w; ++j)
        if ((v >> j) & 1u) r ^= m[static_cast<size_t>(j)];
    return r;
}

Mat multiply(const Mat& a, const Mat& b, int w) {  // a after b
    Mat r{};
    for (int j = 0; j < w; ++j) r[static_cast<size_t>(j)] = apply(a, w, b[static_cast<size_t>(j)]);
    return r;
}

Mat power(Mat m, uint64_t e, int w) {
    Mat r{};
    for (int j = 0; j < w; ++j) r[static_cast<size_t>(j)] = 1u << j;
    while (e) {
        if (e & 1) r = multiply(m, r, w);
        m = multiply(m, m, w);
        e >>= 1;
    }
    return r;
}

Mat step_matrix(int w) {
    Mat m{};
    for (int j = 0; j < w; ++j) {
        LfsrSpec s = spec(w);
        s.seed = 1u << j;
        Lfsr r(s);
        m[static_cast<size_t>(j)] = r.step();
    }
    return m;
}

std::vector<uint64_t> prime_factors(uint64_t n) {
    std::vector<uint64_t> f;
    for (uint64_t p = 2; p * p <= n; ++p)
        if (n % p == 0) {
            f.push_back(p);
            while (n % p == 0) n /= p;
        }
    if (n > 1) f.push_back(n);
    return f;
}

}  // namespace

TEST(Lfsr, DefaultTapsGiveFullPeriodForSmallWidths) {
    for (int w = 2; w <= 18; ++w) {
        const uint64_t full = (uint64_t{1} << w) - 1;
        EXPECT_EQ(lfsr_period(spec(w), full + 1), full) << "width " << w;
        EXPECT_EQ(lfsr_period(spec(w, static_cast<uint32_t>(full)), full + 1), full) << w;
    }
}

// Period exactly 2^w - 1 <=> T^(2^w-1) = I and T^((2^w-1)/p) != I for every prime p | 2^w-1.
TEST(Lfsr, DefaultTapsAreMaximalForEveryWidthUpTo32) {
    for (int w = 2; w <= 32; ++w) {
        const uint64_t full = (uint64_t{1} << w) - 1;
        const Mat t = step_matrix(w);
        const Mat id = power(t, 0, w);
        EXPECT_EQ(power(t, full, w), id) << "width " << w;
        for (uint64_t p : prime_factors(full))
            EXPECT_NE(power(t, full / p, w), id) << "width " << w << " factor " << p;
    }
}

TEST(Lfsr, NonMaximalTapsAreDetected) {
    LfsrSpec s;
    s.width = 4;
    s.taps = {4, 2};  // x^4 + x^2 + 1 = (x^2 + x + 1)^2: not primitive
    s.seed = 1;
    EXPECT_LT(lfsr_period(s, 16), 15u);
    EXPECT_THROW(lfsr_prune_indices(s, 15, 12), Error);
}

// Width 3, taps [3,2], seed 001: states 010 101 011 111 110 100 001, i.e. indices
// 1 4 2 6 5 3 0.
TEST(Lfsr, HandTracedSequenceAndIndexSkipping) {
    Lfsr r(spec(3));
    std::vector<uint32_t> states;
    for (int i = 0; i < 7; ++i) states.push_back(r.step());
    EXPECT_EQ(states, (std::vector<uint32_t>{2, 5, 3, 7, 6, 4, 1}));

    LfsrPruning a = lfsr_prune_indices(spec(3), 5, 3);
    EXPECT_EQ(a.indices, (std::vector<uint32_t>{1, 4, 2}));
    EXPECT_EQ(a.steps, 3u);
    LfsrPruning b = lfsr_prune_indices(spec(3), 4, 3);  // 4, 6, 5 are >= size: skipped
    EXPECT_EQ(b.indices, (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(b.steps, 6u);
    LfsrPruning all = lfsr_prune_indices(spec(3), 7, 7);
    EXPECT_EQ(all.steps, 7u);
    EXPECT_EQ(std::set<uint32_t>(all.indices.begin(), all.indices.end()).size(), 7u);
}

TEST(Lfsr, RejectsBadRegisters) {
    LfsrSpec s = spec(8);
    s.seed = 0;
    EXPECT_THROW(Lfsr{s}, Error);
    s.seed = 256;
    EXPECT_THROW(Lfsr{s}, Error);
    s = spec(8);
    s.taps = {9, 8};
    EXPECT_THROW(Lfsr{s}, Error);
    s.taps = {7, 6};  // top position missing
    EXPECT_THROW(Lfsr{s}, Error);
    EXPECT_THROW(default_lfsr_taps(33), Error);
    EXPECT_THROW(lfsr_prune_indices(spec(4), 16, 3), Error);  // 15 states, 16 weights
}

TEST(Lfsr, WidthForAddressesTheLayer) {
    EXPECT_EQ(lfsr_width_for(1), 2);
    EXPECT_EQ(lfsr_width_for(3), 2);
    EXPECT_EQ(lfsr_width_for(4), 3);
    EXPECT_EQ(lfsr_width_for(7840), 13);
    EXPECT_EQ(lfsr_width_for(8191), 13);
    EXPECT_EQ(lfsr_width_for(8192), 14);
}

TEST(LfsrMask, PrunesTheTargetAndIsRegeneratedFromTheSeedAlone) {
    for (double sp : {0.0, 0.1, 0.5, 0.9}) {
        TwofoldParams p;
        p.sparsity = sp;
        p.lfsr_seed = 77;
        const LayerMask a = lfsr_layer_mask(72, 16, p, 3, "conv2");
        const LayerMask b = lfsr_layer_mask(72, 16, p, 3, "conv2");
        EXPECT_EQ(a.keep, b.keep);
        EXPECT_EQ(a.steps, b.steps);
        EXPECT_EQ(a.size, 72u * 16u);
        const auto pruned = std::count(a.keep.begin(), a.keep.end(), uint8_t{0});
        EXPECT_EQ(static_cast<uint64_t>(pruned), pruned_count(a.size, sp));
        EXPECT_EQ(a.pruned, pruned_count(a.size, sp));
        EXPECT_GE(a.steps, a.pruned);
        // 2^11 - 1 = 2047 states for 1152 weights: at most 2047 steps even when pruning all.
        EXPECT_EQ(a.lfsr.width, 11);
        EXPECT_LE(a.steps, 2047u);
    }
    TwofoldParams p;
    p.lfsr_seed = 77;
    const LayerMask a = lfsr_layer_mask(72, 16, p, 3, "conv2");
    const LayerMask other_node = lfsr_layer_mask(72, 16, p, 4, "conv2");
    p.lfsr_seed = 78;
    const LayerMask other_seed = lfsr_layer_mask(72, 16, p, 3, "conv2");
    EXPECT_NE(a.keep, other_node.keep);
    EXPECT_NE(a.keep, other_seed.keep);
}

TEST(LfsrMask, ExplicitWidthAndTaps) {
    TwofoldParams p;
    p.lfsr_width = 16;
    p.lfsr_taps = {16, 15, 13, 4};
    const LayerMask m = lfsr_layer_mask(100, 10, p, 0, "fc");
    EXPECT_EQ(m.lfsr.width, 16);
    EXPECT_EQ(m.pruned, 500u);
    // ~65535/1000 steps per kept index on average: far more than with the fitted width.
    EXPECT_GT(m.steps, 5000u);
    p.lfsr_width = 9;
    p.lfsr_taps.clear();
    try {
        lfsr_layer_mask(100, 10, p, 0, "fc");
        FAIL() << "a 9-bit register cannot address 1000 weights";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("twofold.lfsr_width"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("'fc'"), std::string::npos);
    }
}
