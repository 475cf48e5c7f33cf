// The pipelined timing model (Mapping::pipeline) on hand-computed tiny cases: the deck 000
// stages Cache -> Load -> Skip -> CIM -> ADC -> Benes -> Shift&Add, one item per issued
// bit-plane, a fully skipped OU op passing only its per-op stages; and the hardware config's
// components.NAME.latency_cycles that the csr mapper reads the stage latencies from.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

namespace {

using Per = Mapping::PipelineStage::Per;

// K inputs on one crossbar column, all cells 1, one OU op per pair of rows, each op opening a
// fetch; the deck's seven stages with one cycle each.
Mapping two_row_ops(int ops) {
    Mapping m;
    m.layer = "t";
    m.K = 2 * ops;
    m.N = 1;
    m.cell_bits = 2;
    m.skip_zero_ou = true;
    Tile t;
    t.rows = 2 * ops;
    t.cols = 1;
    t.cells.assign(static_cast<size_t>(t.rows), 1);
    for (int k = 0; k < 2 * ops; ++k) t.inputs.push_back(RowInput{k, 0});
    t.outputs.push_back(ColOutput{0, 0, 1});
    for (int o = 0; o < ops; ++o) {
        OuOp op;
        op.r0 = static_cast<uint16_t>(2 * o);
        op.rows = 2;
        op.c0 = 0;
        op.cols = 1;
        op.in_ofs = static_cast<uint32_t>(2 * o);
        op.out_ofs = 0;
        op.fetch = true;
        t.ops.push_back(op);
    }
    m.tiles.push_back(t);
    m.pipeline = {{"cache", Per::Fetch, 1}, {"load", Per::Op, 1},      {"skip", Per::Plane, 1},
                  {"cim", Per::Plane, 1},   {"adc", Per::AdcRound, 1}, {"benes", Per::Plane, 1},
                  {"sa", Per::Plane, 1}};
    return m;
}

LayerTrace trace_of(const Mapping& m, int a_bits, const std::vector<std::vector<int32_t>>& xs) {
    LayerTrace tr;
    tr.layer = "t";
    tr.K = m.K;
    tr.N = 1;
    tr.a_bits = a_bits;
    tr.positions = static_cast<int64_t>(xs.size());
    for (const auto& x : xs) {
        int32_t sum = 0;
        for (int32_t v : x) {
            tr.inputs.push_back(v);
            sum += v;
        }
        tr.outputs.push_back(sum);
    }
    return tr;
}

uint64_t cycles(const Mapping& m, const LayerTrace& tr) {
    HwConfig hw;
    hw.adc_per_xbar = 8;
    SimOptions so;
    so.ideal_adc = true;
    so.threads = 1;
    const SimResult r = simulate(m, tr, hw, so);
    EXPECT_EQ(r.mismatches, 0);
    return r.stats.cycles;
}

}  // namespace

// 2-bit inputs, two ops (rows 0-1, rows 2-3). Hand-computed finish times (stage by stage):
//  x = [3,0,0,0]: op0 plane0 1..7, op0 plane1 finishes S&A at 8; op1 all-zero passes cache
//                 (2) and load (3) only, hidden -> 8.
//  x = [1,0,2,0]: op0 plane0 ends 7; op1 plane1: cache 2, load 3, skip 4 ... S&A 8 -> 8.
//  x = [0,0,0,0]: two stand-ins: cache 1, 2; load 2, 3 -> 3.
TEST(CsrPipeline, HandComputedStageTimes) {
    const Mapping m = two_row_ops(2);
    EXPECT_EQ(cycles(m, trace_of(m, 2, {{3, 0, 0, 0}})), 8u);
    EXPECT_EQ(cycles(m, trace_of(m, 2, {{1, 0, 2, 0}})), 8u);
    EXPECT_EQ(cycles(m, trace_of(m, 2, {{0, 0, 0, 0}})), 3u);
    EXPECT_EQ(cycles(m, trace_of(m, 2, {{3, 0, 0, 0}, {1, 0, 2, 0}, {0, 0, 0, 0}})), 19u);
    // Without the pipeline: issued ops x ou_op_cycles (2 + 2 + 0).
    Mapping plain = m;
    plain.pipeline.clear();
    EXPECT_EQ(cycles(plain, trace_of(m, 2, {{3, 0, 0, 0}, {1, 0, 2, 0}, {0, 0, 0, 0}})), 4u);
}

// An all-zero OU op after one with every bit-plane issued costs nothing: 8 planes take
// 7 + 7 = 14 cycles, with or without the skipped op behind them; a second busy op adds 8.
TEST(CsrPipeline, SkippedOpIsHiddenBehindTheBitSerialStream) {
    const Mapping one = two_row_ops(1);
    const Mapping two = two_row_ops(2);
    EXPECT_EQ(cycles(one, trace_of(one, 8, {{255, 0}})), 14u);
    EXPECT_EQ(cycles(two, trace_of(two, 8, {{255, 0, 0, 0}})), 14u);
    EXPECT_EQ(cycles(two, trace_of(two, 8, {{255, 0, 255, 0}})), 22u);
    // A slower stage becomes the bottleneck: a 3-cycle CIM makes 8 planes take 5 + 3*8 - 3 + 3.
    Mapping slow = one;
    slow.pipeline[3].cycles = 3;
    EXPECT_EQ(cycles(slow, trace_of(slow, 8, {{255, 0}})), 2u + 1 + 3 * 8 + 3);
}

TEST(CsrPipeline, ComponentLatencyCyclesParseEchoAndReject) {
    HwConfig hw = parse_hw_config("components:\n  cache: {latency_cycles: 2}\n", "c.yaml");
    EXPECT_EQ(hw.components.at("cache").latency_cycles, 2);
    apply_hw_override(hw, "components.cache.latency_cycles=5");
    EXPECT_EQ(hw.components.at("cache").latency_cycles, 5);
    EXPECT_EQ(to_json(hw).at("components").at("cache").at("latency_cycles").get<int64_t>(), 5);
    EXPECT_THROW(parse_hw_config("components: {cache: {latency_cycles: -1}}", "b.yaml"), Error);
    try {
        parse_hw_config("components: {cache: {latency_cycles: -1}}", "b.yaml");
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("components.cache.latency_cycles"), std::string::npos);
    }
}
