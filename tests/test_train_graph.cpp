// Graph <-> LibTorch: the LibTorch forward of every zoo model (and of a graph exercising the
// awkward attribute forms: asymmetric pads, groups, dilations, ceil_mode, count_include_pad,
// Clip/Concat/Reshape/MatMul/Add/Softmax) equals the float reference on real Fashion-MNIST
// images; weights survive the round trip; unsupported forms are errors naming the node.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "infer/float_infer.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "train/graph_module.hpp"

using namespace sparsecim;

namespace {

using Ints = std::vector<int64_t>;

const Dataset& images() {
    static const Dataset d = load_fashion_mnist("test", 16);
    return d;
}

// Largest |a - b| relative to max(1, |b|).
double max_rel_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape, b.shape);
    double worst = 0.0;
    for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i)
        worst = std::max(worst, std::fabs(static_cast<double>(a.data[i]) - b.data[i]) /
                                    std::max(1.0, std::fabs(static_cast<double>(b.data[i]))));
    return worst;
}

Node make(OpKind op, const std::string& name, std::vector<std::string> ins,
          std::map<std::string, AttrValue> attrs = {}) {
    Node n;
    n.op = op;
    n.name = name;
    n.inputs = std::move(ins);
    n.outputs = {name + "_out"};
    n.attrs = std::move(attrs);
    return n;
}

Tensor seeded(Shape s, uint32_t seed, float scale) {
    Tensor t(std::move(s));
    uint32_t x = seed;
    for (float& v : t.data) {
        x = x * 1664525u + 1013904223u;
        v = (static_cast<float>(x >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
    }
    return t;
}

// A graph with the attribute forms the zoo does not use.
Graph odd_forms_graph() {
    Graph g;
    g.name = g.source = "odd-forms";
    g.inputs.push_back({"input", {-1, 1, 28, 28}});
    g.constants["w1"] = seeded({4, 1, 3, 3}, 1, 0.5f);
    g.constants["b1"] = seeded({4}, 2, 0.1f);
    g.constants["w2"] = seeded({4, 2, 3, 3}, 3, 0.4f);
    g.constants["lo"] = Tensor({}, std::vector<float>{0.0f});
    g.constants["hi"] = Tensor({}, std::vector<float>{1.5f});
    g.nodes.push_back(make(OpKind::Conv, "conv_asym", {"input", "w1", "b1"},
                           {{"strides", Ints{2, 2}}, {"pads", Ints{0, 1, 1, 0}}}));  // 4x14x14
    g.nodes.push_back(make(OpKind::Relu, "relu", {"conv_asym_out"}));
    g.nodes.push_back(make(OpKind::Conv, "conv_group_dil", {"relu_out", "w2"},
                           {{"group", int64_t{2}},
                            {"dilations", Ints{2, 2}},
                            {"pads", Ints{2, 2, 2, 2}}}));  // 4x14x14
    g.nodes.push_back(make(OpKind::Clip, "clip", {"conv_group_dil_out", "lo", "hi"}));
    g.nodes.push_back(make(OpKind::MaxPool, "maxpool_ceil", {"clip_out"},
                           {{"kernel_shape", Ints{3, 3}},
                            {"strides", Ints{2, 2}},
                            {"pads", Ints{1, 1, 0, 0}},
                            {"ceil_mode", int64_t{1}}}));
    g.nodes.push_back(make(OpKind::AveragePool, "avg_excl", {"maxpool_ceil_out"},
                           {{"kernel_shape", Ints{2, 2}},
                            {"strides", Ints{2, 2}},
                            {"pads", Ints{0, 0, 1, 1}},
                            {"ceil_mode", int64_t{1}}}));
    g.nodes.push_back(make(OpKind::AveragePool, "avg_incl", {"maxpool_ceil_out"},
                           {{"kernel_shape", Ints{2, 2}},
                            {"strides", Ints{2, 2}},
                            {"pads", Ints{0, 0, 1, 1}},
                            {"ceil_mode", int64_t{1}},
                            {"count_include_pad", int64_t{1}}}));
    g.nodes.push_back(make(OpKind::Concat, "concat", {"avg_excl_out", "avg_incl_out"}));
    g.constants["shape"] = Tensor({2}, std::vector<float>{0.0f, -1.0f});
    g.nodes.push_back(make(OpKind::Reshape, "reshape", {"concat_out", "shape"}));
    // Size of the reshaped features, from the float reference.
    g.outputs = {"reshape_out"};
    const int64_t feat = run_float(g, Tensor({1, 1, 28, 28}, 0.5f)).dim(1);
    g.constants["wm"] = seeded({feat, 10}, 4, 0.3f);
    g.constants["bm"] = seeded({10}, 5, 0.1f);
    g.nodes.push_back(make(OpKind::MatMul, "matmul", {"reshape_out", "wm"}));
    g.nodes.push_back(make(OpKind::Add, "add", {"matmul_out", "bm"}));
    g.nodes.push_back(make(OpKind::Softmax, "softmax", {"add_out"}, {{"axis", int64_t{1}}}));
    g.outputs = {"softmax_out"};
    return g;
}

}  // namespace

class TorchForward : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchForward, EqualsFloatReferenceOnFashionMnist) {
    const Graph g = make_zoo_model(GetParam(), 3);
    const GraphModule m(g);
    const Tensor ref = run_float(g, images().images);
    const Tensor got = m.forward(images().images);
    EXPECT_LE(max_rel_diff(got, ref), 1e-4) << GetParam();
    // The same after ONNX export and import (BatchNorm folded into the convs).
    const Graph imported = import_onnx_bytes(export_onnx_bytes(g), "roundtrip");
    EXPECT_LE(max_rel_diff(GraphModule(imported).forward(images().images), ref), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Zoo, TorchForward,
                         ::testing::Values("tiny-cnn", "lenet", "resnet-mini", "concat-net",
                                           "vgg-small", "resnet20"));

TEST(TorchGraph, OddAttributeFormsEqualFloatReference) {
    const Graph g = odd_forms_graph();
    const Tensor ref = run_float(g, images().images);
    EXPECT_EQ(ref.shape, (Shape{16, 10}));
    EXPECT_LE(max_rel_diff(GraphModule(g).forward(images().images), ref), 1e-5);
}

TEST(TorchGraph, ParametersAreTheWeightConstantsAndRoundTrip) {
    const Graph g = make_zoo_model("resnet-mini", 2);
    const GraphModule m(g);
    const auto names = m.parameter_names();
    // Conv weights, Gemm weight and bias, BN scale and bias; not BN mean/var.
    EXPECT_NE(std::find(names.begin(), names.end(), "stem.weight"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "fc.bias"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "stem_bn.scale"), names.end());
    EXPECT_EQ(std::find(names.begin(), names.end(), "stem_bn.mean"), names.end());
    const Graph back = m.to_graph();
    ASSERT_EQ(back.constants.size(), g.constants.size());
    for (const auto& [name, t] : g.constants) {
        EXPECT_EQ(back.constant(name).shape, t.shape) << name;
        EXPECT_EQ(back.constant(name).data, t.data) << name;
    }
}

TEST(TorchGraph, UnsupportedFormsNameTheNode) {
    Graph g = make_zoo_model("tiny-cnn", 1);
    for (auto& n : g.nodes)
        if (n.name == "pool1") n.outputs.push_back("pool1_indices");
    try {
        GraphModule m(g);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("pool1"), std::string::npos) << e.what();
    }
    Graph h = make_zoo_model("lenet", 1);
    for (auto& n : h.nodes)
        if (n.name == "pool2") n.attrs["dilations"] = Ints{2, 2};
    EXPECT_THROW(GraphModule{h}, Error);
}
