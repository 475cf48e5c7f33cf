// Mapping-only analysis: a graph inference cannot run (an op it does not know, or an input that
// is not a Fashion-MNIST image) still imports, maps and simulates, every layer on modelled
// activations of the requested densities, exactly under an ideal ADC, and says so per layer.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "infer/float_infer.hpp"
#include "infer/int_infer.hpp"
#include "infer/modelled_trace.hpp"
#include "map/dense_mapper.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "report/eval_report.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

// tiny-cnn with its first ReLU replaced by an op inference does not know (ONNX Softplus).
fs::path softplus_model() {
    Graph g = make_zoo_model("tiny-cnn", 1);
    for (Node& n : g.nodes)
        if (n.name == "relu1") {
            n.op = OpKind::Unknown;
            n.op_type = "Softplus";
        }
    const fs::path p = fs::temp_directory_path() /
                       ("sparsecim_mapping_only_" + std::to_string(::getpid()) + ".onnx");
    export_onnx(g, p);
    return p;
}

}  // namespace

TEST(ModelledTrace, DensitiesFollowTheModelAndTheSeed) {
    const QuantModel qm = quantize(make_zoo_model("tiny-cnn", 1), Tensor(), QuantOptions{});
    const QuantLayer& L = qm.layers.at(1);  // conv2: K = 72
    EXPECT_FALSE(L.in_signed);              // no calibration images: unsigned inputs
    const LayerTrace t = modelled_trace(L, 2000, {0.3, 0.4}, 7);
    ASSERT_EQ(t.inputs.size(), static_cast<size_t>(2000 * L.weights.K));
    const ActivationStats s = activation_stats(t);
    // 144,000 draws: the densities are within a few standard deviations of the model (a non-zero
    // value redraws all-zero bit patterns, which lifts the bit density by 0.6^8 / (1 - 0.6^8)).
    EXPECT_NEAR(s.density, 0.3, 0.01);
    EXPECT_NEAR(s.bit_density, 0.4 / (1 - std::pow(0.6, 8)), 0.01);
    for (int32_t v : t.inputs) ASSERT_TRUE(v >= 0 && v <= 255);
    // The accumulators are the exact integer products.
    std::vector<int32_t> acc;
    int_matmul(t.inputs, t.positions, L.weights, acc);
    EXPECT_EQ(acc, t.outputs);
    EXPECT_EQ(modelled_trace(L, 2000, {0.3, 0.4}, 7).inputs, t.inputs);
    EXPECT_NE(modelled_trace(L, 2000, {0.3, 0.4}, 8).inputs, t.inputs);
    // Density 1, bit density 1: every input is all ones.
    for (int32_t v : modelled_trace(L, 3, {1.0, 1.0}, 1).inputs) EXPECT_EQ(v, 255);
}

TEST(ModelledTrace, OptionsParseDefaultsAndLayers) {
    ActivationModels m;
    set_activation_option(m, "activation_density", "0.4");
    set_activation_option(m, "bit_density", "conv2=0.1");
    EXPECT_EQ(m.for_layer("conv1").density, 0.4);
    EXPECT_EQ(m.for_layer("conv1").bit_density, 0.25);
    EXPECT_EQ(m.for_layer("conv2").bit_density, 0.1);
    for (const char* bad : {"0", "1.5", "x", "conv2=", "=0.3", "-0.1", ""})
        EXPECT_THROW(set_activation_option(m, "activation_density", bad), Error) << bad;
}

TEST(MappingOnly, UnknownOpGraphImportsSummarizesButDoesNotRun) {
    const fs::path p = softplus_model();
    const Graph g = import_onnx(p);
    ASSERT_NE(first_unsupported_node(g), nullptr);
    EXPECT_EQ(first_unsupported_node(g)->type(), "Softplus");
    const auto layers = summarize(g);  // static shapes: nothing is executed
    ASSERT_EQ(layers.size(), 3u);
    EXPECT_EQ(layers[0].positions, 28 * 28);
    EXPECT_EQ(layers[1].positions, 14 * 14);
    EXPECT_EQ(layers[1].macs, 14 * 14 * 16 * 72);
    EXPECT_EQ(layers[2].positions, 1);
    EXPECT_NE(why_not_executable(g).find("unsupported op 'Softplus' in node 'relu1'"),
              std::string::npos);
    try {
        run_float(g, Tensor({1, 1, 28, 28}));
        ADD_FAILURE() << "ran";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(p.string() + ": unsupported op 'Softplus'"),
                  std::string::npos)
            << e.what();
    }
    fs::remove(p);
}

// Modelled traces of many images are made batch by batch as they are simulated (memory holds one
// batch): the results do not depend on the batching, one image per batch or all in one.
TEST(MappingOnly, ModelledImagesInBatchesGiveTheSameResults) {
    const fs::path p = softplus_model();
    EvalOptions opt;
    opt.model = p.string();
    opt.schemes = {"dense", "csr"};
    opt.images = 3;
    opt.data.dir = "/nonexistent";
    const EvalResult whole = evaluate(opt);
    opt.modelled_batch_bytes = 1;  // one image per batch
    const EvalResult single = evaluate(opt);
    nlohmann::json a = results_json(whole), b = results_json(single);
    a.erase("timing");
    b.erase("timing");
    EXPECT_EQ(a, b);
    EXPECT_EQ(whole.schemes[0].layers[0].positions, 3 * 28 * 28);
    EXPECT_GT(whole.schemes[0].layers[0].stats.ou_ops, 0u);
    fs::remove(p);
}

TEST(MappingOnly, EvaluateModelsEveryLayerAndIsExact) {
    const fs::path p = softplus_model();
    EvalOptions opt;
    opt.model = p.string();
    opt.schemes = {"dense", "csr"};
    opt.images = 2;
    opt.check_exact = true;
    opt.data.dir = "/nonexistent";  // modelled activations need no data set
    set_activation_option(opt.activation_model, "activation_density", "0.6");
    set_activation_option(opt.activation_model, "activation_density", "conv2=0.2");
    const EvalResult r = evaluate(opt);
    EXPECT_NE(r.activations_note.find("Softplus"), std::string::npos);
    EXPECT_FALSE(r.float_accuracy);
    for (const auto& s : r.schemes) {
        EXPECT_FALSE(s.accuracy);
        ASSERT_EQ(s.layers.size(), 3u);
        EXPECT_EQ(s.ideal_mismatches.value_or(-1), 0) << s.name;
        EXPECT_EQ(s.layers[0].positions, 2 * 28 * 28);
        EXPECT_EQ(s.layers[1].positions, 2 * 14 * 14);
        for (const auto& l : s.layers) {
            EXPECT_TRUE(l.modelled);
            EXPECT_GT(l.stats.ou_ops, 0u);
        }
        EXPECT_EQ(s.layers[0].model.density, 0.6);
        EXPECT_EQ(s.layers[1].model.density, 0.2);
        EXPECT_NEAR(s.layers[0].measured.density, 0.6, 0.03);
        EXPECT_NEAR(s.layers[1].measured.density, 0.2, 0.03);
    }
    // Every scheme sees the same modelled inputs.
    EXPECT_EQ(r.schemes[0].layers[1].measured.density, r.schemes[1].layers[1].measured.density);
    const auto j = results_json(r);
    EXPECT_EQ(j["schemes"][0]["layers"][1]["activations"]["source"], "modelled");
    EXPECT_EQ(j["schemes"][0]["layers"][1]["activations"]["model"]["density"], 0.2);
    EXPECT_NE(summary_table(r).find("SYNTHETIC"), std::string::npos);

    // Asking for real traces is the inference error; a per-layer option must name a layer.
    opt.activations = "traces";
    EXPECT_THROW(evaluate(opt), Error);
    opt.activations = "auto";
    set_activation_option(opt.activation_model, "bit_density", "nosuch=0.5");
    try {
        evaluate(opt);
        ADD_FAILURE() << "accepted a layer that does not exist";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'nosuch'"), std::string::npos) << e.what();
    }
    fs::remove(p);
}

// An executable graph evaluates on real traces (marked as such), or on modelled ones on request.
TEST(MappingOnly, ExecutableGraphUsesTracesUnlessModelledIsAsked) {
    EvalOptions opt;
    opt.model = "zoo:tiny-cnn";
    opt.schemes = {"dense"};
    opt.accuracy_images = 0;
    opt.calib_images = 8;
    opt.check_exact = true;
    const EvalResult real = evaluate(opt);
    EXPECT_TRUE(real.activations_note.empty());
    for (const auto& l : real.schemes[0].layers) {
        EXPECT_FALSE(l.modelled);
        EXPECT_GT(l.measured.density, 0.0);
    }
    opt.activations = "modelled";
    const EvalResult mod = evaluate(opt);
    EXPECT_FALSE(mod.activations_note.empty());
    EXPECT_EQ(mod.schemes[0].ideal_mismatches.value_or(-1), 0);
    for (const auto& l : mod.schemes[0].layers) EXPECT_TRUE(l.modelled);
}

// A network whose input is not a Fashion-MNIST image (3x32x32) maps on modelled activations.
TEST(MappingOnly, NonImageInputIsModelled) {
    EvalOptions opt;
    opt.model = "zoo:resnet20-cifar";
    opt.schemes = {"dense"};
    opt.check_exact = true;
    const EvalResult r = evaluate(opt);
    EXPECT_NE(r.activations_note.find("[N,1,28,28]"), std::string::npos) << r.activations_note;
    EXPECT_EQ(r.schemes[0].layers.at(0).positions, 32 * 32);
    EXPECT_EQ(r.schemes[0].ideal_mismatches.value_or(-1), 0);
}

// A depthwise conv is a block-diagonal K x N matrix (K = C x 9, N = C) whose off-block entries are
// no weights: the dense mapper stores only the C diagonal blocks, 9 rows x 1 output each, packed
// along crossbar diagonals, and the array utilization shows what is left of the poor fit. On
// 64 x 64 crossbars (8 outputs of 8 columns): min(64 / 9, 8) = 7 channels a crossbar, 3 crossbars
// for C = 16, holding 16 x 9 x 8 weight cells of 3 x 4096: 3/32. The same matrix full of weights
// takes 3 row bands x 2 output groups = 6 crossbars at 144 x 16 x 8 / (6 x 4096) = 3/4.
TEST(MappingOnly, DepthwiseConvShowsItsPoorArrayUtilization) {
    constexpr int64_t C = 16, K = C * 9;
    WeightMatrix full("full", K, C, 8), depthwise("dw", K, C, 8);
    depthwise.groups = C;
    for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < C; ++n) {
            const int32_t v = static_cast<int32_t>((k * 7 + n * 3) % 5) + 1;  // never zero
            full.w[static_cast<size_t>(k * C + n)] = (k + n) % 2 ? v : -v;
            if (k / 9 == n)
                depthwise.w[static_cast<size_t>(k * C + n)] = v;
            else
                depthwise.keep[static_cast<size_t>(k * C + n)] = 0;
        }
    HwConfig hw;
    hw.xbar_rows = 64;
    hw.xbar_cols = 64;
    const Mapping mf = map_dense(full, hw), md = map_dense(depthwise, hw);
    ASSERT_EQ(verify(md, depthwise), "");
    EXPECT_EQ(mf.tiles.size(), 6u);
    EXPECT_EQ(md.tiles.size(), 3u);
    // Every cell an OU op computes belongs to a non-zero weight, in both.
    EXPECT_EQ(weight_cells(mf, full), mf.used_cells());
    EXPECT_EQ(weight_cells(md, depthwise), md.used_cells());
    Footprint ff, fd;
    ff.crossbar_cells = mf.crossbar_cells();
    ff.weight_cells = weight_cells(mf, full);
    fd.crossbar_cells = md.crossbar_cells();
    fd.weight_cells = weight_cells(md, depthwise);
    EXPECT_DOUBLE_EQ(ff.array_utilization(), 3.0 / 4.0);
    EXPECT_DOUBLE_EQ(fd.array_utilization(), 3.0 / 32.0);
}
