// HwConfig: YAML loading, validation messages, --set overrides, JSON echo, the presets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "hw/hw_config.hpp"
#include "schemes/scheme.hpp"

using namespace sparsecim;

namespace {

// The message of the Error `f` throws, or "" when it does not throw.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::string parse_error(const std::string& yaml) {
    return error_of([&] { parse_hw_config(yaml, "configs/hw/x.yaml"); });
}

}  // namespace

TEST(HwConfig, EmptyDocumentGivesDefaults) {
    const HwConfig hw = parse_hw_config("", "empty.yaml");
    const HwConfig def;
    EXPECT_EQ(hw.source, "empty.yaml");
    EXPECT_EQ(hw.xbar_rows, def.xbar_rows);
    EXPECT_EQ(hw.ou_rows, def.ou_rows);
    EXPECT_EQ(hw.encoding, Encoding::Differential);
    EXPECT_NO_THROW(validate(def));
}

TEST(HwConfig, ParsesEveryKey) {
    const HwConfig hw = parse_hw_config(R"(
name: t
crossbar: {rows: 64, cols: 32, cell_bits: 1, area_um2: 5.5}
data: {weight_bits: 4, activation_bits: 3, encoding: twos_complement}
ou: {rows: 4, cols: 2}
adc: {bits: 3, per_crossbar: 2, energy_pj: 0.5, area_um2: 7, latency_ns: 2.5}
dac: {energy_pj: 0.01, area_um2: 0.2}
cell: {read_energy_pj: 0.3, state_energy_pj: [0.1, 0.9]}
shift_add: {energy_pj: 0.02, area_um2: 11}
buffer: {energy_pj_per_byte: 0.6, area_um2: 12}
index: {energy_pj_per_bit: 0.15, area_um2_per_kbit: 130}
timing: {clock_mhz: 500, ou_op_cycles: 2}
)",
                                        "t.yaml");
    EXPECT_EQ(hw.name, "t");
    EXPECT_EQ(hw.xbar_rows, 64);
    EXPECT_EQ(hw.xbar_cols, 32);
    EXPECT_EQ(hw.cell_bits, 1);
    EXPECT_DOUBLE_EQ(hw.xbar_area_um2, 5.5);
    EXPECT_EQ(hw.w_bits, 4);
    EXPECT_EQ(hw.a_bits, 3);
    EXPECT_EQ(hw.encoding, Encoding::TwosComplement);
    EXPECT_EQ(hw.ou_rows, 4);
    EXPECT_EQ(hw.ou_cols, 2);
    EXPECT_EQ(hw.adc_bits, 3);
    EXPECT_EQ(hw.adc_per_xbar, 2);
    EXPECT_DOUBLE_EQ(hw.adc_energy_pj, 0.5);
    EXPECT_DOUBLE_EQ(hw.adc_area_um2, 7.0);
    EXPECT_DOUBLE_EQ(hw.adc_latency_ns, 2.5);
    EXPECT_DOUBLE_EQ(hw.dac_energy_pj, 0.01);
    EXPECT_DOUBLE_EQ(hw.dac_area_um2, 0.2);
    EXPECT_DOUBLE_EQ(hw.cell_read_energy_pj, 0.3);
    EXPECT_EQ(hw.cell_state_energy_pj, (std::vector<double>{0.1, 0.9}));
    EXPECT_DOUBLE_EQ(hw.sa_energy_pj, 0.02);
    EXPECT_DOUBLE_EQ(hw.sa_area_um2, 11.0);
    EXPECT_DOUBLE_EQ(hw.buffer_energy_pj_per_byte, 0.6);
    EXPECT_DOUBLE_EQ(hw.buffer_area_um2, 12.0);
    EXPECT_DOUBLE_EQ(hw.index_energy_pj_per_bit, 0.15);
    EXPECT_DOUBLE_EQ(hw.index_area_um2_per_kbit, 130.0);
    EXPECT_DOUBLE_EQ(hw.clock_mhz, 500.0);
    EXPECT_EQ(hw.ou_op_cycles, 2);
}

TEST(HwConfig, ValidationMessagesNameFileAndField) {
    EXPECT_EQ(parse_error("ou: {rows: 256}"),
              "configs/hw/x.yaml: ou.rows: OU rows (256) exceed crossbar rows (128)");
    EXPECT_EQ(parse_error("ou: {rows: abc}"),
              "configs/hw/x.yaml: ou.rows: expected an integer, got 'abc'");
    EXPECT_EQ(parse_error("ou: {rows: 1.5}"),
              "configs/hw/x.yaml: ou.rows: expected an integer, got '1.5'");
    EXPECT_EQ(parse_error("adc: {energy_pj: -1}"),
              "configs/hw/x.yaml: adc.energy_pj: must be a finite number >= 0 (got -1)");
    EXPECT_EQ(parse_error("adc: {energy_pj: [1]}"),
              "configs/hw/x.yaml: adc.energy_pj: expected a finite number, got a list");
    EXPECT_EQ(parse_error("crossbar: {rows: 0}"),
              "configs/hw/x.yaml: crossbar.rows: must be in 1..65536 (got 0)");
    EXPECT_EQ(parse_error("crossbar: {cols: 70000}"),
              "configs/hw/x.yaml: crossbar.cols: must be in 1..65536 (got 70000)");
    EXPECT_EQ(parse_error("crossbar: {cell_bits: 3}"),
              "configs/hw/x.yaml: crossbar.cell_bits: must be 1, 2, 4 or 8 (got 3)");
    EXPECT_EQ(parse_error("crossbar: {cell_bits: 4}\ndata: {weight_bits: 6}"),
              "configs/hw/x.yaml: crossbar.cell_bits: cell bits (4) do not divide weight bits (6)");
    EXPECT_EQ(parse_error("data: {weight_bits: 1}"),
              "configs/hw/x.yaml: data.weight_bits: must be in 2..16 (got 1)");
    EXPECT_EQ(parse_error("data: {activation_bits: 17}"),
              "configs/hw/x.yaml: data.activation_bits: must be in 1..16 (got 17)");
    EXPECT_EQ(parse_error("adc: {bits: 25}"),
              "configs/hw/x.yaml: adc.bits: must be in 1..24 (got 25)");
    EXPECT_EQ(parse_error("ou: {cols: 0}"), "configs/hw/x.yaml: ou.cols: must be at least 1");
    EXPECT_EQ(parse_error("cell: {state_energy_pj: [1, 2, 3]}"),
              "configs/hw/x.yaml: cell.state_energy_pj: has 3 entries, expected 4 "
              "(2^crossbar.cell_bits for 2-bit cells) or none");
    EXPECT_EQ(parse_error("cell: {state_energy_pj: [1, 2, x, 3]}"),
              "configs/hw/x.yaml: cell.state_energy_pj[2]: expected a finite number, got 'x'");
    EXPECT_EQ(parse_error("timing: {clock_mhz: 0}"),
              "configs/hw/x.yaml: timing.clock_mhz: must be in (0, 1000000] MHz (got 0)");
    EXPECT_EQ(parse_error("data: {encoding: gray}"),
              "configs/hw/x.yaml: data.encoding: expected one of differential, offset, "
              "twos_complement, got 'gray'");
    EXPECT_NE(parse_error("data: {encoding: twos_complement}")
                  .find("configs/hw/x.yaml: data.encoding: twos_complement needs "
                        "crossbar.cell_bits = 1 (got 2)"),
              std::string::npos);
    EXPECT_EQ(parse_error("crossbar: {cell_bits: 1}\ndata: {encoding: twos_complement}"), "");
    EXPECT_EQ(parse_error("name: ''"), "configs/hw/x.yaml: name: must not be empty");
}

TEST(HwConfig, UnknownKeysAtAnyLevelAreErrors) {
    EXPECT_EQ(parse_error("colour: red"),
              "configs/hw/x.yaml: colour: unknown key (known: name, crossbar, data, ou, adc, "
              "dac, cell, shift_add, buffer, index, device, timing, components, components_from)");
    EXPECT_EQ(parse_error("ou: {rows: 8, depth: 2}"),
              "configs/hw/x.yaml: ou.depth: unknown key (known in ou: rows, cols)");
    EXPECT_EQ(parse_error("ou: 5"),
              "configs/hw/x.yaml: ou: expected a mapping with keys rows, cols, got '5'");
    EXPECT_EQ(parse_error("ou: {rows: 8}\nou: {cols: 4}"), "configs/hw/x.yaml: ou: duplicate key");
    EXPECT_EQ(parse_error("- 1\n- 2"),
              "configs/hw/x.yaml: (top level): expected a mapping of sections, got a list");
}

TEST(HwConfig, MalformedYamlNamesFileAndLine) {
    const std::string msg = parse_error("name: a\nou: {rows: 8\ncell: [\n");
    EXPECT_EQ(msg.rfind("configs/hw/x.yaml: line ", 0), 0u) << msg;
    EXPECT_NE(msg.find("malformed YAML"), std::string::npos) << msg;
}

TEST(HwConfig, MissingFileIsAnError) {
    const std::string msg = error_of([] { load_hw_config("/nonexistent/hw.yaml"); });
    EXPECT_EQ(msg, "/nonexistent/hw.yaml: no such hardware config file");
}

TEST(HwConfig, OverridesUseYamlKeysAndRevalidate) {
    HwConfig hw = parse_hw_config("name: base", "base.yaml");
    apply_hw_override(hw, "ou.rows=8");
    EXPECT_EQ(hw.ou_rows, 8);
    apply_hw_override(hw, " adc.energy_pj = 0.25 ");
    EXPECT_DOUBLE_EQ(hw.adc_energy_pj, 0.25);
    apply_hw_override(hw, "data.encoding=offset");
    EXPECT_EQ(hw.encoding, Encoding::Offset);
    apply_hw_override(hw, "cell.state_energy_pj=[0.1, 0.2, 0.3, 0.4]");
    EXPECT_DOUBLE_EQ(hw.cell_energy_pj(3), 0.4);
    apply_hw_override(hw, "name=sweep");
    EXPECT_EQ(hw.name, "sweep");
    EXPECT_EQ(hw.source, "base.yaml");

    // The override's own key first (a front end rewords it: the CLI says --set ou.rows), then the
    // field the check failed on.
    EXPECT_EQ(error_of([&] { apply_hw_override(hw, "ou.rows=256"); }),
              "ou.rows: ou.rows: OU rows (256) exceed crossbar rows (128)");
    EXPECT_EQ(hw.ou_rows, 8);  // unchanged after a failed override
    EXPECT_EQ(error_of([&] { apply_hw_override(hw, "crossbar.rows=4"); }),
              "crossbar.rows: ou.rows: OU rows (8) exceed crossbar rows (4)");
    EXPECT_EQ(hw.xbar_rows, 128);
    EXPECT_EQ(error_of([&] { apply_hw_override(hw, "ou.rows=abc"); }),
              "ou.rows: ou.rows: expected an integer, got 'abc'");
    EXPECT_EQ(error_of([&] { apply_hw_override(hw, "ou.depth=3"); }),
              "ou.depth: ou.depth: unknown key (known in ou: rows, cols)");
    EXPECT_NE(
        error_of([&] { apply_hw_override(hw, "ou.rows"); }).find("expected section.key=value"),
        std::string::npos);
}

TEST(HwConfig, AdcIdealAndCellEnergy) {
    HwConfig hw;
    hw.ou_rows = 16;
    hw.cell_bits = 2;
    hw.adc_bits = 5;  // 31 < 48
    EXPECT_FALSE(hw.adc_is_ideal());
    hw.adc_bits = 6;  // 63 >= 48
    EXPECT_TRUE(hw.adc_is_ideal());
    hw.ou_rows = 21;  // 63 >= 63
    EXPECT_TRUE(hw.adc_is_ideal());
    hw.ou_rows = 22;  // 63 < 66
    EXPECT_FALSE(hw.adc_is_ideal());

    hw.cell_read_energy_pj = 0.5;
    EXPECT_DOUBLE_EQ(hw.cell_energy_pj(0), 0.5);
    EXPECT_DOUBLE_EQ(hw.cell_energy_pj(3), 0.5);
    hw.cell_state_energy_pj = {0.079, 0.36, 0.73, 1.49};
    EXPECT_DOUBLE_EQ(hw.cell_energy_pj(0), 0.079);
    EXPECT_DOUBLE_EQ(hw.cell_energy_pj(2), 0.73);
    EXPECT_THROW(hw.cell_energy_pj(4), Error);
    EXPECT_THROW(hw.cell_energy_pj(-1), Error);
    EXPECT_STREQ(encoding_name(Encoding::TwosComplement), "twos_complement");
    EXPECT_STREQ(encoding_name(Encoding::Differential), "differential");
    EXPECT_STREQ(encoding_name(Encoding::Offset), "offset");
}

TEST(HwConfig, JsonEchoUsesYamlKeysAndParsesBack) {
    HwConfig hw =
        parse_hw_config("name: j\nou: {rows: 4}\ncell: {state_energy_pj: [1,2,3,4]}", "j.yaml");
    const nlohmann::json j = to_json(hw);
    EXPECT_EQ(j.at("ou").at("rows"), 4);
    EXPECT_EQ(j.at("data").at("encoding"), "differential");
    EXPECT_EQ(j.at("cell").at("state_energy_pj").size(), 4u);
    const HwConfig back = parse_hw_config(j.dump(), "echo");
    EXPECT_EQ(to_json(back), j);
    // Every documented key is in the echo.
    for (const HwKeyInfo& k : hw_config_keys()) {
        const auto dot = k.key.find('.');
        if (dot == std::string::npos) {
            EXPECT_TRUE(j.contains(k.key)) << k.key;
        } else {
            EXPECT_TRUE(j.at(k.key.substr(0, dot)).contains(k.key.substr(dot + 1))) << k.key;
        }
        EXPECT_FALSE(k.description.empty()) << k.key;
    }
    EXPECT_EQ(hw_config_keys().size(), 37u);
}

TEST(HwConfig, PresetsLoadWithTheSourceDocumentsValues) {
    for (const Scheme& scheme : scheme_registry()) {  // every scheme brings its preset
        const std::string& name = scheme.name;
        const HwConfig hw = load_hw_config(hw_preset_path(name));
        EXPECT_EQ(hw.name, name);
        EXPECT_EQ(to_json(parse_hw_config(to_json(hw).dump(), "echo")), to_json(hw)) << name;
        EXPECT_GT(hw.adc_energy_pj, 0.0) << name;
        EXPECT_GT(hw.xbar_area_um2, 0.0) << name;
    }
    const HwConfig dense = load_hw_config(hw_preset_path("dense"));
    EXPECT_TRUE(dense.adc_is_ideal());
    EXPECT_EQ(dense.xbar_rows, 128);
    EXPECT_EQ(dense.cell_bits, 2);

    const HwConfig csr = load_hw_config(hw_preset_path("csr"));
    EXPECT_EQ(csr.xbar_rows, 128);
    EXPECT_EQ(csr.xbar_cols, 128);
    EXPECT_EQ(csr.ou_rows, 16);
    EXPECT_EQ(csr.ou_cols, 8);
    EXPECT_EQ(csr.cell_bits, 2);
    EXPECT_EQ(csr.adc_bits, 5);
    EXPECT_EQ(csr.adc_per_xbar, 16);
    EXPECT_FALSE(csr.adc_is_ideal());  // the deck's 5-bit ADC under a 16x2-bit OU

    const HwConfig twofold = load_hw_config(hw_preset_path("twofold"));
    EXPECT_EQ(twofold.cell_bits, 2);
    EXPECT_EQ(twofold.cell_state_energy_pj, (std::vector<double>{0.079, 0.36, 0.73, 1.49}));
    EXPECT_DOUBLE_EQ(twofold.adc_energy_pj, 0.208);
    EXPECT_TRUE(twofold.adc_is_ideal());

    const HwConfig sme = load_hw_config(hw_preset_path("sme"));
    EXPECT_EQ(sme.cell_bits, 1);
    EXPECT_EQ(sme.slices_per_weight(), 8);
    EXPECT_TRUE(sme.adc_is_ideal());

    const HwConfig pattern = load_hw_config(hw_preset_path("pattern"));
    EXPECT_EQ(pattern.xbar_rows, 512);
    EXPECT_EQ(pattern.xbar_cols, 512);
    EXPECT_EQ(pattern.ou_rows, 9);
    EXPECT_EQ(pattern.ou_cols, 8);
    EXPECT_EQ(pattern.cell_bits, 4);
    EXPECT_EQ(pattern.adc_bits, 8);
    EXPECT_DOUBLE_EQ(pattern.adc_energy_pj, 1.67);
    EXPECT_DOUBLE_EQ(pattern.dac_energy_pj, 0.0182);
    EXPECT_NEAR(pattern.cell_read_energy_pj * 9 * 8, 4.8, 0.01);  // 4.8 pJ per 9x8 OU op
    EXPECT_DOUBLE_EQ(pattern.clock_mhz, 1200.0);
    EXPECT_TRUE(pattern.adc_is_ideal());
}

TEST(HwConfigComponents, ParseOverrideEchoAndReject) {
    HwConfig hw = parse_hw_config(
        "components:\n  benes_switch: {energy_pj: 0.5, area_um2: 12}\n  lfsr: {energy_pj: 0.1}\n",
        "c.yaml");
    ASSERT_EQ(hw.components.size(), 2u);
    EXPECT_DOUBLE_EQ(hw.components.at("benes_switch").area_um2, 12.0);
    EXPECT_DOUBLE_EQ(hw.components.at("lfsr").area_um2, 0.0);
    apply_hw_override(hw, "components.lfsr.area_um2=3.5");
    EXPECT_DOUBLE_EQ(hw.components.at("lfsr").area_um2, 3.5);
    EXPECT_DOUBLE_EQ(to_json(hw).at("components").at("lfsr").at("area_um2").get<double>(), 3.5);
    auto message = [](const std::string& yaml) {
        try {
            parse_hw_config(yaml, "bad.yaml");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message("components: {lfsr: {energy: 1}}").find("components.lfsr.energy"),
              std::string::npos);
    EXPECT_NE(message("components: {lfsr: {energy_pj: -1}}").find("components.lfsr.energy_pj"),
              std::string::npos);
    EXPECT_NE(message("components: [1, 2]").find("components"), std::string::npos);
}

TEST(HwConfigComponents, ComponentsFromOtherPresetsAndOwnWin) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("sparsecim-hw-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "a.yaml") << "crossbar: {rows: 64}\ncomponents:\n"
                                     "  lfsr: {energy_pj: 0.5, area_um2: 2}\n"
                                     "  shifter: {energy_pj: 1, area_um2: 1}\n";
    std::ofstream(dir / "b.yaml") << "components_from: [a.yaml]\n"
                                     "components: {shifter: {energy_pj: 3, area_um2: 4}}\n";
    const HwConfig hw = load_hw_config(dir / "b.yaml");
    EXPECT_EQ(hw.xbar_rows, HwConfig{}.xbar_rows);  // only components are taken
    EXPECT_DOUBLE_EQ(hw.components.at("lfsr").energy_pj, 0.5);
    EXPECT_DOUBLE_EQ(hw.components.at("shifter").energy_pj, 3.0);  // its own value wins
    std::ofstream(dir / "c.yaml") << "components_from: [nope.yaml]\n";
    try {
        load_hw_config(dir / "c.yaml");
        ADD_FAILURE() << "missing components_from file accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("components_from[0]"), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(dir);
}
