// twofold's regulariser pieces (the finetune hook's building blocks): group lasso on kept
// weights and its gradient, the bit-plane ones penalty, and their layer-size-weighted sum.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "model/zoo.hpp"
#include "schemes/twofold/quant.hpp"
#include "schemes/twofold/regularizer.hpp"
#include "train/masks.hpp"

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

namespace {

// Weights whose u = w / s x 127 sit at the given integers plus fractions well inside (0.2, 0.8),
// with the largest |w| = s exactly on the grid (u = +-127).
std::vector<float> off_grid_weights(float s) {
    const int q[] = {127, 5, -3, 64, -100, 0, 7, -1, 33};
    const float frac[] = {0.0f, 0.3f, 0.6f, 0.25f, 0.7f, 0.4f, 0.5f, 0.35f, 0.65f};
    std::vector<float> w;
    for (size_t i = 0; i < 9; ++i) w.push_back((static_cast<float>(q[i]) + frac[i]) * s / 127.0f);
    return w;
}

}  // namespace

TEST(TwofoldReg, RelaxedBitPenaltyEqualsTheCountOnTheGrid) {
    FloatMatrix fm;
    fm.K = 3;
    fm.N = 3;
    fm.bias = {0, 0, 0};
    const std::vector<uint8_t> keep = {1, 1, 1, 1, 1, 0, 1, 1, 1};
    for (float s : {0.37f, 2.0f}) {
        fm.w.clear();
        for (int q : {127, 5, -3, 64, -100, 0, 7, -1, -127}) fm.w.push_back(q * s / 127.0f);
        QuantLayer ql;
        scaled_quantize(fm, keep, 8, ql);
        const ValueGrad r = bit_ones_relaxed(fm.w, keep, 8);
        EXPECT_NEAR(r.value, bit_ones_penalty(ql.weights, 8), 1e-4) << s;
    }
    // By hand, 4 bits (qmax 7), s = 1: u = 3.5 -> ones between 3 (2) and 4 (1) = 1.5; u = -7: -7
    // = 1001 (2 ones); a pruned weight counts nothing.
    const std::vector<float> w = {0.5f, -1.0f, 0.9f};
    const ValueGrad h = bit_ones_relaxed(w, std::vector<uint8_t>{1, 1, 0}, 4);
    EXPECT_NEAR(h.value, std::sqrt(1.5 * 1.5 + 4.0), 1e-9);
    EXPECT_EQ(h.grad[2], 0.0f);
    // d/dw0 = c0 x slope0 / P x qmax / s = 1.5 x (-1) / 2.5 x 7.
    EXPECT_NEAR(h.grad[0], 1.5 * -1.0 / 2.5 * 7.0, 1e-5);
    EXPECT_THROW(bit_ones_relaxed(w, std::vector<uint8_t>{1, 1}, 4), Error);
    EXPECT_EQ(bit_ones_relaxed(std::vector<float>{0, 0}, std::vector<uint8_t>{1, 1}, 8).value, 0.0);
}

TEST(TwofoldReg, RelaxedBitPenaltyGradientMatchesFiniteDifferences) {
    for (float s : {0.4f, 1.5f}) {
        std::vector<float> w = off_grid_weights(s);
        w[0] = -w[0];  // the largest weight negative: the path through s takes its sign
        const std::vector<uint8_t> keep = {1, 1, 1, 1, 1, 1, 1, 0, 1};
        const ValueGrad r = bit_ones_relaxed(w, keep, 8);
        ASSERT_GT(r.value, 0.0);
        for (size_t i = 0; i < w.size(); ++i) {
            // A step moving every u by under 0.05: no segment boundary is crossed.
            const float h = 0.02f * s / 127.0f;
            std::vector<float> a = w, b = w;
            a[i] += h;
            b[i] -= h;
            const double fd =
                (bit_ones_relaxed(a, keep, 8).value - bit_ones_relaxed(b, keep, 8).value) /
                (double{a[i]} - double{b[i]});
            EXPECT_NEAR(r.grad[i], fd, 2e-3 * std::max(1.0, std::fabs(fd))) << s << " " << i;
        }
    }
}

TEST(TwofoldReg, FinetuneHookIsLambdaGroupLassoPlusSizeWeightedBitPenalty) {
    const Graph g = make_zoo_model("tiny-cnn", 5);
    MaskSet masks = masks_from_zeros(g);
    // Prune every third weight of every layer.
    for (auto& [name, m] : masks)
        for (size_t i = 0; i < m.size(); i += 3) m[i] = 0;
    TwofoldParams p;
    p.lambda = 0.3;
    p.beta = 0.02;
    double total = 0.0;
    for (const auto& name : weight_constants(g))
        total += static_cast<double>(g.constant(name).data.size());
    for (LassoGroup grp : {LassoGroup::Layer, LassoGroup::Column, LassoGroup::Row}) {
        p.lasso_group = grp;
        const RegularizerFn reg = make_twofold_regularizer(g, masks, p);
        int layers = 0;
        for (const Node& n : g.nodes) {
            if (!is_weight_layer(g, n)) continue;
            ++layers;
            const Tensor& W = g.constant(weight_name(n));
            // Expected, computed on float_weight_matrix's K x N matrix (placed by the same
            // weight_matrix_layout, whose positions test_conv_transpose checks by hand).
            const FloatMatrix fm = float_weight_matrix(g, n);
            Graph masked = g;
            apply_masks(masked, masks);
            const FloatMatrix mm = float_weight_matrix(masked, n);
            std::vector<uint8_t> keep(fm.w.size());
            for (size_t i = 0; i < keep.size(); ++i) keep[i] = fm.in_block[i] && mm.w[i] != 0.0f;
            const double share = static_cast<double>(W.data.size()) / total;
            const double expected = p.lambda * group_lasso(fm.w, keep, fm.K, fm.N, grp) +
                                    p.beta * share * bit_ones_relaxed(fm.w, keep, 8).value;
            Tensor grad(W.shape, 0.0f);
            const double v = reg(weight_name(n), W, grad);
            EXPECT_NEAR(v, expected, 1e-9 * std::max(1.0, expected)) << n.name;
            // The gradient is the K x N gradients scattered back through the layout (checked
            // against float_weight_matrix), and matches finite differences on elements whose
            // u = w / s x 127 is not near an integer (a kink of the relaxation).
            const MatrixLayout lay = weight_matrix_layout(g, n);
            const std::vector<float> gl = group_lasso_grad(fm.w, keep, fm.K, fm.N, grp);
            const ValueGrad bit = bit_ones_relaxed(fm.w, keep, 8);
            double s = 0.0;
            for (size_t k = 0; k < keep.size(); ++k)
                if (keep[k]) s = std::max(s, std::fabs(double{fm.w[k]}));
            const auto& m = masks.at(weight_name(n));
            int checked = 0;
            for (size_t i = 0; i < W.data.size(); ++i) {
                const size_t at = static_cast<size_t>(lay.pos[i]);
                ASSERT_EQ(fm.w[at], W.data[i]);
                EXPECT_NEAR(grad.data[i], p.lambda * gl[at] + p.beta * share * bit.grad[at], 1e-6)
                    << n.name << " " << i;
                if (!m[i]) {
                    EXPECT_EQ(grad.data[i], 0.0f);
                    continue;
                }
                const double u = W.data[i] / s * 127.0;
                if (std::fabs(u - std::round(u)) < 0.05 || std::fabs(W.data[i]) >= s || i % 13 != 0)
                    continue;
                Tensor a = W, b = W, scratch(W.shape, 0.0f);
                const float h = 1e-4f * std::fabs(W.data[i]);
                a.data[i] += h;
                b.data[i] -= h;
                const double fd =
                    (reg(weight_name(n), a, scratch) - reg(weight_name(n), b, scratch)) /
                    (double{a.data[i]} - double{b.data[i]});
                EXPECT_NEAR(grad.data[i], fd, 1e-2 * std::max(1e-3, std::fabs(fd)))
                    << n.name << " " << i;
                ++checked;
            }
            EXPECT_GT(checked, 0) << n.name;
        }
        EXPECT_GT(layers, 1);
        Tensor unused({1}, 0.0f);
        EXPECT_EQ(reg("not-a-weight", unused, unused), 0.0);
    }
}
