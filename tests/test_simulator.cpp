// The dense mapper and the bit-serial simulator: mappings reconstruct their weights for every
// encoding, and the simulated outputs equal a directly computed integer product exactly under an
// ideal ADC; hand-computed counts for a tiny layer.
#include <gtest/gtest.h>

#include <random>

#include "hw/hw_config.hpp"
#include "infer/trace.hpp"
#include "map/dense_mapper.hpp"
#include "map/mapping.hpp"
#include "sim/simulator.hpp"
#include "support/hw_builder.hpp"

using namespace sparsecim;

namespace {

WeightMatrix random_weights(int64_t K, int64_t N, double zero_frac, uint64_t seed, int bits = 8) {
    WeightMatrix w("layer", K, N, bits);
    std::mt19937_64 rng(seed);
    const int32_t lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    for (auto& v : w.w) {
        const double u = static_cast<double>(rng() >> 11) / 9007199254740992.0;
        v = u < zero_frac ? 0
                          : lo + static_cast<int32_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
    }
    return w;
}

LayerTrace random_trace(const WeightMatrix& w, int64_t positions, bool is_signed, uint64_t seed) {
    LayerTrace t;
    t.layer = w.name;
    t.K = w.K;
    t.N = w.N;
    t.a_bits = 8;
    t.in_signed = is_signed;
    t.positions = positions;
    std::mt19937_64 rng(seed);
    for (int64_t i = 0; i < positions * w.K; ++i) {
        int32_t v = static_cast<int32_t>(rng() % 256);
        if (rng() % 3 == 0) v = 0;  // ReLU-like zeros
        t.inputs.push_back(is_signed ? v - 128 : v);
    }
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t n = 0; n < w.N; ++n) {
            int64_t acc = 0;
            for (int64_t k = 0; k < w.K; ++k) acc += int64_t{t.input(p)[k]} * w.at(k, n);
            t.outputs.push_back(static_cast<int32_t>(acc));
        }
    return t;
}

HwConfig hw_with(int rows, int cols, int cell_bits, int ou_rows, int ou_cols, Encoding enc) {
    HwConfig hw = sparsecim::testing::hw_shape(enc, cell_bits, rows, cols, ou_rows, ou_cols);
    hw.adc_bits = 5;
    return hw;
}

}  // namespace

struct DenseCase {
    int rows, cols, cell_bits, ou_rows, ou_cols;
    Encoding enc;
    bool is_signed;
};

class DenseExact : public ::testing::TestWithParam<DenseCase> {};

TEST_P(DenseExact, ReconstructsAndSimulatesExactlyWithIdealAdc) {
    const DenseCase c = GetParam();
    const HwConfig hw = hw_with(c.rows, c.cols, c.cell_bits, c.ou_rows, c.ou_cols, c.enc);
    const WeightMatrix w = random_weights(75, 21, 0.3, 7);
    const Mapping m = map_dense(w, hw);
    EXPECT_EQ(verify(m, w), "");
    const LayerTrace tr = random_trace(w, 13, c.is_signed, 11);
    SimOptions opt;
    opt.ideal_adc = true;
    opt.threads = 2;
    const SimResult r = simulate(m, tr, hw, opt);
    EXPECT_EQ(r.outputs_checked, 13 * 21);
    EXPECT_EQ(r.mismatches, 0);
    // Each column-sum kernel forced: exact too (signed inputs take the sign plane's subtraction).
    for (SimOptions::Kernel k : runnable_kernels()) {
        opt.kernel = k;
        EXPECT_EQ(simulate(m, tr, hw, opt).mismatches, 0) << static_cast<int>(k);
    }
    EXPECT_EQ(r.stats.ou_ops_skipped, 0u);  // the dense baseline skips nothing
    // Every OU op is issued for every bit-plane of every position.
    EXPECT_EQ(r.stats.ou_ops, static_cast<uint64_t>(m.ou_slots()) * 8u * 13u);
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, DenseExact,
    ::testing::Values(DenseCase{32, 32, 2, 16, 8, Encoding::Differential, false},
                      DenseCase{32, 32, 2, 16, 8, Encoding::Differential, true},
                      DenseCase{64, 64, 1, 9, 8, Encoding::Offset, false},
                      DenseCase{64, 64, 4, 9, 8, Encoding::Offset, true},
                      DenseCase{128, 128, 1, 16, 8, Encoding::TwosComplement, false},
                      DenseCase{128, 128, 1, 128, 16, Encoding::TwosComplement, true},
                      DenseCase{16, 16, 8, 4, 2, Encoding::Differential, false}),
    [](const ::testing::TestParamInfo<DenseCase>& param_info) {
        const DenseCase& c = param_info.param;
        return std::string(encoding_name(c.enc)) + "_cell" + std::to_string(c.cell_bits) + "_ou" +
               std::to_string(c.ou_rows) + "x" + std::to_string(c.ou_cols) +
               (c.is_signed ? "_signed" : "_unsigned");
    });

TEST(DenseMapping, VerifyCatchesACorruptedCell) {
    const HwConfig hw = hw_with(32, 32, 2, 16, 8, Encoding::Differential);
    const WeightMatrix w = random_weights(40, 6, 0.0, 3);
    Mapping m = map_dense(w, hw);
    ASSERT_EQ(verify(m, w), "");
    uint8_t& cell = m.tiles[0].cell(5, 3);
    cell = static_cast<uint8_t>((cell + 1) % 4);
    EXPECT_NE(verify(m, w), "");
}

TEST(DenseMapping, TileCountAndLayout) {
    // 8-bit weights in 2-bit cells, differential: 8 columns per output, 16 outputs per 128 cols.
    const HwConfig hw = hw_with(128, 128, 2, 16, 8, Encoding::Differential);
    const WeightMatrix w = random_weights(300, 40, 0.5, 5);
    const Mapping m = map_dense(w, hw);
    EXPECT_EQ(m.tiles.size(), 3u * 3u);  // ceil(300/128) x ceil(40/16)
    EXPECT_EQ(m.stored_cells(), 300 * 40 * 8);
}

TEST(Simulator, HandComputedTinyLayer) {
    // w = [3, -2]^T, x = [1, 2]: y = 3 - 4 = -1. 2-bit cells, differential: 8 columns.
    HwConfig hw = hw_with(4, 8, 2, 2, 8, Encoding::Differential);
    hw.adc_per_xbar = 4;
    WeightMatrix w("tiny", 2, 1, 8);
    w.at(0, 0) = 3;
    w.at(1, 0) = -2;
    const Mapping m = map_dense(w, hw);
    ASSERT_EQ(verify(m, w), "");
    ASSERT_EQ(m.ou_slots(), 1);
    LayerTrace tr;
    tr.layer = "tiny";
    tr.K = 2;
    tr.N = 1;
    tr.positions = 1;
    tr.inputs = {1, 2};
    tr.outputs = {-1};
    SimOptions opt;
    opt.keep_outputs = true;
    const SimResult r = simulate(m, tr, hw, opt);
    EXPECT_EQ(r.mismatches, 0);
    ASSERT_EQ(r.outputs.size(), 1u);
    EXPECT_EQ(r.outputs[0], -1);
    EXPECT_EQ(r.stats.ou_ops, 8u);              // one op per bit-plane
    EXPECT_EQ(r.stats.adc_conversions, 64u);    // 8 columns x 8 planes
    EXPECT_EQ(r.stats.driver_activations, 2u);  // x0 bit 0 and x1 bit 1
    EXPECT_EQ(r.stats.cell_reads, 16u);         // each driven row reads its 8 cells
    // Row 0 holds +3 -> pos slice0 = 3, others 0; row 1 holds -2 -> neg slice0 = 2.
    EXPECT_EQ(r.stats.cell_reads_by_state[3], 1u);
    EXPECT_EQ(r.stats.cell_reads_by_state[2], 1u);
    EXPECT_EQ(r.stats.cell_reads_by_state[0], 14u);
    EXPECT_EQ(r.stats.cycles, 8u * 2u);  // 8 ops, 8 columns over 4 ADCs = 2 rounds each
    EXPECT_EQ(r.stats.buffer_bytes, 2u);
}

TEST(Simulator, RealAdcSaturatesAndIsCounted) {
    // 16 rows of 2-bit cells can sum to 48 > 31 (5-bit ADC): all-max weights and inputs saturate.
    const HwConfig hw = hw_with(16, 8, 2, 16, 8, Encoding::Offset);
    WeightMatrix w("sat", 16, 2, 8);
    for (auto& v : w.w) v = 127;
    LayerTrace tr;
    tr.layer = "sat";
    tr.K = 16;
    tr.N = 2;
    tr.positions = 1;
    tr.inputs.assign(16, 255);
    tr.outputs.assign(2, 16 * 255 * 127);
    const Mapping m = map_dense(w, hw);
    const SimResult real = simulate(m, tr, hw);
    EXPECT_GT(real.stats.adc_saturations, 0u);
    EXPECT_EQ(real.mismatches, 2);
    SimOptions ideal;
    ideal.ideal_adc = true;
    EXPECT_EQ(simulate(m, tr, hw, ideal).mismatches, 0);
}
