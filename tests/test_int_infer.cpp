// Post-training quantization and the integer reference: traces are self-consistent integer
// products, inputs stay on their grid, and int8 logits track the float ones.
#include <gtest/gtest.h>

#include <cmath>

#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "quant/ptq.hpp"

using namespace sparsecim;

namespace {

Tensor slice_images(const Dataset& d, int64_t n) {
    Shape s = d.images.shape;
    s[0] = n;
    return Tensor(s,
                  std::vector<float>(d.images.data.begin(), d.images.data.begin() + n * 28 * 28));
}

}  // namespace

class IntInfer : public ::testing::TestWithParam<std::string> {};

TEST_P(IntInfer, TracesAreExactIntegerProductsAndLogitsTrackFloat) {
    const Graph g = make_zoo_model(GetParam(), 3);
    const Dataset train = load_fashion_mnist("train", 64);
    const Dataset test = load_fashion_mnist("test", 8);
    const QuantModel qm = quantize(g, train.images, QuantOptions{});
    ASSERT_FALSE(qm.layers.empty());
    std::vector<LayerTrace> traces;
    const Tensor images = slice_images(test, 8);
    const Tensor yi = run_int(qm, images, &traces);
    ASSERT_EQ(traces.size(), qm.layers.size());
    for (size_t l = 0; l < traces.size(); ++l) {
        const LayerTrace& t = traces[l];
        const WeightMatrix& W = qm.layers[l].weights;
        ASSERT_EQ(t.K, W.K);
        ASSERT_EQ(t.N, W.N);
        ASSERT_EQ(static_cast<int64_t>(t.inputs.size()), t.positions * t.K);
        const int32_t lo = t.in_signed ? -128 : 0, hi = t.in_signed ? 127 : 255;
        for (int32_t v : t.inputs) {
            ASSERT_GE(v, lo);
            ASSERT_LE(v, hi);
        }
        for (int64_t p = 0; p < t.positions; p += 7)
            for (int64_t n = 0; n < t.N; ++n) {
                int64_t acc = 0;
                for (int64_t k = 0; k < t.K; ++k) acc += int64_t{t.input(p)[k]} * W.at(k, n);
                ASSERT_EQ(acc, t.output(p)[n]) << t.layer << " p=" << p << " n=" << n;
            }
        for (int32_t v : W.w) {
            ASSERT_GE(v, -127);
            ASSERT_LE(v, 127);
        }
    }
    // The first layer sees unsigned pixels; the weights use the full int8 range somewhere.
    EXPECT_FALSE(traces[0].in_signed);
    // int8 logits stay close to the float logits (relative to the logit range).
    const Tensor yf = run_float(g, images);
    ASSERT_EQ(yf.shape, yi.shape);
    float range = 0.0f, err = 0.0f;
    for (size_t i = 0; i < yf.data.size(); ++i) {
        range = std::max(range, std::fabs(yf.data[i]));
        err = std::max(err, std::fabs(yf.data[i] - yi.data[i]));
    }
    EXPECT_LT(err, 0.1f * range) << "max |float - int8| logit error " << err << " of " << range;
}

// Without traces, convolutions run in blocks of positions; the logits must not change.
TEST_P(IntInfer, BlockedConvGivesTheTracedLogits) {
    const Graph g = make_zoo_model(GetParam(), 3);
    const Dataset train = load_fashion_mnist("train", 32);
    const Dataset test = load_fashion_mnist("test", 5);
    const QuantModel qm = quantize(g, train.images, QuantOptions{});
    std::vector<LayerTrace> traces;
    const Tensor traced = run_int(qm, test.images, &traces);
    EXPECT_EQ(run_int(qm, test.images).data, traced.data);
}

INSTANTIATE_TEST_SUITE_P(Zoo, IntInfer, ::testing::ValuesIn(zoo_names()));

TEST(Ptq, PerChannelSymmetricWeights) {
    FloatMatrix fm;
    fm.K = 2;
    fm.N = 2;
    fm.w = {0.5f, -0.5f, -2.0f, 0.2f};  // column 0: {0.5, -2}, column 1: {-0.5, 0.2}
    fm.in_block = {1, 1, 1, 1};
    fm.bias = {0.0f, 0.0f};
    QuantLayer L;
    L.name = "t";
    quantize_weights_symmetric(fm, 8, L);
    EXPECT_FLOAT_EQ(L.w_scale[0], 2.0f / 127.0f);
    EXPECT_FLOAT_EQ(L.w_scale[1], 0.5f / 127.0f);
    EXPECT_EQ(L.weights.at(1, 0), -127);
    EXPECT_EQ(L.weights.at(0, 0), 32);  // 0.5 / (2/127) = 31.75
    EXPECT_EQ(L.weights.at(0, 1), -127);
    EXPECT_EQ(L.weights.at(1, 1), 51);  // 0.2 / (0.5/127) = 50.8
}

TEST(Ptq, InputGridUnsignedAfterReluSignedOtherwise) {
    QuantLayer L;
    set_input_scale(InputStats{0.0f, 2.55f}, 8, L);
    EXPECT_FALSE(L.in_signed);
    EXPECT_EQ(quantize_input(1.0f, L), 100);
    EXPECT_EQ(quantize_input(9.0f, L), 255);  // clipped
    EXPECT_EQ(quantize_input(-1.0f, L), 0);
    set_input_scale(InputStats{-1.0f, 1.27f}, 8, L);
    EXPECT_TRUE(L.in_signed);
    EXPECT_EQ(quantize_input(-1.27f, L), -127);
    EXPECT_EQ(quantize_input(-5.0f, L), -128);
}
