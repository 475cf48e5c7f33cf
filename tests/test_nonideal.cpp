// Real devices (issue 22): stuck-at faults by physical state, device-to-device variation, read
// noise and a calibrated ADC, applied to the programmed cells of a scheme's real mapping. Zero
// device fields on the analogue path give the exact outputs (test_sim_paths checks every scheme
// and layer); here: faults read as their state, the programming is deterministic per seed and its
// rates are met, errors grow with variation, "max" calibration never clips, Monte Carlo trials
// land in results.json, and bad device fields are one error naming the field.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "hw/hw_config.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/network.hpp"
#include "results/results_json.hpp"
#include "schemes/scheme.hpp"
#include "sim/device.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

namespace {

// One scheme's mappings of tiny-cnn and their traces on two Fashion-MNIST test images.
struct Mapped {
    HwConfig hw;
    std::vector<Mapping> maps;
    std::vector<LayerTrace> traces;
    // With `chip_seed`, the hardware's faults and the scheme's `params`: mapped knowing the
    // chip (map_network's chip_seed).
    explicit Mapped(const std::string& scheme_name,
                    const std::vector<std::string>& hw_overrides = {},
                    const nlohmann::json& params = nlohmann::json::object(),
                    std::optional<uint64_t> chip_seed = std::nullopt,
                    const std::string& model = "tiny-cnn") {
        hw = resolve_hw("", {});
        for (const auto& o : hw_overrides) apply_hw_override(hw, o);
        const Scheme& scheme = find_scheme(scheme_name);
        SchemeContext ctx;
        ctx.hw = hw;
        ctx.quant.w_bits = hw.w_bits;
        ctx.quant.a_bits = hw.a_bits;
        ctx.params = params;
        const QuantModel qm =
            scheme.prepare(make_zoo_model(model, 3), load_fashion_mnist("train", 16).images, ctx);
        maps = map_network(scheme, qm, ctx, 2, chip_seed);
        run_int(qm, load_fashion_mnist("test", 2).images, &traces);
    }
    SimResult run(size_t layer, const HwConfig& h, uint64_t seed = 1) const {
        SimOptions o;
        o.keep_outputs = true;
        o.device_seed = seed;
        return simulate(maps[layer], traces[layer], h, o);
    }
};

const Mapped& dense() {
    static const Mapped m("dense");
    return m;
}

// An evaluation of tiny-cnn without top-1 (the tests set what they measure).
EvalOptions tiny(std::vector<std::string> schemes) {
    EvalOptions o;
    o.model = "zoo:tiny-cnn";
    o.schemes = std::move(schemes);
    o.accuracy_images = 0;
    o.adc_accuracy_images = 0;
    o.calib_images = 16;
    o.scheme_params = {"pattern.exempt=none"};
    return o;
}

HwConfig with(const HwConfig& base, const std::vector<std::string>& overrides) {
    HwConfig h = base;
    for (const auto& o : overrides) apply_hw_override(h, o);
    return h;
}

}  // namespace

TEST(Nonideal, StuckCellsReadAsTheirPhysicalState) {
    const Mapped& m = dense();
    // Every cell stuck at HRS reads 0: each column sum is 0, so every output is 0.
    const SimResult hrs = m.run(1, with(m.hw, {"device.saf_hrs_rate=1"}));
    for (int64_t v : hrs.outputs) ASSERT_EQ(v, 0);
    // Every cell stuck at LRS reads the top state: a differential pair then cancels exactly.
    const SimResult lrs = m.run(1, with(m.hw, {"device.saf_lrs_rate=1", "adc.bits=24"}));
    for (int64_t v : lrs.outputs) ASSERT_EQ(v, 0);
    // Programming meets the rates (4 sigma of a binomial) and is deterministic per seed.
    const HwConfig h = with(m.hw, {"device.saf_lrs_rate=0.09", "device.saf_hrs_rate=0.02"});
    const DeviceCells a = program_cells(m.maps[1], h, 7), b = program_cells(m.maps[1], h, 7);
    const DeviceCells c = program_cells(m.maps[1], h, 8);
    EXPECT_EQ(a.level, b.level);
    EXPECT_NE(a.level, c.level);
    const double n = static_cast<double>(a.cells);
    EXPECT_NEAR(static_cast<double>(a.stuck_lrs) / n, 0.09, 4 * std::sqrt(0.09 * 0.91 / n));
    EXPECT_NEAR(static_cast<double>(a.stuck_hrs) / n, 0.02, 4 * std::sqrt(0.02 * 0.98 / n));
    // A few faults change some outputs, not all, and the run is reproducible.
    const HwConfig few = with(m.hw, {"device.saf_lrs_rate=0.01"});
    const SimResult f1 = m.run(1, few, 3), f2 = m.run(1, few, 3);
    EXPECT_EQ(f1.outputs, f2.outputs);
    EXPECT_GT(f1.mismatches, 0);
    EXPECT_LT(f1.mismatches, f1.outputs_checked);
    EXPECT_GT(f1.squared_error, 0.0);
}

// A stuck cell is a property of the chip: the same crossbar cell is stuck, in the same state,
// whatever mapping is programmed, so a mapper told the chip's seed knows the faults in advance.
TEST(Nonideal, FaultsBelongToTheChipNotToTheMapping) {
    const std::vector<std::string> faulty = {"device.saf_lrs_rate=0.09",
                                             "device.saf_hrs_rate=0.02"};
    const Mapped d("dense", faulty), c("csr", faulty);
    const ChipFaults faults(d.hw, d.hw.cell_bits, 11);
    int64_t stuck = 0;
    for (const Mapped* m : {&d, &c})
        for (const Mapping& map : m->maps) {
            const DeviceCells cells = program_cells(map, m->hw, 11);
            for (size_t t = 0; t < map.tiles.size(); ++t) {
                const Tile& tile = map.tiles[t];
                const uint64_t ts = faults.tile_seed(t);
                for (int r = 0; r < tile.rows; ++r)
                    for (int col = 0; col < tile.cols; ++col) {
                        const int s = faults.stuck(ts, r, col);
                        stuck += s >= 0;
                        ASSERT_EQ(cells.level[t][static_cast<size_t>(r * tile.cols + col)],
                                  static_cast<float>(s >= 0 ? s : tile.cell(r, col)));
                    }
            }
        }
    EXPECT_GT(stuck, 0);
}

// csr.fault_aware: on a chip with known stuck cells, the mapping keeps its stored rows, OU ops
// and exactness on ideal devices, and the error the stuck cells make, as its fitness predicts
// and as the simulated devices then show, falls.
TEST(Nonideal, FaultAwareCsrPlacementLowersTheErrorAtTheSameCost) {
    const std::vector<std::string> faulty = {"device.saf_lrs_rate=0.05",
                                             "device.saf_hrs_rate=0.02"};
    const nlohmann::json aware = {{"fault_aware", 1}, {"sparsity", 0.5}};
    const nlohmann::json unaware = {{"sparsity", 0.5}};
    constexpr uint64_t chip = 5;
    const Mapped a("csr", faulty, aware, chip, "lenet"), u("csr", faulty, unaware, chip, "lenet");
    // Without a chip seed the option changes nothing.
    const Mapped blind("csr", faulty, aware, std::nullopt, "lenet");
    double error_a = 0.0, error_u = 0.0, predicted_a = 0.0, predicted_u = 0.0;
    for (size_t l = 0; l < a.maps.size(); ++l) {
        ASSERT_EQ(a.maps[l].tiles.size(), u.maps[l].tiles.size());
        EXPECT_EQ(a.maps[l].ou_slots(), u.maps[l].ou_slots());
        EXPECT_EQ(a.maps[l].figures.at("ou_rows_stored"), u.maps[l].figures.at("ou_rows_stored"));
        EXPECT_EQ(a.maps[l].figures.at("stored_cells"), u.maps[l].figures.at("stored_cells"));
        EXPECT_EQ(blind.maps[l].tiles.size(), u.maps[l].tiles.size());
        for (size_t t = 0; t < u.maps[l].tiles.size(); ++t)
            EXPECT_EQ(blind.maps[l].tiles[t].cells, u.maps[l].tiles[t].cells);
        EXPECT_EQ(u.maps[l].figures.count("fault_error_placed"), 0u);
        predicted_a += a.maps[l].figures.at("fault_error_placed");
        predicted_u += a.maps[l].figures.at("fault_error_unaware");
        EXPECT_LE(a.maps[l].figures.at("fault_error_placed"),
                  a.maps[l].figures.at("fault_error_unaware"));
        // Exact on ideal cells (map_network also checked it reconstructs its weights).
        const SimResult ideal = a.run(l, resolve_hw("", {}));
        EXPECT_EQ(ideal.mismatches, 0) << a.maps[l].layer;
        // On the chip it was placed for.
        error_a += a.run(l, a.hw, layer_device_seed(chip, l)).squared_error;
        error_u += u.run(l, u.hw, layer_device_seed(chip, l)).squared_error;
    }
    EXPECT_LT(predicted_a, 0.9 * predicted_u);
    EXPECT_LT(error_a, 0.9 * error_u);
    // Through evaluate each trial is a chip of its own, mapped again for it; reproducible.
    EvalOptions o = tiny({"csr"});
    o.adc_accuracy_images = 8;
    o.trials = 2;
    o.scheme_params.push_back("csr.fault_aware=1");
    o.hw_overrides = faulty;
    const nlohmann::json j = results_json(evaluate(o));
    const auto& csr = j["schemes"][0];
    EXPECT_EQ(csr["name"], "csr");
    EXPECT_LE(csr["scheme_figures"]["fault_error_placed"].get<double>(),
              csr["scheme_figures"]["fault_error_unaware"].get<double>());
    EXPECT_EQ(csr["nonideal"]["top1"].size(), 2u);
    EXPECT_EQ(results_json(evaluate(o))["schemes"][0]["nonideal"], csr["nonideal"]);
}

TEST(Nonideal, ErrorGrowsWithVariationAndReadNoise) {
    const Mapped& m = dense();
    auto rms = [&](const std::vector<std::string>& o) {
        double sq = 0.0;
        int64_t n = 0;
        for (size_t l = 0; l < m.maps.size(); ++l) {
            const SimResult r = m.run(l, with(m.hw, o));
            sq += r.squared_error;
            n += r.outputs_checked;
        }
        return std::sqrt(sq / static_cast<double>(n));
    };
    EXPECT_EQ(rms({}), 0.0);
    // Small deviations round away at the ADC (one code per level); larger ones do not.
    EXPECT_EQ(rms({"device.sigma=0.01"}), 0.0);
    const double small = rms({"device.sigma=0.1"}), large = rms({"device.sigma=0.4"});
    EXPECT_GT(small, 0.0);
    EXPECT_GT(large, 2.0 * small);
    EXPECT_GT(rms({"device.read_sigma=0.05"}), 0.0);
    // A finite on/off ratio makes HRS cells conduct, so their variation shows too.
    EXPECT_GT(rms({"device.sigma=0.05", "device.on_off_ratio=10"}), rms({"device.sigma=0.05"}));
}

TEST(Nonideal, MaxCalibrationStretchesTheAdcInsteadOfClipping) {
    const Mapped& m = dense();
    const HwConfig narrow = with(m.hw, {"adc.bits=3"});
    uint64_t clipped_unit = 0, clipped_max = 0;
    for (size_t l = 0; l < m.maps.size(); ++l) {
        clipped_unit += m.run(l, narrow).stats.adc_saturations;
        clipped_max += m.run(l, with(narrow, {"adc.calibration=max"})).stats.adc_saturations;
    }
    EXPECT_GT(clipped_unit, 0u);
    EXPECT_EQ(clipped_max, 0u);
}

TEST(Nonideal, TrialsGiveEachSchemesTopOneMeanAndStd) {
    EvalOptions o = tiny({"dense", "csr"});
    o.adc_accuracy_images = 24;
    o.trials = 3;
    o.hw_overrides = {"device.sigma=0.3", "device.saf_lrs_rate=0.02"};
    const nlohmann::json j = results_json(evaluate(o));
    for (const auto& s : j["schemes"]) {
        const auto& ni = s["nonideal"];
        ASSERT_TRUE(ni.is_object()) << s["name"];
        EXPECT_EQ(ni["trials"], 3);
        EXPECT_EQ(ni["top1"].size(), 3u);
        double mean = 0.0;
        for (const auto& a : ni["top1"]) mean += a.get<double>();
        EXPECT_DOUBLE_EQ(ni["top1_mean"].get<double>(), mean / 3.0);
        EXPECT_GE(ni["top1_std"].get<double>(), 0.0);
        EXPECT_GT(s["rms_error"].get<double>(), 0.0);
    }
    // The same seed, the same trials.
    EXPECT_EQ(results_json(evaluate(o))["schemes"][1]["nonideal"], j["schemes"][1]["nonideal"]);
    // Trials on ideal hardware would all agree: an error naming the option.
    o.hw_overrides.clear();
    try {
        evaluate(o);
        FAIL() << "expected an error";
    } catch (const FieldError& e) {
        EXPECT_EQ(e.name(), "trials");
    }
}

TEST(Nonideal, BadDeviceFieldsAreOneErrorNamingTheField) {
    const HwConfig hw = resolve_hw("", {});
    for (const auto& [assignment, field] : std::vector<std::pair<std::string, std::string>>{
             {"device.saf_lrs_rate=1.5", "device.saf_lrs_rate"},
             {"device.sigma=-0.1", "device.sigma"},
             {"device.on_off_ratio=0.5", "device.on_off_ratio"},
             {"device.state_sigma=[0.1, 0.2]", "device.state_sigma"},
             {"adc.calibration=sometimes", "adc.calibration"}}) {
        try {
            HwConfig h = hw;
            apply_hw_override(h, assignment);
            FAIL() << assignment;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    }
    HwConfig h = hw;
    apply_hw_override(h, "device.saf_lrs_rate=0.6");
    EXPECT_THROW(apply_hw_override(h, "device.saf_hrs_rate=0.6"), Error);
    // The presets load and are non-ideal.
    for (const char* preset : {"mild", "harsh"}) {
        HwConfig p = hw;
        for (const auto& o : device_overrides(preset)) apply_hw_override(p, o);
        EXPECT_TRUE(p.nonideal()) << preset;
    }
    EXPECT_THROW(device_overrides("nosuch"), Error);
}

// ADC sizing: the largest column sum a layer converts sets the fewest ADC bits that keep its
// outputs exact on those inputs; one bit fewer clips and breaks them.
TEST(Nonideal, AdcSizingFindsTheFewestBitsThatStayExact) {
    for (const char* scheme : {"dense", "csr", "pattern"}) {
        const Mapped m(scheme);
        for (size_t l = 0; l < m.maps.size(); ++l) {
            SimOptions ideal;
            ideal.ideal_adc = true;
            const int64_t largest = simulate(m.maps[l], m.traces[l], m.hw, ideal).largest_sum;
            ASSERT_GT(largest, 0) << scheme << " layer " << l;
            const int bits = static_cast<int>(std::bit_width(static_cast<uint64_t>(largest)));
            const std::string where = std::string(scheme) + " layer " + std::to_string(l);
            EXPECT_EQ(m.run(l, with(m.hw, {"adc.bits=" + std::to_string(bits)})).mismatches, 0)
                << where;
            if (bits > 1) {
                EXPECT_GT(m.run(l, with(m.hw, {"adc.bits=" + std::to_string(bits - 1)})).mismatches,
                          0)
                    << where;
            }
        }
    }
    EvalOptions o = tiny({"dense", "pattern"});
    o.size_adc_images = 4;
    const nlohmann::json j = results_json(evaluate(o));
    for (const auto& s : j["schemes"]) {
        const auto& z = s["adc_sizing"];
        ASSERT_TRUE(z.is_object()) << s["name"];
        EXPECT_EQ(z["bits"].size(), s["layers"].size());
        for (const auto& b : z["bits"]) EXPECT_LE(b.get<int>(), j["config"]["hw"]["adc"]["bits"]);
        EXPECT_LE(z["sized_adc_energy_pj"].get<double>(), z["adc_energy_pj"].get<double>());
        EXPECT_DOUBLE_EQ(z["adc_energy_pj"].get<double>(),
                         s["energy_pj_by_component"]["adc"].get<double>());
    }
}

// Profiled and percentile calibration: a layer's ADC range is the largest column sum, or the
// percentile of them, that a calibration pass converted; over that range the same images never
// clip, and a lower percentile trades clipping for finer codes.
TEST(Nonideal, ProfiledAndPercentileRangesComeFromTheConvertedSums) {
    NetworkSim hand;
    hand.layers.resize(1);
    hand.layers[0].sum_histogram = {5, 3, 0, 2};  // 10 conversions: five 0s, three 1s, two 3s
    auto range = [&](const std::string& cal, double pct) {
        HwConfig h = resolve_hw("", {});
        apply_hw_override(h, "adc.calibration=" + cal);
        h.adc_percentile = pct;
        return adc_ranges(hand, h).at(0);
    };
    EXPECT_EQ(range("profiled", 50), 3.0);
    EXPECT_EQ(range("percentile", 50), 0.0);
    EXPECT_EQ(range("percentile", 80), 1.0);
    EXPECT_EQ(range("percentile", 90), 3.0);
    EXPECT_TRUE(adc_ranges(hand, resolve_hw("", {})).empty());

    const Mapped& m = dense();
    for (size_t l = 0; l < m.maps.size(); ++l) {
        SimOptions prof;
        prof.ideal_adc = true;
        prof.histogram = true;
        const SimResult p = simulate(m.maps[l], m.traces[l], m.hw, prof);
        uint64_t conversions = 0;
        for (uint64_t c : p.sum_histogram) conversions += c;
        EXPECT_EQ(conversions, p.stats.adc_conversions) << l;
        EXPECT_EQ(static_cast<int64_t>(p.sum_histogram.size()) - 1 >= p.largest_sum, true);
        EXPECT_GT(p.sum_histogram.at(static_cast<size_t>(p.largest_sum)), 0u);
        NetworkSim one;
        one.layers.resize(1);
        one.layers[0].sum_histogram = p.sum_histogram;
        // Over the profiled range these images never clip, however few the bits.
        const HwConfig profiled = with(m.hw, {"adc.bits=3", "adc.calibration=profiled"});
        SimOptions o;
        o.adc_range = adc_ranges(one, profiled).at(0);
        EXPECT_EQ(o.adc_range, static_cast<double>(p.largest_sum));
        EXPECT_EQ(simulate(m.maps[l], m.traces[l], profiled, o).stats.adc_saturations, 0u) << l;
        // Without a range the calibration cannot run: an error naming the field.
        try {
            simulate(m.maps[l], m.traces[l], profiled);
            FAIL() << "expected an error";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("adc.calibration"), std::string::npos);
        }
    }
    // Through evaluate: each layer records its range, and the top-1 runs through that ADC.
    EvalOptions o = tiny({"dense", "csr"});
    o.adc_accuracy_images = 8;
    o.hw_overrides = {"adc.bits=3", "adc.calibration=percentile", "adc.percentile=99.9"};
    const nlohmann::json j = results_json(evaluate(o));
    for (const auto& s : j["schemes"]) {
        for (const auto& l : s["layers"]) EXPECT_GE(l.at("adc_range").get<double>(), 1.0);
        EXPECT_TRUE(s["nonideal"].is_object()) << s["name"];
    }
    HwConfig bad = resolve_hw("", {});
    EXPECT_THROW(apply_hw_override(bad, "adc.percentile=0"), Error);
    EXPECT_THROW(apply_hw_override(bad, "adc.calibration_images=0"), Error);
}

// A measured state table (CSV, NeuroSim mem_states style): levels normalised between the ends,
// sigmas relative to each state's mean, the on/off ratio of the ends; programmed cells then read
// those levels. A malformed table is one error naming the file and line.
TEST(Nonideal, StateTableFromCsvSetsEachStatesLevel) {
    const std::string csv = std::string(SPARSECIM_SOURCE_DIR) + "/tests/data/device-states.csv";
    HwConfig h = dense().hw;
    for (const auto& o : device_overrides(csv)) apply_hw_override(h, o);
    // Means 2, 12, 17, 32 uS: step 10 uS, levels 0, 1, 1.5, 3; on/off 16.
    EXPECT_EQ(h.state_level, (std::vector<double>{0.0, 1.0, 1.5, 3.0}));
    EXPECT_EQ(h.state_sigma, (std::vector<double>{0.0, 0.0, 0.0, 0.0}));
    EXPECT_DOUBLE_EQ(h.on_off_ratio, 16.0);
    EXPECT_TRUE(h.nonideal());
    const Mapping& map = dense().maps[1];
    const DeviceCells cells = program_cells(map, h, 3);
    for (size_t t = 0; t < map.tiles.size(); ++t)
        for (size_t i = 0; i < map.tiles[t].cells.size(); ++i)
            ASSERT_FLOAT_EQ(cells.level[t][i],
                            static_cast<float>(h.state_level[map.tiles[t].cells[i]]));
    // State 2 reads 1.5 levels instead of 2: outputs move.
    EXPECT_GT(dense().run(1, h).squared_error, 0.0);

    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "sparsecim-states";
    std::filesystem::create_directories(dir);
    for (const auto& [text, needle] : std::vector<std::pair<std::string, std::string>>{
             {"0,1,0\n2,3,0\n", ":2: device: states must be 0, 1"},
             {"0,1,0\n1,x,0\n", ":2: device: expected `state,mean,sigma`"},
             {"0,1,0\n1,2,0\n2,3,0\n", "needs 2^cell_bits states"},
             {"0,5,0\n1,5,0\n", "must exceed state 0's"}}) {
        const std::filesystem::path f = dir / "t.csv";
        write_file_atomic(f, text);
        try {
            device_overrides(f.string());
            FAIL() << text;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).rfind(f.string(), 0), 0u) << e.what();
        }
    }
    std::filesystem::remove_all(dir);
}

// ADC bits for top-1: per layer the fewest bits that keep top-1 on validation images within the
// allowed drop. With no drop allowed the sized top-1 is never below exact; with any drop allowed
// every layer goes down to one bit; the bits never exceed what the calibration sums need.
TEST(Nonideal, AdcBitsForTopOneKeepTheDropWithinTheLimit) {
    EvalOptions o = tiny({"dense"});
    o.size_adc_images = 4;
    o.size_adc_top1_images = 40;
    o.size_adc_max_drop = 0.0;
    const nlohmann::json j = results_json(evaluate(o));
    const auto& z = j["schemes"][0]["adc_sizing"];
    const auto& t = z.at("top1");
    ASSERT_EQ(t["bits"].size(), z["bits"].size());
    for (size_t l = 0; l < t["bits"].size(); ++l) {
        EXPECT_LE(t["bits"][l].get<int>(), z["bits"][l].get<int>()) << l;
        EXPECT_EQ(j["schemes"][0]["layers"][l]["adc_bits_top1"], t["bits"][l]);
    }
    EXPECT_GE(t["sized_top1"].get<double>(), t["exact_top1"].get<double>());
    EXPECT_LE(t["sized_adc_energy_pj"].get<double>(), z["sized_adc_energy_pj"].get<double>());
    o.size_adc_max_drop = 100.0;
    // The json is kept in a variable: a range-for over a subscript of a temporary reads freed
    // memory.
    const nlohmann::json loose = results_json(evaluate(o));
    for (const auto& b : loose["schemes"][0]["adc_sizing"]["top1"]["bits"]) EXPECT_EQ(b, 1);
    // The search needs the sizing it starts from: an error naming both options.
    o.size_adc_images = 0;
    try {
        evaluate(o);
        FAIL() << "expected an error";
    } catch (const FieldError& e) {
        EXPECT_EQ(e.name(), "size_adc_top1_images");
    }
}
