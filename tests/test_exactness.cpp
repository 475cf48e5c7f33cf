// The exactness test: for every zoo model, every weight layer, and every weight encoding, the
// simulator's int32 outputs under an ideal ADC equal the integer reference bit for bit, and every
// mapping reconstructs its weights. With a real (narrow) ADC the mismatches are counted. A small
// network with depthwise and grouped convs is exact in every scheme.
#include <gtest/gtest.h>

#include <random>

#include "infer/int_infer.hpp"
#include "map/dense_mapper.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "quant/ptq.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"
#include "support/graph_builder.hpp"
#include "support/hw_builder.hpp"

using namespace sparsecim;

namespace {

struct Traced {
    QuantModel qm;
    std::vector<LayerTrace> traces;
};

Traced trace_model(const std::string& name) {
    const Graph g = make_zoo_model(name, 5);
    const Dataset train = load_fashion_mnist("train", 32);
    const Dataset test = load_fashion_mnist("test", 2);
    Traced t{quantize(g, train.images, QuantOptions{}), {}};
    run_int(t.qm, test.images, &t.traces);
    return t;
}

HwConfig config(Encoding enc, int cell_bits, int rows, int cols, int ou_rows, int ou_cols) {
    HwConfig hw = sparsecim::testing::hw_shape(enc, cell_bits, rows, cols, ou_rows, ou_cols);
    hw.adc_bits = 4;  // deliberately narrow: the ideal-ADC runs must not depend on it
    return hw;
}

// Conv 1 -> 32 (3x3, stride 2) -> Relu -> depthwise 3x3 (32 groups) -> Relu -> grouped 3x3
// conv 32 -> 32 (4 groups of 8) -> Relu -> GlobalAveragePool -> Flatten -> Gemm 32 -> 10, on
// Fashion-MNIST images; seeded weights uniform in [-1, 1).
Graph depthwise_net() {
    sparsecim::testing::GraphBuilder b("depthwise-net", {-1, 1, 28, 28}, 13);
    std::mt19937_64 rng(7);
    auto constant = [&](const std::string& name, Shape shape) {
        Tensor t(std::move(shape));
        for (float& v : t.data) v = static_cast<float>(rng() >> 40) / 8388608.0f - 1.0f;
        return b.constant(name, std::move(t));
    };
    auto conv = [&](const std::string& x, int64_t cin, int64_t cout, int64_t stride,
                    int64_t group) {
        const std::string id = std::to_string(b.g.nodes.size());
        return b.node(
            OpKind::Relu,
            {b.node(OpKind::Conv,
                    {x, constant("w" + id, {cout, cin / group, 3, 3}), constant("b" + id, {cout})},
                    {{"kernel_shape", std::vector<int64_t>{3, 3}},
                     {"strides", std::vector<int64_t>{stride, stride}},
                     {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                     {"group", group}})});
    };
    std::string x = conv("input", 1, 32, 2, 1);  // 32 x 14 x 14
    x = conv(x, 32, 32, 1, 32);
    x = conv(x, 32, 32, 1, 4);
    x = b.node(OpKind::Flatten, {b.node(OpKind::GlobalAveragePool, {x})}, {{"axis", int64_t{1}}});
    return b.done(b.node(OpKind::Gemm, {x, constant("fc.w", {10, 32}), constant("fc.b", {10})},
                         {{"transB", int64_t{1}}}));
}

}  // namespace

// Every scheme, on its own hardware preset, maps the depthwise and the grouped conv so that the
// mapping reconstructs the weights and the ideal-ADC simulation equals the integer reference.
// The dense mapper stores only the diagonal blocks on its 128 x 128 array (16 outputs of 8
// columns a crossbar): depthwise 32 x (9 x 1) blocks, 14 a crossbar -> 3 crossbars (the whole
// 288 x 32 matrix: 3 x 2 = 6); grouped 4 x (72 x 8) blocks, min(128 / 72, 16 / 8) = 1 a crossbar
// -> 4 (whole: 6), every OU op on weight positions only.
TEST(GroupedConvs, DepthwiseAndGroupedConvsAreExactInEveryScheme) {
    const Graph g = depthwise_net();
    const Tensor calib = load_fashion_mnist("train", 16).images;
    const Tensor images = load_fashion_mnist("test", 2).images;
    for (const Scheme& s : scheme_registry()) {
        SchemeContext ctx;
        ctx.hw = load_hw_config(hw_preset_path(s.name));
        const QuantModel qm = s.prepare(g, calib, ctx);
        ASSERT_EQ(qm.layers.size(), 4u);
        EXPECT_EQ(qm.layers[1].weights.groups, 32);
        EXPECT_EQ(qm.layers[2].weights.groups, 4);
        std::vector<LayerTrace> traces;
        run_int(qm, images, &traces);
        for (size_t l = 0; l < qm.layers.size(); ++l) {
            const WeightMatrix& w = qm.layers[l].weights;
            const std::string what = s.name + " " + qm.layers[l].name;
            const Mapping m = s.map(qm.layers[l], ctx);
            ASSERT_EQ(verify(m, w), "") << what;
            SimOptions ideal;
            ideal.ideal_adc = true;
            const SimResult r = simulate(m, traces[l], ctx.hw, ideal);
            EXPECT_EQ(r.outputs_checked, traces[l].positions * w.N) << what;
            EXPECT_EQ(r.mismatches, 0) << what;
            if (s.name != "dense") continue;
            const std::vector<size_t> crossbars = {2, 3, 4, 1};
            EXPECT_EQ(m.tiles.size(), crossbars[l]) << what;
            for (const Tile& t : m.tiles)
                for (const OuOp& op : t.ops)
                    for (int i = 0; i < op.rows; ++i)
                        for (int j = 0; j < op.cols; ++j)
                            ASSERT_TRUE(
                                w.is_weight(t.inputs[op.in_ofs + static_cast<size_t>(i)].k,
                                            t.outputs[op.out_ofs + static_cast<size_t>(j)].n))
                                << what;
        }
    }
}

class Exactness : public ::testing::TestWithParam<std::string> {};

TEST_P(Exactness, DenseMappingIsBitExactUnderIdealAdcForEveryEncoding) {
    const Traced t = trace_model(GetParam());
    const std::vector<HwConfig> hws = {
        config(Encoding::Differential, 2, 128, 128, 16, 8),
        config(Encoding::Offset, 4, 64, 64, 9, 8),
        config(Encoding::TwosComplement, 1, 256, 256, 32, 16),
    };
    for (const HwConfig& hw : hws) {
        int64_t narrow_mismatches = 0;
        for (size_t l = 0; l < t.qm.layers.size(); ++l) {
            const Mapping m = map_dense(t.qm.layers[l].weights, hw);
            ASSERT_EQ(verify(m, t.qm.layers[l].weights), "");
            const std::vector<int64_t> states = m.stored_cell_states();
            ASSERT_EQ(states.size(), size_t{1} << hw.cell_bits);
            int64_t stored = 0;
            for (int64_t c : states) stored += c;
            EXPECT_EQ(stored, m.stored_cells());
            SimOptions ideal;
            ideal.ideal_adc = true;
            const SimResult r = simulate(m, t.traces[l], hw, ideal);
            EXPECT_EQ(r.outputs_checked, t.traces[l].positions * t.traces[l].N);
            EXPECT_EQ(r.mismatches, 0) << GetParam() << " layer " << t.qm.layers[l].name
                                       << " encoding " << encoding_name(hw.encoding);
            narrow_mismatches += simulate(m, t.traces[l], hw).mismatches;
        }
        // A 4-bit ADC cannot resolve 9..32-row sums: the real-ADC run must show it.
        EXPECT_GT(narrow_mismatches, 0) << encoding_name(hw.encoding);
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, Exactness, ::testing::ValuesIn(zoo_names()));

// End-to-end inference with every weight layer computed by the simulator: under an ideal ADC the
// logits equal the integer reference's exactly; a 1-bit ADC changes them.
TEST(SimulatedInference, IdealAdcReproducesIntegerLogitsAndNarrowAdcChangesThem) {
    const Graph g = make_zoo_model("lenet", 3);
    const QuantModel qm = quantize(g, load_fashion_mnist("train", 32).images, QuantOptions{});
    const Tensor images = load_fashion_mnist("test", 3).images;
    HwConfig hw = config(Encoding::Differential, 2, 128, 128, 16, 8);
    std::vector<Mapping> maps;
    for (const QuantLayer& L : qm.layers) maps.push_back(map_dense(L.weights, hw));
    auto through = [&](bool ideal) {
        return [&, ideal](size_t li, const LayerTrace& in, std::vector<int32_t>& acc) {
            SimOptions so;
            so.ideal_adc = ideal;
            so.keep_outputs = true;
            const SimResult r = simulate(maps.at(li), in, hw, so);
            EXPECT_EQ(r.outputs_checked, 0);  // no reference outputs in the trace
            acc.assign(r.outputs.begin(), r.outputs.end());
        };
    };
    const Tensor exact = run_int(qm, images);
    EXPECT_EQ(run_int(qm, images, nullptr, through(true)).data, exact.data);
    hw.adc_bits = 1;
    EXPECT_NE(run_int(qm, images, nullptr, through(false)).data, exact.data);
}
