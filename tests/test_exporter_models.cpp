// Exporter-style models, written by the project's ONNX writer the way torch.onnx, tf2onnx and
// paddle2onnx lay graphs out (initializers listed as graph inputs at old opsets, weights in
// Constant nodes, Reshape fed by a Shape subgraph, BatchNorm after a depthwise conv, HardSwish as
// Mul(x, HardSigmoid(x)), NHWC inputs behind a Transpose, explicit Pad, MatMul + Add) at opsets
// 7..17. Each imports, runs in float equal to a plainly written equivalent graph (a different
// op path: Flatten, explicit BatchNorm, the HardSwish op, conv pads, NCHW input), and maps and
// simulates exactly under an ideal ADC.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <random>

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "infer/float_infer.hpp"
#include "infer/int_infer.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "support/graph_builder.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

// The exporter-style graphs: seeded constants (uniform in [-1, 1) unless given) on the shared
// builder, and the blocks the exporters write.
class Net : public sparsecim::testing::GraphBuilder {
  public:
    Net(int64_t opset, Shape input, uint64_t seed)
        : GraphBuilder("exporter-style", std::move(input), opset), rng_(seed) {}
    using GraphBuilder::constant;
    std::string constant(const std::string& name, Shape shape, std::vector<float> v = {}) {
        Tensor t(std::move(shape));
        if (v.empty())
            for (float& e : t.data) e = static_cast<float>(rng_() >> 40) / 8388608.0f - 1.0f;
        else
            t.data = std::move(v);
        return constant(name, std::move(t));
    }
    std::string conv(const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                     int64_t pad, int64_t group = 1) {
        const std::string id = std::to_string(g.nodes.size());
        std::map<std::string, AttrValue> a = {{"kernel_shape", std::vector<int64_t>{k, k}},
                                              {"strides", std::vector<int64_t>{stride, stride}},
                                              {"pads", std::vector<int64_t>{pad, pad, pad, pad}}};
        if (group != 1) a["group"] = group;
        return node(OpKind::Conv,
                    {x, constant("w" + id, {cout, cin / group, k, k}), constant("b" + id, {cout})},
                    a);
    }
    // BatchNorm with seeded non-trivial statistics (variance in [0.5, 1.5]).
    std::string bn(const std::string& x, int64_t c) {
        const std::string id = std::to_string(g.nodes.size());
        std::vector<float> var(static_cast<size_t>(c));
        for (float& v : var)
            v = 1.0f + 0.5f * (static_cast<float>(rng_() >> 40) / 8388608.0f - 1.0f);
        return node(OpKind::BatchNormalization,
                    {x, constant("s" + id, {c}), constant("o" + id, {c}), constant("m" + id, {c}),
                     constant("v" + id, {c}, var)},
                    {{"epsilon", 1e-5f}});
    }
    std::string clip6(const std::string& x) {  // ReLU6: attributes before opset 11, inputs after
        if (g.opset < 11) return node(OpKind::Clip, {x}, {{"min", 0.0f}, {"max", 6.0f}});
        return node(OpKind::Clip,
                    {x, constant("lo" + x, {}, {0.0f}), constant("hi" + x, {}, {6.0f})});
    }

  private:
    std::mt19937_64 rng_;
};

Tensor images(Shape s, uint64_t seed) {
    std::mt19937_64 rng(seed);
    Tensor t(std::move(s));
    for (float& v : t.data) v = static_cast<float>(rng() >> 40) / 16777216.0f;
    return t;
}

fs::path temp_path(const std::string& name) {
    return fs::temp_directory_path() /
           ("sparsecim_exporter_" + std::to_string(::getpid()) + "_" + name + ".onnx");
}

void expect_close(const Tensor& a, const Tensor& b, const std::string& what) {
    ASSERT_EQ(a.shape, b.shape) << what;
    for (int64_t i = 0; i < a.size(); ++i)
        ASSERT_NEAR(a.data[i], b.data[i], 1e-4f * std::max(1.0f, std::fabs(b.data[i])))
            << what << " at " << i;
}

// Writes `g` with `opt`, imports it back, checks its float output against `reference` on `x`,
// and returns the imported graph.
Graph round_trip(const Graph& g, const ExportOptions& opt, const std::string& name, const Tensor& x,
                 const Tensor& reference) {
    const fs::path p = temp_path(name);
    export_onnx(g, p, opt);
    Graph imported = import_onnx(p);
    fs::remove(p);
    expect_close(run_float(imported, x), reference, name);
    return imported;
}

// Evaluates a model file with the dense and csr schemes under --check-exact.
void expect_maps_exactly(const Graph& g, const ExportOptions& opt, const std::string& name,
                         bool real_traces) {
    const fs::path p = temp_path(name + "_eval");
    export_onnx(g, p, opt);
    EvalOptions eo;
    eo.model = p.string();
    eo.schemes = {"dense", "csr"};
    eo.accuracy_images = 0;
    eo.calib_images = 8;
    eo.check_exact = true;
    eo.activations = real_traces ? "traces" : "modelled";
    const EvalResult r = evaluate(eo);
    fs::remove(p);
    for (const auto& s : r.schemes) {
        EXPECT_EQ(s.ideal_mismatches.value_or(-1), 0) << name << " " << s.name;
        EXPECT_GT(s.outputs_checked, 0) << name;
        for (const auto& l : s.layers) EXPECT_EQ(l.modelled, !real_traces) << name << " " << l.name;
    }
}

// torch.onnx at an old opset: Conv -> BatchNorm -> Relu -> MaxPool, flattened by Reshape whose
// target shape a Shape -> Gather -> Unsqueeze -> Concat subgraph computes, then Gemm.
Graph torch_old(int64_t opset, bool plain) {
    Net n(opset, {-1, 1, 28, 28}, 11);
    auto x = n.node(OpKind::Relu, {n.bn(n.conv("input", 1, 4, 3, 1, 1), 4)});
    x = n.node(
        OpKind::MaxPool, {x},
        {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
    if (plain) {
        x = n.node(OpKind::Flatten, {x}, {{"axis", int64_t{1}}});
    } else {
        auto batch =
            n.node(OpKind::Gather, {n.node(OpKind::ShapeOf, {x}), n.constant("zero", {}, {0})},
                   {{"axis", int64_t{0}}});
        batch = opset < 13 ? n.node(OpKind::Unsqueeze, {batch}, {{"axes", std::vector<int64_t>{0}}})
                           : n.node(OpKind::Unsqueeze, {batch, n.constant("axes0", {1}, {0})});
        auto shape = n.node(OpKind::Concat, {batch, n.constant("minus1", {1}, {-1})},
                            {{"axis", int64_t{0}}});
        x = n.node(OpKind::Reshape, {x, shape});
    }
    x = n.node(OpKind::Gemm, {x, n.constant("fc.w", {10, 4 * 14 * 14}), n.constant("fc.b", {10})},
               {{"transB", int64_t{1}}});
    return n.done(x);
}

// torch.onnx MobileNetV3-style block: Conv/2 -> BN -> HardSwish (as Mul(x, HardSigmoid(x)) or, in
// the plain graph, the HardSwish op) -> depthwise Conv -> BN -> ReLU6 -> squeeze-excite
// (GlobalAveragePool, 1x1 convs, HardSigmoid, Mul) -> 1x1 Conv -> ReduceMean over H, W (plain:
// GlobalAveragePool + Flatten) -> Gemm.
Graph torch_mobile(int64_t opset, bool plain) {
    Net n(opset, {-1, 1, 28, 28}, 12);
    auto x = n.bn(n.conv("input", 1, 8, 3, 2, 1), 8);  // 8 x 14 x 14
    const std::map<std::string, AttrValue> hs = {{"alpha", 1.0f / 6.0f}, {"beta", 0.5f}};
    x = plain ? n.node(OpKind::HardSwish, {x})
              : n.node(OpKind::Mul, {x, n.node(OpKind::HardSigmoid, {x}, hs)});
    x = n.clip6(n.bn(n.conv(x, 8, 8, 3, 1, 1, 8), 8));
    auto se = n.node(OpKind::GlobalAveragePool, {x});
    se = n.node(OpKind::Relu, {n.conv(se, 8, 4, 1, 1, 0)});
    se = n.node(OpKind::HardSigmoid, {n.conv(se, 4, 8, 1, 1, 0)}, hs);
    x = n.conv(n.node(OpKind::Mul, {x, se}), 8, 16, 1, 1, 0);
    if (plain)
        x = n.node(OpKind::Flatten, {n.node(OpKind::GlobalAveragePool, {x})});
    else
        x = n.node(OpKind::ReduceMean, {x},
                   {{"axes", std::vector<int64_t>{2, 3}}, {"keepdims", int64_t{0}}});
    x = n.node(OpKind::Gemm, {x, n.constant("fc.w", {10, 16}), n.constant("fc.b", {10})},
               {{"transB", int64_t{1}}});
    return n.done(x);
}

// tf2onnx: an NHWC input behind Transpose, "SAME" padding as an explicit Pad before a VALID conv,
// LeakyRelu, Sigmoid, back to NHWC, Reshape by a constant, MatMul + Add. The plain graph takes
// NCHW input and pads in the conv.
Graph tf_style(int64_t opset, bool plain) {
    Net n(opset, plain ? Shape{-1, 1, 28, 28} : Shape{-1, 28, 28, 1}, 13);
    std::string x = "input";
    if (!plain) {
        x = n.node(OpKind::Transpose, {x}, {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
        const std::vector<float> pads = {0, 0, 1, 1, 0, 0, 1, 1};
        x = opset < 11
                ? n.node(OpKind::Pad, {x}, {{"pads", std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1}}})
                : n.node(OpKind::Pad, {x, n.constant("pads", {8}, pads)});
    }
    x = n.node(OpKind::LeakyRelu, {n.conv(x, 1, 6, 3, 1, plain ? 1 : 0)}, {{"alpha", 0.2f}});
    x = n.node(OpKind::Sigmoid, {n.conv(x, 6, 8, 3, 2, 1)});  // 8 x 14 x 14
    x = n.node(OpKind::Transpose, {x}, {{"perm", std::vector<int64_t>{0, 2, 3, 1}}});
    x = n.node(OpKind::Reshape, {x, n.constant("shape", {2}, {-1, 14 * 14 * 8})});
    x = n.node(OpKind::MatMul, {x, n.constant("fc.w", {14 * 14 * 8, 10})});
    return n.done(n.node(OpKind::Add, {x, n.constant("fc.b", {10})}));
}

Tensor nchw_to_nhwc(const Tensor& x) {
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    Tensor y({N, H, W, C});
    for (int64_t b = 0; b < N; ++b)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t w = 0; w < W; ++w)
                    y.data[((b * H + h) * W + w) * C + c] = x.data[((b * C + c) * H + h) * W + w];
    return y;
}

}  // namespace

TEST(ExporterModels, TorchOldOpsetsWithShapeSubgraphAndInitializerInputs) {
    const Tensor x = images({3, 1, 28, 28}, 1);
    ImportOptions no_fold;
    no_fold.fold_batchnorm = false;
    for (int64_t opset : {7, 9, 11, 13}) {
        const Graph plain = torch_old(opset, true);
        const Tensor ref =
            run_float(import_onnx_bytes(export_onnx_bytes(plain), "plain", no_fold), x);
        ExportOptions old;
        old.initializers_as_inputs = true;
        const Graph g =
            round_trip(torch_old(opset, false), old, "torch" + std::to_string(opset), x, ref);
        EXPECT_EQ(g.inputs.size(), 1u);  // the initializers listed as inputs are constants
        int bn = 0;
        for (const auto& n : g.nodes) bn += n.op == OpKind::BatchNormalization;
        EXPECT_EQ(bn, 0) << "BatchNorm folded into the conv";
        EXPECT_EQ(summarize(g).size(), 2u);
    }
    ExportOptions old;
    old.initializers_as_inputs = true;
    expect_maps_exactly(torch_old(9, false), old, "torch9", true);
}

TEST(ExporterModels, TorchMobileBlockWithHardSwishAsMulAndDepthwiseBn) {
    const Tensor x = images({2, 1, 28, 28}, 2);
    ImportOptions no_fold;
    no_fold.fold_batchnorm = false;
    const Tensor ref = run_float(
        import_onnx_bytes(export_onnx_bytes(torch_mobile(14, true)), "plain", no_fold), x);
    for (int64_t opset : {9, 11, 13, 14, 17}) {
        const Graph g =
            round_trip(torch_mobile(opset, false), {}, "mobile" + std::to_string(opset), x, ref);
        // Both BatchNorms (after the stem conv and after the depthwise conv) fold.
        for (const auto& n : g.nodes) EXPECT_NE(n.op, OpKind::BatchNormalization);
    }
    expect_maps_exactly(torch_mobile(13, false), {}, "mobile13", true);
}

TEST(ExporterModels, TfStyleNhwcWithConstantNodesPadAndMatMul) {
    const Tensor x = images({2, 1, 28, 28}, 3);
    const Tensor ref =
        run_float(import_onnx_bytes(export_onnx_bytes(tf_style(13, true)), "plain"), x);
    ExportOptions tf;
    tf.constant_nodes = true;
    for (int64_t opset : {9, 11, 13, 17})
        round_trip(tf_style(opset, false), tf, "tf" + std::to_string(opset), nchw_to_nhwc(x), ref);
    // An NHWC input is not a Fashion-MNIST image: mapped on modelled activations, still exact.
    expect_maps_exactly(tf_style(13, false), tf, "tf13", false);
}

// With a fixed batch the shape subgraph folds at import: Reshape gets a constant target.
TEST(ExporterModels, ShapeSubgraphFoldsToAConstantForAFixedBatch) {
    Graph g = torch_old(13, false);
    g.inputs[0].shape = {2, 1, 28, 28};
    const Graph imported = import_onnx_bytes(export_onnx_bytes(g), "fixed.onnx");
    for (const auto& n : imported.nodes) {
        EXPECT_NE(n.op, OpKind::ShapeOf) << n.name;
        EXPECT_NE(n.op, OpKind::Gather) << n.name;
        EXPECT_NE(n.op, OpKind::Concat) << n.name;
        if (n.op == OpKind::Reshape) {
            ASSERT_TRUE(imported.is_constant(n.inputs[1]));
            EXPECT_EQ(imported.constant(n.inputs[1]).data, (std::vector<float>{2, -1}));
        }
    }
    const Tensor x = images({2, 1, 28, 28}, 4);
    expect_close(run_float(imported, x),
                 run_float(import_onnx_bytes(export_onnx_bytes(g), "again"), x), "fixed");
    Graph plain = torch_old(13, true);
    plain.inputs[0].shape = {2, 1, 28, 28};
    expect_close(run_float(imported, x), run_float(plain, x), "fixed vs plain");
}

// Dynamic spatial dimensions ([-1,1,-1,-1]) that a Shape -> Gather -> Concat -> Reshape chain
// depends on: no shape can be found (one error naming the node and input_shape) until
// set_input_shapes fixes them; then the model imports, runs on real images and maps exactly.
TEST(ExporterModels, DynamicSpatialDimensionsAreFixedByInputShape) {
    Graph dyn = torch_old(13, false);
    dyn.inputs[0].shape = {-1, 1, -1, -1};
    const fs::path p = temp_path("dynamic_hw");
    export_onnx(dyn, p);
    try {
        summarize(load_model(p.string(), 1));
        ADD_FAILURE() << "shapes were found without the input's dimensions";
    } catch (const FieldError& e) {
        EXPECT_EQ(e.name(), "input_shape");
        EXPECT_NE(e.detail().find("node 'Gemm"), std::string::npos) << e.what();
    }
    const Graph g = load_model(p.string(), 1, nullptr, true, {"input=1,1,28,28"});
    EXPECT_EQ(g.inputs[0].shape, (Shape{-1, 1, 28, 28}));  // the batch stays dynamic
    EXPECT_EQ(summarize(g).size(), 2u);
    EvalOptions eo;
    eo.model = p.string();
    eo.input_shapes = {"input=1,1,28,28"};
    eo.schemes = {"dense", "csr"};
    eo.accuracy_images = 16;
    eo.calib_images = 8;
    eo.check_exact = true;
    eo.activations = "traces";
    const EvalResult r = evaluate(eo);
    for (const auto& s : r.schemes) EXPECT_EQ(s.ideal_mismatches.value_or(-1), 0) << s.name;

    auto error = [&](const std::string& assignment) {
        Graph h = dyn;
        try {
            set_input_shapes(h, {assignment});
        } catch (const FieldError& e) {
            EXPECT_EQ(e.name(), "input_shape");
            return e.detail();
        }
        return std::string();
    };
    EXPECT_EQ(error("input=1,2,28,28"), "input=1,2,28,28: dimension 1 is 1 in the model");
    EXPECT_EQ(error("x=1,1,2,2"), "x=1,1,2,2: the model has no input 'x' (its inputs: input)");
    EXPECT_EQ(error("input=1,28"), "input=1,28: 2 dimensions for an input of shape [-1,1,-1,-1]");
    EXPECT_EQ(error("input=1,1,a,2"),
              "input=1,1,a,2: dimension 'a' is not an integer in [1, 2^28]");
    EXPECT_EQ(error("input"), "input: expected NAME=d1,d2,...");
    fs::remove(p);
}
