// Cost model and Stats: hand-computed energies, areas, latency; Stats::add and JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "cost/cost_model.hpp"

using namespace sparsecim;

namespace {

HwConfig table() {
    HwConfig hw;
    hw.xbar_rows = 128;
    hw.cell_bits = 2;
    hw.xbar_area_um2 = 25.0;
    hw.adc_per_xbar = 16;
    hw.adc_energy_pj = 0.5;
    hw.adc_area_um2 = 100.0;
    hw.dac_energy_pj = 0.25;
    hw.dac_area_um2 = 0.5;
    hw.cell_read_energy_pj = 2.0;
    hw.sa_energy_pj = 0.125;
    hw.sa_area_um2 = 30.0;
    hw.buffer_energy_pj_per_byte = 1.5;
    hw.buffer_area_um2 = 800.0;
    hw.index_energy_pj_per_bit = 0.1;
    hw.index_area_um2_per_kbit = 128.0;
    hw.clock_mhz = 500.0;
    return hw;
}

Stats counts() {
    Stats s;
    s.ou_ops = 10;
    s.adc_conversions = 80;
    s.driver_activations = 40;
    s.cell_reads = 100;
    s.sa_ops = 64;
    s.digital_adds = 8;
    s.buffer_bytes = 20;
    s.index_bits_read = 30;
    s.cycles = 250;
    return s;
}

}  // namespace

TEST(CostModel, FlatCellEnergyByComponent) {
    const Cost c = price(counts(), Footprint{3, 1000, 2048, {}}, table());
    EXPECT_DOUBLE_EQ(c.energy_pj.at("cells"), 200.0);    // 100 x 2.0
    EXPECT_DOUBLE_EQ(c.energy_pj.at("adc"), 40.0);       // 80 x 0.5
    EXPECT_DOUBLE_EQ(c.energy_pj.at("dac"), 10.0);       // 40 x 0.25
    EXPECT_DOUBLE_EQ(c.energy_pj.at("shift_add"), 8.0);  // 64 x 0.125
    EXPECT_DOUBLE_EQ(c.energy_pj.at("digital"), 1.0);    // 8 x 0.125
    EXPECT_DOUBLE_EQ(c.energy_pj.at("buffer"), 30.0);    // 20 x 1.5
    EXPECT_DOUBLE_EQ(c.energy_pj.at("index"), 3.0);      // 30 x 0.1
    EXPECT_EQ(c.energy_pj.size(), 7u);
    EXPECT_DOUBLE_EQ(c.total_energy_pj(), 292.0);

    EXPECT_DOUBLE_EQ(c.area_um2.at("crossbars"), 75.0);  // 3 x 25
    EXPECT_DOUBLE_EQ(c.area_um2.at("adc"), 4800.0);      // 3 x 16 x 100
    EXPECT_DOUBLE_EQ(c.area_um2.at("dac"), 192.0);       // 3 x 128 x 0.5
    EXPECT_DOUBLE_EQ(c.area_um2.at("shift_add"), 90.0);  // 3 x 30
    EXPECT_DOUBLE_EQ(c.area_um2.at("buffer"), 2400.0);   // 3 x 800
    EXPECT_DOUBLE_EQ(c.area_um2.at("index"), 256.0);     // 2048 / 1024 x 128
    EXPECT_EQ(c.area_um2.size(), 6u);
    EXPECT_DOUBLE_EQ(c.total_area_um2(), 7813.0);

    EXPECT_DOUBLE_EQ(c.latency_ns, 500.0);  // 250 cycles at 500 MHz = 2 ns each
}

TEST(CostModel, PerStateCellEnergy) {
    HwConfig hw = table();
    hw.cell_state_energy_pj = {0.079, 0.36, 0.73, 1.49};
    Stats s;
    s.cell_reads = 100;
    s.cell_reads_by_state = {40, 30, 20, 10};
    Cost c = price(s, Footprint{}, hw);
    // 40 x 0.079 + 30 x 0.36 + 20 x 0.73 + 10 x 1.49 = 3.16 + 10.8 + 14.6 + 14.9 = 43.46
    EXPECT_NEAR(c.energy_pj.at("cells"), 43.46, 1e-9);

    // By-state counts with a flat table: every state at the flat energy.
    hw.cell_state_energy_pj.clear();
    c = price(s, Footprint{}, hw);
    EXPECT_DOUBLE_EQ(c.energy_pj.at("cells"), 200.0);

    // Trailing zero entries beyond the cell's states are harmless; reads there are a bug.
    s.cell_reads_by_state = {1, 0, 0, 0, 0, 0};
    EXPECT_DOUBLE_EQ(price(s, Footprint{}, hw).energy_pj.at("cells"), 2.0);
    s.cell_reads_by_state = {1, 0, 0, 0, 5};
    EXPECT_THROW(price(s, Footprint{}, hw), Error);
    EXPECT_THROW(price(Stats{}, Footprint{-1, 0, 0, {}}, hw), Error);
}

TEST(CostModel, JsonHasComponentsAndTotals) {
    const nlohmann::json j = to_json(price(counts(), Footprint{3, 1000, 2048, {}}, table()));
    EXPECT_DOUBLE_EQ(j.at("energy_pj").at("adc").get<double>(), 40.0);
    EXPECT_DOUBLE_EQ(j.at("area_um2").at("index").get<double>(), 256.0);
    EXPECT_DOUBLE_EQ(j.at("total_energy_pj").get<double>(), 292.0);
    EXPECT_DOUBLE_EQ(j.at("total_area_um2").get<double>(), 7813.0);
    EXPECT_DOUBLE_EQ(j.at("latency_ns").get<double>(), 500.0);
}

TEST(Stats, AddIsElementWiseAndGrowsByState) {
    Stats a = counts();
    a.cell_reads_by_state = {1, 2};
    Stats b = counts();
    b.ou_ops_skipped = 7;
    b.adc_saturations = 3;
    b.cell_reads_by_state = {10, 20, 30, 40};
    a.add(b);
    EXPECT_EQ(a.ou_ops, 20u);
    EXPECT_EQ(a.ou_ops_skipped, 7u);
    EXPECT_EQ(a.adc_conversions, 160u);
    EXPECT_EQ(a.adc_saturations, 3u);
    EXPECT_EQ(a.driver_activations, 80u);
    EXPECT_EQ(a.cell_reads, 200u);
    EXPECT_EQ(a.cell_reads_by_state, (std::vector<uint64_t>{11, 22, 30, 40}));
    EXPECT_EQ(a.sa_ops, 128u);
    EXPECT_EQ(a.digital_adds, 16u);
    EXPECT_EQ(a.buffer_bytes, 40u);
    EXPECT_EQ(a.index_bits_read, 60u);
    EXPECT_EQ(a.cycles, 500u);

    Stats c;
    c.cell_reads_by_state = {5, 5, 5};
    c.add(Stats{});  // adding an empty vector keeps ours
    EXPECT_EQ(c.cell_reads_by_state, (std::vector<uint64_t>{5, 5, 5}));
}

TEST(Stats, JsonHasEveryCounterByName) {
    Stats s = counts();
    s.ou_ops_skipped = 2;
    s.adc_saturations = 1;
    s.cell_reads_by_state = {3, 4};
    const nlohmann::json j = to_json(s);
    EXPECT_EQ(j.size(), 13u);
    EXPECT_EQ(j.at("ou_ops"), 10);
    EXPECT_EQ(j.at("ou_ops_skipped"), 2);
    EXPECT_EQ(j.at("adc_conversions"), 80);
    EXPECT_EQ(j.at("adc_saturations"), 1);
    EXPECT_EQ(j.at("driver_activations"), 40);
    EXPECT_EQ(j.at("cell_reads"), 100);
    EXPECT_EQ(j.at("cell_reads_by_state"), nlohmann::json({3, 4}));
    EXPECT_EQ(j.at("sa_ops"), 64);
    EXPECT_EQ(j.at("digital_adds"), 8);
    EXPECT_EQ(j.at("buffer_bytes"), 20);
    EXPECT_EQ(j.at("index_bits_read"), 30);
    EXPECT_EQ(j.at("cycles"), 250);
}

TEST(CostModel, SchemePeripheryIsPricedByComponentName) {
    HwConfig hw = table();
    hw.components["benes_switch"] = ComponentSpec{0.5, 10.0};
    Stats s;
    s.events["benes_switch"] = 6;
    Footprint fp;
    fp.units["benes_switch"] = 56;
    const Cost c = price(s, fp, hw);
    EXPECT_DOUBLE_EQ(c.energy_pj.at("benes_switch"), 3.0);   // 6 x 0.5
    EXPECT_DOUBLE_EQ(c.area_um2.at("benes_switch"), 560.0);  // 56 x 10
    s.events["lfsr"] = 1;  // counted but not in the config: an error naming the field
    try {
        price(s, fp, hw);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("components.lfsr"), std::string::npos) << e.what();
    }
}
