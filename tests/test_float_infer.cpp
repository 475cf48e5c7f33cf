// Float inference: hand-computed Conv (stride, pad, dilation, group) and pooling (ceil_mode),
// Gemm/MatMul/Add broadcasting, Softmax opset variants, the weight-layer hook, the zoo models
// and their speed.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>

#include "core/error.hpp"
#include "infer/float_infer.hpp"
#include "model/zoo.hpp"

using namespace sparsecim;

namespace {

Node make_node(OpKind op, std::map<std::string, AttrValue> attrs = {}, size_t outputs = 1) {
    Node n;
    n.op = op;
    n.name = std::string("t_") + op_name(op);
    n.attrs = std::move(attrs);
    for (size_t i = 0; i < outputs; ++i) n.outputs.push_back("y" + std::to_string(i));
    return n;
}

Tensor eval1(const Node& n, std::vector<const Tensor*> ins, int64_t opset = 13) {
    return eval_node(n, ins, opset).at(0);
}

// x[i][j] = 4i + j + 1 as a 1x1x4x4 image.
Tensor ramp4x4() {
    Tensor t({1, 1, 4, 4});
    for (int i = 0; i < 16; ++i) t.data[i] = static_cast<float>(i + 1);
    return t;
}

using Ints = std::vector<int64_t>;
using Floats = std::vector<float>;

}  // namespace

TEST(FloatInfer, ConvStride2Pad1) {
    const Tensor x = ramp4x4();
    const Tensor w({1, 1, 3, 3}, 1.0f);
    const Node n = make_node(OpKind::Conv, {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
    const Tensor y = eval1(n, {&x, &w});
    EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
    // windows: {1,2,5,6}, {2,3,4,6,7,8}, {5,6,9,10,13,14}, {6..8,10..12,14..16}
    EXPECT_EQ(y.data, (Floats{14, 30, 57, 99}));
}

TEST(FloatInfer, ConvDilation2) {
    const Tensor x = ramp4x4();
    const Tensor w({1, 1, 2, 2}, Floats{1, 10, 100, 1000});
    const Node n = make_node(OpKind::Conv, {{"dilations", Ints{2, 2}}});
    const Tensor y = eval1(n, {&x, &w});
    EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
    // out(0,0) = x00 + 10 x02 + 100 x20 + 1000 x22 = 1 + 30 + 900 + 11000
    EXPECT_EQ(y.data, (Floats{11931, 13042, 16375, 17486}));
}

TEST(FloatInfer, ConvGroupsDoNotMixChannelsAndAddBias) {
    const Tensor x({1, 2, 2, 2}, Floats{1, 2, 3, 4, 10, 20, 30, 40});
    const Tensor w({2, 1, 1, 1}, Floats{2, 3});
    const Tensor b({2}, Floats{0.5f, -1});
    const Node n = make_node(OpKind::Conv, {{"group", int64_t{2}}});
    const Tensor y = eval1(n, {&x, &w, &b});
    EXPECT_EQ(y.shape, (Shape{1, 2, 2, 2}));
    EXPECT_EQ(y.data, (Floats{2.5f, 4.5f, 6.5f, 8.5f, 29, 59, 89, 119}));
}

TEST(FloatInfer, ConvAsymmetricPadsAndSameUpper) {
    const Tensor x = ramp4x4();
    const Tensor w({1, 1, 2, 2}, 1.0f);
    // pads top=1, left=0, bottom=0, right=1 -> 4x4 output; first row sums x[0][j..j+1]
    const Node a = make_node(OpKind::Conv, {{"pads", Ints{1, 0, 0, 1}}});
    const Tensor ya = eval1(a, {&x, &w});
    EXPECT_EQ(ya.shape, (Shape{1, 1, 4, 4}));
    EXPECT_EQ(Floats(ya.data.begin(), ya.data.begin() + 4), (Floats{3, 5, 7, 4}));
    // SAME_UPPER with an even kernel pads at the end: same result as pads {0,0,1,1}.
    const Node s = make_node(OpKind::Conv, {{"auto_pad", std::string("SAME_UPPER")}});
    const Tensor ys = eval1(s, {&x, &w});
    EXPECT_EQ(ys.shape, (Shape{1, 1, 4, 4}));
    EXPECT_FLOAT_EQ(ys.data[0], 1 + 2 + 5 + 6);
    EXPECT_FLOAT_EQ(ys.data[15], 16);
}

TEST(FloatInfer, MaxPoolCeilMode) {
    const Tensor x = ramp4x4();
    const Node floor_mode =
        make_node(OpKind::MaxPool, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}});
    const Tensor yf = eval1(floor_mode, {&x});
    EXPECT_EQ(yf.shape, (Shape{1, 1, 1, 1}));
    EXPECT_EQ(yf.data, (Floats{11}));
    Node ceil_mode = floor_mode;
    ceil_mode.attrs["ceil_mode"] = int64_t{1};
    const Tensor yc = eval1(ceil_mode, {&x});
    EXPECT_EQ(yc.shape, (Shape{1, 1, 2, 2}));
    EXPECT_EQ(yc.data, (Floats{11, 12, 15, 16}));
}

TEST(FloatInfer, AveragePoolCeilModeAndPadCounting) {
    const Tensor x = ramp4x4();
    Node n = make_node(
        OpKind::AveragePool,
        {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}});
    const Tensor y = eval1(n, {&x});
    EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
    // (0,1): rows 0..2, cols 2..3 -> (3+4+7+8+11+12)/6
    EXPECT_FLOAT_EQ(y.data[0], 6.0f);
    EXPECT_FLOAT_EQ(y.data[1], 7.5f);
    EXPECT_FLOAT_EQ(y.data[3], (11 + 12 + 15 + 16) / 4.0f);
    // pads 1 all round, kernel 2, stride 2: corner window holds only x00.
    Node p = make_node(
        OpKind::AveragePool,
        {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
    EXPECT_FLOAT_EQ(eval1(p, {&x}).data[0], 1.0f);
    p.attrs["count_include_pad"] = int64_t{1};
    EXPECT_FLOAT_EQ(eval1(p, {&x}).data[0], 0.25f);
}

TEST(FloatInfer, GemmAttributesAndBiasBroadcast) {
    const Tensor a({3, 2}, Floats{1, 2, 3, 4, 5, 6});  // A^T is [[1,3,5],[2,4,6]]
    const Tensor b({2, 3}, Floats{1, 0, 0, 0, 1, 1});  // B^T is [[1,0],[0,1],[0,1]]
    const Tensor c({2}, Floats{10, 20});               // broadcast over rows
    const Node n = make_node(
        OpKind::Gemm,
        {{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 2.0f}, {"beta", 0.5f}});
    const Tensor y = eval1(n, {&a, &b, &c});
    EXPECT_EQ(y.shape, (Shape{2, 2}));
    // A^T B^T = [[1, 8], [2, 10]]
    EXPECT_EQ(y.data, (Floats{2 + 5, 16 + 10, 4 + 5, 20 + 10}));
}

TEST(FloatInfer, MatMulBatchedBroadcastMatchesNaive) {
    std::mt19937_64 rng(1);
    auto fill = [&](Tensor t) {
        for (float& v : t.data) v = static_cast<float>(static_cast<int>(rng() % 7) - 3);
        return t;
    };
    const Tensor a = fill(Tensor({2, 1, 2, 3}));
    const Tensor b = fill(Tensor({3, 3, 4}));
    const Tensor y = eval1(make_node(OpKind::MatMul), {&a, &b});
    ASSERT_EQ(y.shape, (Shape{2, 3, 2, 4}));
    for (int p = 0; p < 2; ++p)
        for (int q = 0; q < 3; ++q)
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 4; ++j) {
                    float s = 0;
                    for (int k = 0; k < 3; ++k)
                        s += a.data[(p * 2 + i) * 3 + k] * b.data[(q * 3 + k) * 4 + j];
                    EXPECT_EQ(y.data[((p * 3 + q) * 2 + i) * 4 + j], s);
                }
    const Tensor v({3}, Floats{1, 1, 1});  // 1-D operand: promoted then squeezed
    EXPECT_EQ(eval1(make_node(OpKind::MatMul), {&v, &b}).shape, (Shape{3, 4}));
}

TEST(FloatInfer, AddBroadcastsBothWays) {
    const Tensor col({2, 1}, Floats{1, 2});
    const Tensor row({1, 3}, Floats{10, 20, 30});
    const Tensor y = eval1(make_node(OpKind::Add), {&col, &row});
    EXPECT_EQ(y.shape, (Shape{2, 3}));
    EXPECT_EQ(y.data, (Floats{11, 21, 31, 12, 22, 32}));
    const Tensor bad({4}, 0.0f);
    EXPECT_THROW(eval1(make_node(OpKind::Add), {&row, &bad}), Error);
}

TEST(FloatInfer, SoftmaxOpsetSemantics) {
    const Tensor x({1, 2, 2}, Floats{0, 0, 0, std::log(3.0f)});
    Node n = make_node(OpKind::Softmax, {{"axis", int64_t{1}}});
    // opset 13: along axis 1 only -> columns {0,0} and {0,log3}
    const Tensor y13 = eval1(n, {&x}, 13);
    EXPECT_NEAR(y13.data[0], 0.5f, 1e-6);
    EXPECT_NEAR(y13.data[1], 0.25f, 1e-6);
    EXPECT_NEAR(y13.data[3], 0.75f, 1e-6);
    // opset 11: coerced to [1, 4] -> all four entries share one normaliser (1+1+1+3)
    const Tensor y11 = eval1(n, {&x}, 11);
    EXPECT_NEAR(y11.data[0], 1.0f / 6, 1e-6);
    EXPECT_NEAR(y11.data[3], 0.5f, 1e-6);
}

TEST(FloatInfer, ReshapeFlattenConcatClip) {
    const Tensor x({2, 3, 4}, 1.0f);
    const Tensor shape({2}, Floats{0, -1});
    EXPECT_EQ(eval1(make_node(OpKind::Reshape), {&x, &shape}).shape, (Shape{2, 12}));
    const Tensor zero_shape({2}, Floats{0, 24});
    const Tensor empty({0, 3}, Floats{});
    Node az = make_node(OpKind::Reshape, {{"allowzero", int64_t{1}}});
    EXPECT_EQ(eval1(az, {&empty, &zero_shape}).shape, (Shape{0, 24}));
    EXPECT_EQ(eval1(make_node(OpKind::Flatten, {{"axis", int64_t{-1}}}), {&x}).shape,
              (Shape{6, 4}));
    const Tensor a({1, 2}, Floats{1, 2}), b({1, 1}, Floats{3});
    const Tensor c = eval1(make_node(OpKind::Concat, {{"axis", int64_t{-1}}}), {&a, &b});
    EXPECT_EQ(c.shape, (Shape{1, 3}));
    EXPECT_EQ(c.data, (Floats{1, 2, 3}));
    const Tensor v({4}, Floats{-1, 3, 7, 5});
    const Tensor lo({}, Floats{0}), hi({}, Floats{6});
    EXPECT_EQ(eval1(make_node(OpKind::Clip), {&v, &lo, &hi}).data, (Floats{0, 3, 6, 5}));
    EXPECT_EQ(eval1(make_node(OpKind::Clip), {&v, nullptr, &hi}).data, (Floats{-1, 3, 6, 5}));
}

TEST(FloatInfer, BatchNormInference) {
    const Tensor x({1, 2, 1, 2}, Floats{1, 2, 3, 4});
    const Tensor s({2}, Floats{2, 1}), b({2}, Floats{0, 1}), m({2}, Floats{1, 0}),
        v({2}, Floats{4, 1});
    Node n = make_node(OpKind::BatchNormalization, {{"epsilon", 0.0f}});
    const Tensor y = eval1(n, {&x, &s, &b, &m, &v});
    EXPECT_EQ(y.data, (Floats{0, 1, 4, 5}));
}

TEST(FloatInfer, ErrorsNameTheNode) {
    const Tensor x({1, 2, 4, 4}, 1.0f);
    const Tensor w({1, 3, 3, 3}, 1.0f);  // 3 input channels vs 2
    Node n = make_node(OpKind::Conv);
    n.name = "conv_mismatch";
    try {
        eval1(n, {&x, &w});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("conv_mismatch"), std::string::npos) << e.what();
    }
    Graph g = make_zoo_model("tiny-cnn", 1);
    try {
        run_graph(g, {{"input", Tensor({1, 1, 27, 28})}});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'input'"), std::string::npos) << e.what();
    }
}

TEST(FloatInfer, WeightLayerHookCalledForWeightLayersOnly) {
    const Graph g = make_zoo_model("resnet-mini", 4);
    Tensor x({2, 1, 28, 28});
    std::mt19937_64 rng(8);
    for (float& v : x.data) v = static_cast<float>(rng() >> 40) / 16777216.0f;
    std::vector<size_t> seen;
    const WeightLayerFn hook = [&](size_t i, const Node& n, const Tensor& in) {
        seen.push_back(i);
        EXPECT_TRUE(is_weight_layer(g, n));
        std::vector<const Tensor*> ins = {&in, &g.constant(n.inputs[1])};
        if (n.inputs.size() > 2) ins.push_back(&g.constant(n.inputs[2]));
        return eval_node(n, ins).at(0);
    };
    const auto plain = run_graph(g, {{"input", x}});
    const auto hooked = run_graph(g, {{"input", x}}, hook);
    size_t expected = 0;
    for (const auto& n : g.nodes) expected += is_weight_layer(g, n);
    EXPECT_EQ(seen.size(), expected);
    EXPECT_EQ(expected, 7u);  // stem, 2 + 2 block convs, projection, fc
    EXPECT_EQ(plain.at("logits").data, hooked.at("logits").data);
    // A hook that zeroes everything changes the result: it really is used.
    const WeightLayerFn zero = [&](size_t, const Node& n, const Tensor& in) {
        std::vector<const Tensor*> ins = {&in, &g.constant(n.inputs[1])};
        Tensor y = eval_node(n, ins).at(0);
        std::fill(y.data.begin(), y.data.end(), 0.0f);
        return y;
    };
    EXPECT_NE(run_graph(g, {{"input", x}}, zero).at("logits").data, plain.at("logits").data);
}

TEST(Zoo, AllModelsRunDeterministically) {
    Tensor x({2, 1, 28, 28});
    for (int64_t i = 0; i < x.size(); ++i) x.data[i] = static_cast<float>(i % 29) / 29.0f;
    for (const auto& name : zoo_names()) {
        SCOPED_TRACE(name);
        const Graph g = make_zoo_model(name, 17);
        ASSERT_EQ(g.inputs.size(), 1u);
        EXPECT_EQ(g.inputs[0].name, "input");
        EXPECT_EQ(g.inputs[0].shape, (Shape{-1, 1, 28, 28}));
        EXPECT_EQ(g.outputs, std::vector<std::string>{"logits"});
        const Tensor y = run_graph(g, {{"input", x}}).at("logits");
        EXPECT_EQ(y.shape, (Shape{2, 10}));
        float spread = 0;
        for (float v : y.data) {
            EXPECT_TRUE(std::isfinite(v));
            spread = std::max(spread, std::fabs(v - y.data[0]));
        }
        EXPECT_GT(spread, 1e-4f);
        const Graph same = make_zoo_model(name, 17);
        for (const auto& [cname, t] : g.constants) EXPECT_EQ(t.data, same.constant(cname).data);
        const Graph other = make_zoo_model(name, 18);
        EXPECT_NE(run_graph(other, {{"input", x}}).at("logits").data, y.data);
    }
    EXPECT_THROW(make_zoo_model("vgg", 1), Error);
}

TEST(Zoo, PortableWeightMapping) {
    // First conv weight of tiny-cnn for seed 0: top 24 bits of the first mt19937_64 draw,
    // mapped to [-1,1) and scaled by sqrt(6/9). Pins the mapping so it cannot drift.
    std::mt19937_64 rng(0);
    const float u = static_cast<float>(rng() >> 40) * (2.0f / 16777216.0f) - 1.0f;
    const Graph g = make_zoo_model("tiny-cnn", 0);
    EXPECT_FLOAT_EQ(g.constant("conv1.weight").data[0], u * std::sqrt(6.0f / 9.0f));
    for (float v : g.constant("bn1.var").data) EXPECT_GE(v, 0.5f);
}

TEST(Zoo, TinyCnnThroughput) {
    const Graph g = make_zoo_model("tiny-cnn", 1);
    Tensor x({64, 1, 28, 28}, 0.5f);
    const auto t0 = std::chrono::steady_clock::now();
    const auto y = run_graph(g, {{"input", x}});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "tiny-cnn: " << 64 / s * 60 << " images/minute\n";
    EXPECT_LT(s, 6.0);  // at least ~640 images/minute even on a loaded debug build
}
