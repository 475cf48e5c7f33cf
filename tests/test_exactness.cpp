// The exactness test: for every zoo model, every weight layer, and every weight encoding, the
// simulator's int32 outputs under an ideal ADC equal the integer reference bit for bit, and every
// mapping reconstructs its weights. With a real (narrow) ADC the mismatches are counted.
#include <gtest/gtest.h>

#include "infer/int_infer.hpp"
#include "map/dense_mapper.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "quant/ptq.hpp"
#include "sim/simulator.hpp"

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
    HwConfig hw;
    hw.encoding = enc;
    hw.cell_bits = cell_bits;
    hw.xbar_rows = rows;
    hw.xbar_cols = cols;
    hw.ou_rows = ou_rows;
    hw.ou_cols = ou_cols;
    hw.adc_bits = 4;  // deliberately narrow: the ideal-ADC runs must not depend on it
    return hw;
}

}  // namespace

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
