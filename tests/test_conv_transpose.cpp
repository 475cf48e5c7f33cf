// ConvTranspose as a crossbar weight layer, computed as its equivalent direct convolution: the
// weight layout (hand-computed), float ConvTranspose (hand-computed), the integer reference equal
// to float ConvTranspose on grid values for many geometries, the layer table, modelled traces that
// keep the upsampling's zeros, an exporter-style decoder equal in float to a Resize/Mul/Pad/Conv
// reference and mapped and simulated exactly by every scheme, and the one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "infer/float_infer.hpp"
#include "infer/int_infer.hpp"
#include "infer/modelled_trace.hpp"
#include "model/weight_layout.hpp"
#include "pipeline/evaluate.hpp"
#include "quant/ptq.hpp"
#include "schemes/pattern/pattern_params.hpp"
#include "schemes/scheme.hpp"
#include "support/graph_builder.hpp"
#include "support/process.hpp"

using namespace sparsecim;
using Ints = std::vector<int64_t>;

namespace {

// The test graphs: "conv-transpose", opset 13 unless given.
struct Net : sparsecim::testing::GraphBuilder {
    explicit Net(Shape input, int64_t opset = 13)
        : GraphBuilder("conv-transpose", std::move(input), opset) {}
};

// Uniform values in [lo, hi], rounded to integers when `integers`.
Tensor random_tensor(Shape s, uint64_t seed, float lo, float hi, bool integers) {
    std::mt19937_64 rng(seed);
    Tensor t(std::move(s));
    for (float& v : t.data) {
        v = lo + (hi - lo) * static_cast<float>(rng() >> 40) / 16777216.0f;
        if (integers) v = std::round(v);
    }
    return t;
}

}  // namespace

// Element (c, o, y, x) of a ConvTranspose weight lands on row (c, kh-1-y, kw-1-x) and column
// group(c) * Cout/group + o; a Conv's (o, c, y, x) on row (c, y, x), column o.
TEST(ConvTransposeLayout, HandComputedPositionsForGroupedWeights) {
    Net n({1, 2, 3, 3});
    const Tensor w({2, 1, 2, 2}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
    n.constant("w", w);
    n.node(OpKind::ConvTranspose, {"input", "w"}, {{"group", int64_t{2}}});
    n.node(OpKind::Conv, {"input", "w"}, {{"group", int64_t{2}}});
    const Graph g = n.done("Conv1_out");
    const MatrixLayout t = weight_matrix_layout(g, g.nodes[0]);
    EXPECT_EQ(t.K, 8);
    EXPECT_EQ(t.N, 2);
    EXPECT_EQ(t.pos, (Ints{6, 4, 2, 0, 15, 13, 11, 9}));
    EXPECT_EQ(t.groups, 2);
    const MatrixLayout c = weight_matrix_layout(g, g.nodes[1]);
    EXPECT_EQ(c.pos, (Ints{0, 2, 4, 6, 9, 11, 13, 15}));
    EXPECT_EQ(c.groups, 2);
    // The float matrix: flipped kernels, structural zeros outside each group's block.
    const FloatMatrix fm = float_weight_matrix(g, g.nodes[0]);
    EXPECT_EQ(fm.w, (std::vector<float>{4, 0, 3, 0, 2, 0, 1, 0, 0, 8, 0, 7, 0, 6, 0, 5}));
    EXPECT_EQ(std::count(fm.in_block.begin(), fm.in_block.end(), 1), 8);
    EXPECT_EQ(fm.groups, 2);
    // The quantized matrix carries the groups; its weight positions are the in-block entries,
    // and the sparsity counts zeros among them only (one of the 8 weights set to zero).
    QuantLayer L;
    L.name = "t";
    FloatMatrix one_zero = fm;
    one_zero.w[0] = 0;
    quantize_weights_symmetric(one_zero, 8, L);
    EXPECT_EQ(L.weights.groups, 2);
    EXPECT_EQ(L.weights.weight_positions(), 8);
    for (int64_t k = 0; k < 8; ++k)
        for (int64_t col = 0; col < 2; ++col)
            EXPECT_EQ(L.weights.is_weight(k, col),
                      fm.in_block[static_cast<size_t>(k * 2 + col)] != 0);
    EXPECT_DOUBLE_EQ(L.weights.sparsity(), 1.0 / 8.0);
}

TEST(ConvTransposeFloat, HandComputedStridePadsAndOneDimension) {
    Net n({1, 1, 2, 2});
    n.constant("w", Tensor({1, 1, 2, 2}, std::vector<float>{1, 10, 100, 1000}));
    const Tensor x({1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4});
    const Graph g =
        n.done(n.node(OpKind::ConvTranspose, {"input", "w"}, {{"strides", Ints{2, 2}}}));
    // Stride 2 and a 2x2 kernel: each input pixel stamps its own 2x2 block.
    EXPECT_EQ(run_float(g, x).data, (std::vector<float>{1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30,
                                                        4, 40, 300, 3000, 400, 4000}));
    Graph cropped = g;
    cropped.nodes[0].attrs["pads"] = Ints{1, 1, 1, 1};
    const Tensor y = run_float(cropped, x);
    EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
    EXPECT_EQ(y.data, (std::vector<float>{1000, 200, 30, 4}));
    // 1-D: [1, 2, 3] with kernel [1, 1, 1] overlaps and adds.
    Net one({1, 1, 3});
    one.constant("w", Tensor({1, 1, 3}, std::vector<float>{1, 1, 1}));
    const Graph g1 = one.done(one.node(OpKind::ConvTranspose, {"input", "w"}));
    EXPECT_EQ(run_float(g1, Tensor({1, 1, 3}, std::vector<float>{1, 2, 3})).data,
              (std::vector<float>{1, 3, 6, 5, 3}));
}

// With integer weights whose largest magnitude per output channel is 127 and integer inputs whose
// largest value is 255, both scales are 1: the integer reference (the equivalent convolution on
// im2col rows) must then equal float ConvTranspose (the definition) exactly.
TEST(ConvTransposeInt, IntegerReferenceEqualsFloatOnGridValues) {
    struct Case {
        std::string what;
        int64_t cin, cout, group, h, w, kh, kw;
        std::map<std::string, AttrValue> attrs;
    };
    const std::vector<Case> cases = {
        {"3x3 stride 1", 2, 3, 1, 5, 5, 3, 3, {}},
        {"4x4 stride 2 pad 1 (DCGAN)",
         3,
         2,
         1,
         4,
         4,
         4,
         4,
         {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}},
        {"3x3 stride 2 pad 1 output_padding 1",
         2,
         2,
         1,
         4,
         3,
         3,
         3,
         {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 1}}}},
        {"dilation 2, asymmetric pads",
         2,
         2,
         1,
         4,
         4,
         3,
         3,
         {{"strides", Ints{2, 1}}, {"dilations", Ints{2, 2}}, {"pads", Ints{0, 1, 2, 0}}}},
        {"group 2, 2x2 stride 2", 4, 6, 2, 3, 3, 2, 2, {{"strides", Ints{2, 2}}}},
        {"pads beyond the kernel (negative equivalent padding)",
         1,
         2,
         1,
         4,
         4,
         2,
         2,
         {{"strides", Ints{3, 3}}, {"pads", Ints{2, 2, 2, 2}}}},
        {"non-square kernel and strides", 2, 2, 1, 3, 4, 2, 3, {{"strides", Ints{2, 3}}}},
        {"SAME_UPPER", 2, 2, 1, 3, 3, 3, 3, {{"strides", Ints{2, 2}}, {"auto_pad", "SAME_UPPER"}}},
        {"SAME_LOWER", 2, 2, 1, 3, 3, 3, 3, {{"strides", Ints{2, 2}}, {"auto_pad", "SAME_LOWER"}}},
        {"output_shape",
         2,
         2,
         1,
         3,
         3,
         3,
         3,
         {{"strides", Ints{2, 2}}, {"output_shape", Ints{8, 7}}}},
    };
    uint64_t seed = 1;
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        Net n({2, c.cin, c.h, c.w});
        Tensor w = random_tensor({c.cin, c.cout / c.group, c.kh, c.kw}, ++seed, -127, 127, true);
        const int64_t cpg = c.cin / c.group, opg = c.cout / c.group, taps = c.kh * c.kw;
        for (int64_t o = 0; o < c.cout; ++o)  // one 127 per output channel: weight scale 1
            w.data[static_cast<size_t>(((o / opg) * cpg * opg + o % opg) * taps)] = 127;
        n.constant("w", w);
        n.constant("b", random_tensor({c.cout}, ++seed, -50, 50, true));
        auto attrs = c.attrs;
        if (c.group != 1) attrs["group"] = c.group;
        const Graph g = n.done(n.node(OpKind::ConvTranspose, {"input", "w", "b"}, attrs));
        Tensor x = random_tensor({2, c.cin, c.h, c.w}, ++seed, 0, 255, true);
        x.data[0] = 255;  // input scale 1
        const QuantModel qm = quantize(g, x, QuantOptions{});
        ASSERT_EQ(qm.layers.size(), 1u);
        EXPECT_EQ(qm.layers[0].in_scale, 1.0f);
        EXPECT_EQ(qm.layers[0].kernel_h, c.kh);
        EXPECT_EQ(qm.layers[0].kernel_w, c.kw);
        std::vector<LayerTrace> traces;
        const Tensor yi = run_int(qm, x, &traces);
        const Tensor yf = run_float(g, x);
        ASSERT_EQ(yi.shape, yf.shape);
        EXPECT_EQ(yi.data, yf.data);
        // The trace: one input vector per output pixel of the equivalent convolution.
        ASSERT_EQ(traces.size(), 1u);
        EXPECT_EQ(traces[0].K, c.cin * c.kh * c.kw);
        EXPECT_EQ(traces[0].N, c.cout);
        EXPECT_EQ(traces[0].positions, yf.size() / c.cout);
    }
}

// `import`'s layer table: K x N of the equivalent convolution, the ConvTranspose's own MACs.
TEST(ConvTransposeSummary, LayerTableRowsAreHandComputed) {
    Net n({-1, 3, 8, 8});
    n.constant("w1", random_tensor({3, 4, 4, 4}, 1, -1, 1, false));
    n.constant("w2", random_tensor({4, 3, 3, 3}, 2, -1, 1, false));
    auto x = n.node(OpKind::ConvTranspose, {"input", "w1"},
                    {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});  // 4 x 16 x 16
    x = n.node(OpKind::ConvTranspose, {x, "w2"},
               {{"group", int64_t{2}}, {"strides", Ints{2, 2}}});  // 6 x 33 x 33
    const Graph g = n.done(x);
    const std::vector<LayerInfo> rows = summarize(g);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].op, "ConvTranspose");
    EXPECT_EQ(rows[0].K, 3 * 4 * 4);
    EXPECT_EQ(rows[0].N, 4);
    EXPECT_EQ(rows[0].positions, 16 * 16);
    EXPECT_EQ(rows[0].macs, 8 * 8 * 3 * 4 * 16);  // input pixels x Cin x Cout x taps
    EXPECT_EQ(rows[1].K, 4 * 3 * 3);
    EXPECT_EQ(rows[1].N, 6);
    EXPECT_EQ(rows[1].positions, 33 * 33);
    EXPECT_EQ(rows[1].macs, 16 * 16 * 4 * 3 * 9);  // group 2: Cout/group = 3 per input channel
    ASSERT_TRUE(rows[1].conv.has_value());
    EXPECT_EQ(rows[1].conv->up_h, 2);
    EXPECT_EQ(rows[1].conv->pad_top, 2);
}

// A modelled trace of a ConvTranspose keeps the zeros of its equivalent convolution: at density 1
// it equals the real trace of an image that is 1 everywhere.
TEST(ConvTransposeModelled, StructuralZerosMatchARealTrace) {
    Net n({1, 1, 28, 28});
    n.constant("w", random_tensor({1, 2, 3, 3}, 3, -1, 1, false));
    const Graph g = n.done(n.node(
        OpKind::ConvTranspose, {"input", "w"},
        {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 1}}}));
    const Tensor ones({1, 1, 28, 28}, 1.0f);
    const QuantModel qm = quantize(g, ones, QuantOptions{});
    std::vector<LayerTrace> real;
    run_int(qm, ones, &real);
    const std::vector<LayerInfo> rows = summarize(g);
    ASSERT_TRUE(rows.at(0).conv.has_value());
    const LayerTrace modelled =
        modelled_trace(qm.layers[0], rows[0].positions, {1.0, 1.0}, 5, &*rows[0].conv);
    EXPECT_EQ(modelled.inputs, real.at(0).inputs);
    EXPECT_EQ(modelled.outputs, real.at(0).outputs);
    // Three quarters of a stride-2 layer's entries are inserted zeros (plus the border).
    EXPECT_LT(activation_stats(modelled).density, 0.26);
}

namespace {

// The equivalent of a stride-2 ConvTranspose (square kernel k, pads p, output_padding op, group)
// written with other ops: nearest Resize x2, a mask keeping the even pixels (the input, with
// stride - 1 zeros after each pixel), Pad, and a Conv with the flipped kernels whose input and
// output channel axes are swapped.
std::string as_conv_ops(Net& n, const std::string& x, const Tensor& w, const std::string& bias,
                        int64_t in, int64_t k, int64_t p, int64_t op, int64_t group) {
    const int64_t cin = w.dim(0), opg = w.dim(1), cpg = cin / group, cout = opg * group;
    const std::string id = std::to_string(n.g.nodes.size());
    auto up =
        n.node(OpKind::Resize,
               {x, "", n.constant("scales" + id, Tensor({4}, std::vector<float>{1, 1, 2, 2}))},
               {{"mode", std::string("nearest")},
                {"coordinate_transformation_mode", std::string("asymmetric")},
                {"nearest_mode", std::string("floor")}});
    Tensor mask({1, 1, 2 * in, 2 * in});
    for (int64_t i = 0; i < 2 * in; i += 2)
        for (int64_t j = 0; j < 2 * in; j += 2) mask.data[static_cast<size_t>(i * 2 * in + j)] = 1;
    up = n.node(OpKind::Mul, {up, n.constant("mask" + id, mask)});
    const int64_t out = 2 * (in - 1) + op + k - 2 * p;
    const int64_t pb = k - 1 - p, pe = out + k - 1 - pb - 2 * in;
    const Tensor pads({8},
                      std::vector<float>{0, 0, static_cast<float>(pb), static_cast<float>(pb), 0, 0,
                                         static_cast<float>(pe), static_cast<float>(pe)});
    up = n.node(OpKind::Pad, {up, n.constant("pads" + id, pads)});
    Tensor wc({cout, cpg, k, k});
    for (int64_t o = 0; o < cout; ++o)
        for (int64_t c = 0; c < cpg; ++c)
            for (int64_t y = 0; y < k; ++y)
                for (int64_t z = 0; z < k; ++z)
                    wc.data[static_cast<size_t>(((o * cpg + c) * k + y) * k + z)] =
                        w.data[static_cast<size_t>((((o / opg) * cpg + c) * opg + o % opg) * k * k +
                                                   (k - 1 - y) * k + (k - 1 - z))];
    return n.node(OpKind::Conv, {up, n.constant("wc" + id, wc), bias},
                  {{"group", group}, {"kernel_shape", Ints{k, k}}});
}

// A torch.onnx-style convolutional autoencoder on Fashion-MNIST: Conv/2 -> Relu -> Conv/2 -> Relu
// (16 x 7 x 7) -> ConvTranspose k3 s2 p1 output_padding 1 -> BatchNorm -> Relu (8 x 14 x 14) ->
// grouped ConvTranspose k4 s2 p1 -> Relu (4 x 28 x 28) -> Conv 1x1 -> Sigmoid. The reference
// writes each ConvTranspose with as_conv_ops.
Graph decoder(bool reference) {
    Net n({-1, 1, 28, 28}, 11);
    auto add = [&](const std::string& name, const Tensor& t) { return n.constant(name, t); };
    auto x = n.node(OpKind::Relu,
                    {n.node(OpKind::Conv,
                            {"input", add("c1.w", random_tensor({8, 1, 3, 3}, 11, -1, 1, false)),
                             add("c1.b", random_tensor({8}, 12, -0.1f, 0.1f, false))},
                            {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}})});
    x = n.node(OpKind::Relu,
               {n.node(OpKind::Conv,
                       {x, add("c2.w", random_tensor({16, 8, 3, 3}, 13, -0.4f, 0.4f, false)),
                        add("c2.b", random_tensor({16}, 14, -0.1f, 0.1f, false))},
                       {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}})});
    const Tensor t1 = random_tensor({16, 8, 3, 3}, 15, -0.3f, 0.3f, false);
    const Tensor t2 = random_tensor({8, 2, 4, 4}, 16, -0.4f, 0.4f, false);
    add("t1.b", random_tensor({8}, 17, -0.1f, 0.1f, false));
    add("t2.b", random_tensor({4}, 18, -0.1f, 0.1f, false));
    if (reference) {
        x = as_conv_ops(n, x, t1, "t1.b", 7, 3, 1, 1, 1);
    } else {
        x = n.node(OpKind::ConvTranspose, {x, add("t1.w", t1), "t1.b"},
                   {{"strides", Ints{2, 2}},
                    {"pads", Ints{1, 1, 1, 1}},
                    {"output_padding", Ints{1, 1}},
                    {"kernel_shape", Ints{3, 3}}});
    }
    Tensor var = random_tensor({8}, 19, 0.5f, 1.5f, false);
    x = n.node(OpKind::BatchNormalization,
               {x, add("bn.s", random_tensor({8}, 20, 0.5f, 1.5f, false)),
                add("bn.o", random_tensor({8}, 21, -0.1f, 0.1f, false)),
                add("bn.m", random_tensor({8}, 22, -0.1f, 0.1f, false)), add("bn.v", var)},
               {{"epsilon", 1e-5f}});
    x = n.node(OpKind::Relu, {x});
    if (reference)
        x = as_conv_ops(n, x, t2, "t2.b", 14, 4, 1, 0, 2);
    else
        x = n.node(OpKind::ConvTranspose, {x, add("t2.w", t2), "t2.b"},
                   {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"group", int64_t{2}}});
    x = n.node(OpKind::Relu, {x});
    x = n.node(OpKind::Conv, {x, add("c3.w", random_tensor({1, 4, 1, 1}, 23, -1, 1, false)),
                              add("c3.b", random_tensor({1}, 24, -0.1f, 0.1f, false))});
    return n.done(n.node(OpKind::Sigmoid, {x}));
}

class Decoder : public sparsecim::testing::TempDirTest {};

}  // namespace

TEST_F(Decoder, FloatOutputEqualsTheResizeMaskPadConvReference) {
    const Tensor x = random_tensor({2, 1, 28, 28}, 3, 0, 1, false);
    ExportOptions torch_old;
    torch_old.initializers_as_inputs = true;
    export_onnx(decoder(false), dir / "decoder.onnx", torch_old);
    const Graph g = import_onnx(dir / "decoder.onnx");
    EXPECT_EQ(g.inputs.size(), 1u);
    const Tensor ref = run_float(decoder(true), x);
    const Tensor y = run_float(g, x);
    ASSERT_EQ(y.shape, (Shape{2, 1, 28, 28}));
    ASSERT_EQ(ref.shape, y.shape);
    for (int64_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y.data[i], ref.data[i], 1e-5f) << "at " << i;
    // Five weight layers, two of them ConvTranspose, with the equivalent convolutions' shapes.
    const std::vector<LayerInfo> rows = summarize(g);
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[2].op, "ConvTranspose");
    EXPECT_EQ(rows[2].K, 16 * 9);
    EXPECT_EQ(rows[2].N, 8);
    EXPECT_EQ(rows[2].positions, 14 * 14);
    EXPECT_EQ(rows[3].K, 8 * 16);
    EXPECT_EQ(rows[3].N, 4);
    EXPECT_EQ(rows[3].positions, 28 * 28);
}

// Every scheme maps the decoder (each mapping verified to reconstruct its weights) and simulates
// it bit for bit equal to the integer reference under an ideal ADC, on real traces and modelled.
TEST_F(Decoder, EverySchemeMapsAndSimulatesItExactly) {
    export_onnx(decoder(false), dir / "decoder.onnx");
    std::vector<std::string> schemes;
    for (const Scheme& s : scheme_registry()) schemes.push_back(s.name);
    for (const std::string activations : {"traces", "modelled"}) {
        EvalOptions eo;
        eo.model = (dir / "decoder.onnx").string();
        eo.schemes = schemes;
        eo.images = 1;
        eo.accuracy_images = 0;
        eo.calib_images = 8;
        eo.check_exact = true;
        eo.activations = activations;
        const EvalResult r = evaluate(eo);
        ASSERT_EQ(r.schemes.size(), schemes.size());
        for (const auto& s : r.schemes) {
            SCOPED_TRACE(activations + " " + s.name);
            EXPECT_EQ(s.ideal_mismatches.value_or(-1), 0);
            ASSERT_EQ(s.layers.size(), 5u);
            EXPECT_EQ(s.layers[2].op, "ConvTranspose");
            EXPECT_EQ(s.layers[3].op, "ConvTranspose");
            for (const auto& l : s.layers) {
                EXPECT_EQ(l.ideal_mismatches.value_or(-1), 0) << l.name;
                EXPECT_EQ(l.modelled, activations == "modelled") << l.name;
                EXPECT_GT(l.outputs_checked, 0) << l.name;
            }
        }
    }
}

// The pattern scheme prunes a 3x3 ConvTranspose like a 3x3 Conv: every kernel of the equivalent
// convolution keeps at most k taps.
TEST(ConvTransposeSchemes, PatternPrunesThe3x3ConvTranspose) {
    const Graph g = decoder(false);
    const Tensor calib = random_tensor({4, 1, 28, 28}, 9, 0, 1, false);
    SchemeContext ctx;
    const QuantModel qm = find_scheme("pattern").prepare(g, calib, ctx);
    const PatternParams p = parse_pattern_params(ctx.params);
    const QuantLayer& L = qm.layers.at(2);
    ASSERT_EQ(g.nodes[L.node].op, OpKind::ConvTranspose);
    ASSERT_EQ(L.kernel_h, 3);
    const WeightMatrix& W = L.weights;
    int64_t pruned_kernels = 0;
    for (int64_t c = 0; c < W.K / 9; ++c)
        for (int64_t o = 0; o < W.N; ++o) {
            int nz = 0;
            for (int64_t t = 0; t < 9; ++t) nz += W.at(c * 9 + t, o) != 0;
            EXPECT_LE(nz, p.k);
            pruned_kernels += nz == 0;
        }
    EXPECT_GT(pruned_kernels, 0);  // connectivity pruning removed whole kernels
}

// A 1-D ConvTranspose runs in float but is no crossbar layer: `import` says so in one line.
TEST_F(Decoder, OneDimensionalConvTransposeIsAOneLineImportError) {
    Net n({1, 2, 5});
    n.constant("w", random_tensor({2, 3, 3}, 1, -1, 1, false));
    const Graph g = n.done(n.node(OpKind::ConvTranspose, {"input", "w"}));
    EXPECT_EQ(run_float(g, random_tensor({1, 2, 5}, 2, 0, 1, false)).shape, (Shape{1, 3, 7}));
    const auto file = dir / "conv1d.onnx";
    export_onnx(g, file);
    const auto r = run({"import", file.string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("node 'ConvTranspose0'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("2-D ConvTranspose"), std::string::npos) << r.err;
    // And the 2-D layer's table row.
    Net n2({1, 2, 5, 5});
    n2.constant("w", random_tensor({2, 3, 3, 3}, 1, -1, 1, false));
    export_onnx(n2.done(n2.node(OpKind::ConvTranspose, {"input", "w"})), dir / "conv2d.onnx");
    const auto ok = run({"import", (dir / "conv2d.onnx").string()});
    ASSERT_EQ(ok.code, 0) << ok.err;
    EXPECT_NE(ok.out.find("ConvTranspose"), std::string::npos) << ok.out;
    EXPECT_NE(ok.out.find("18 x 3"), std::string::npos) << ok.out;
    EXPECT_NE(ok.out.find("1,350"), std::string::npos) << ok.out;  // 25 pixels x 2 x 3 x 9
}

// Weight and group that disagree: one line naming the node, from import's layer table.
TEST(ConvTransposeErrors, GroupThatDoesNotDivideIsNamed) {
    Net n({1, 3, 4, 4});
    n.constant("w", random_tensor({3, 2, 3, 3}, 1, -1, 1, false));
    Graph g = n.done(n.node(OpKind::ConvTranspose, {"input", "w"}, {{"group", int64_t{2}}}));
    g.source = "bad.onnx";
    try {
        summarize(g);
        FAIL() << "no error";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("bad.onnx"), std::string::npos) << what;
        EXPECT_NE(what.find("node 'ConvTranspose0'"), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
}
