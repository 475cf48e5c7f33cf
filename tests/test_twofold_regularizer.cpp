// twofold's regulariser pieces (the finetune hook's building blocks): group lasso on kept
// weights and its gradient, the bit-plane ones penalty, and their layer-size-weighted sum.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "schemes/twofold/quant.hpp"
#include "schemes/twofold/regularizer.hpp"

using namespace sparsecim;

TEST(TwofoldReg, GroupLassoOnKeptWeightsByHand) {
    // W = [[3, 4], [1, -12]], keep = [[1, 1], [0, 1]].
    const std::vector<float> w = {3, 4, 1, -12};
    const std::vector<uint8_t> keep = {1, 1, 0, 1};
    EXPECT_DOUBLE_EQ(group_lasso(w, keep, 2, 2, LassoGroup::Layer), 13.0);  // sqrt(9+16+144)
    EXPECT_DOUBLE_EQ(group_lasso(w, keep, 2, 2, LassoGroup::Column), 3.0 + std::sqrt(160.0));
    EXPECT_DOUBLE_EQ(group_lasso(w, keep, 2, 2, LassoGroup::Row), 5.0 + 12.0);
    const std::vector<float> g = group_lasso_grad(w, keep, 2, 2, LassoGroup::Layer);
    EXPECT_FLOAT_EQ(g[0], 3.0f / 13.0f);
    EXPECT_FLOAT_EQ(g[1], 4.0f / 13.0f);
    EXPECT_FLOAT_EQ(g[2], 0.0f);  // pruned: no gradient
    EXPECT_FLOAT_EQ(g[3], -12.0f / 13.0f);
    const std::vector<float> gr = group_lasso_grad(w, keep, 2, 2, LassoGroup::Row);
    EXPECT_FLOAT_EQ(gr[3], -1.0f);
    // A zero group has subgradient 0, not NaN.
    const std::vector<float> z =
        group_lasso_grad(std::vector<float>{0, 0}, std::vector<uint8_t>{1, 1}, 1, 2);
    EXPECT_EQ(z, (std::vector<float>{0.0f, 0.0f}));
    EXPECT_THROW(group_lasso(w, keep, 3, 2), Error);
}

TEST(TwofoldReg, GroupLassoGradientMatchesFiniteDifferences) {
    const std::vector<float> w = {0.3f, -0.7f, 0.2f, 0.9f, -0.1f, 0.5f};
    const std::vector<uint8_t> keep = {1, 0, 1, 1, 1, 1};
    for (LassoGroup grp : {LassoGroup::Layer, LassoGroup::Column, LassoGroup::Row}) {
        const std::vector<float> g = group_lasso_grad(w, keep, 2, 3, grp);
        for (size_t i = 0; i < w.size(); ++i) {
            std::vector<float> a = w, b = w;
            a[i] += 1e-3f;
            b[i] -= 1e-3f;
            const double fd =
                (group_lasso(a, keep, 2, 3, grp) - group_lasso(b, keep, 2, 3, grp)) / 2e-3;
            EXPECT_NEAR(g[i], fd, 1e-3) << i;
        }
    }
}

TEST(TwofoldReg, BitOnesPenaltyCountsTwosComplementOnes) {
    WeightMatrix wq("l", 2, 2, 8);
    wq.w = {-1, 3, 0, -128};  // ones: 8, 2, 0, 1
    EXPECT_EQ(bit_ones_counts(wq, 8), (std::vector<int>{8, 2, 0, 1}));
    EXPECT_DOUBLE_EQ(bit_ones_penalty(wq, 8), std::sqrt(69.0));
    wq.w = {-1, 3, 0, -8};  // 4 bits: 1111, 0011, 0000, 1000
    EXPECT_DOUBLE_EQ(bit_ones_penalty(wq, 4), std::sqrt(16.0 + 4.0 + 0.0 + 1.0));
    wq.w[0] = 8;
    EXPECT_THROW(bit_ones_penalty(wq, 4), Error);
}

TEST(TwofoldReg, NetworkSumWeightsLayersBySize) {
    RegLayer a;
    a.K = 1;
    a.N = 2;
    a.w = {0.6f, -0.8f};
    a.keep = {1, 1};
    FloatMatrix fa;
    fa.K = 1;
    fa.N = 2;
    fa.w = a.w;
    fa.bias = {0, 0};
    QuantLayer qa;
    scaled_quantize(fa, a.keep, 8, qa);  // s = 0.8: 95, -127
    a.wq = qa.weights;
    RegLayer b;
    b.K = 2;
    b.N = 3;
    b.w = {1, 0, 0, 0, 0, 0};
    b.keep = {1, 1, 1, 1, 1, 0};
    b.wq = WeightMatrix("b", 2, 3, 8);
    b.wq.w = {127, 0, 0, 0, 0, 0};                        // 01111111: 7 ones
    ASSERT_EQ(a.wq.w, (std::vector<int32_t>{95, -127}));  // 01011111 (6), 10000001 (2)
    const TwofoldReg r = twofold_regulariser({a, b}, 0.5, 2.0, 8);
    EXPECT_NEAR(r.net, 0.5 * (1.0 + 1.0), 1e-6);  // float weights: 0.6^2 + 0.8^2 ~ 1
    EXPECT_NEAR(r.bit, 2.0 * (2.0 / 8.0 * std::sqrt(36.0 + 4.0) + 6.0 / 8.0 * 7.0), 1e-12);
    EXPECT_DOUBLE_EQ(r.total(), r.net + r.bit);
}
