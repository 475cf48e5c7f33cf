// Accelergy interop (issue 24, item 3): a run's prices exported as ERT/ART tables re-price its
// stored counts to the same figures bit for bit; a changed table entry changes exactly the
// component it prices; defects in the tables, the binding or the results are one error naming
// the file and the field.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <unistd.h>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "cost/accelergy.hpp"
#include "pipeline/evaluate.hpp"
#include "results/reprice.hpp"
#include "results/results_json.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

// One small run of every scheme, its results.json, and its Accelergy export on disk.
struct Exported {
    nlohmann::json results;
    fs::path dir;
    Exported() {
        EvalOptions o;
        o.model = "zoo:tiny-cnn";
        o.schemes = {"dense", "csr", "twofold", "sme", "pattern"};
        o.accuracy_images = 0;
        o.adc_accuracy_images = 0;
        o.calib_images = 16;
        o.scheme_params = {"pattern.exempt=none"};
        results = results_json(evaluate(o));
        dir = fs::temp_directory_path() / ("sparsecim-accelergy-" + std::to_string(getpid()));
        fs::remove_all(dir);
        write_accelergy_export(results, "results.json", dir);
    }
    ~Exported() { fs::remove_all(dir); }
};

const Exported& exported() {
    static const Exported e;
    return e;
}

PricesFor tables_of(const AccelergyTables& t, const AccelergyBinding& b) {
    return [t, b](const HwConfig&) { return accelergy_prices(t, b); };
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

void write(const fs::path& p, const std::string& text) {
    write_file_atomic(p, text);
}

}  // namespace

TEST(Accelergy, ExportedTablesRepriceTheRunBitForBit) {
    const Exported& e = exported();
    const AccelergyTables t = load_accelergy_tables(e.dir / "ERT.yaml", e.dir / "ART.yaml");
    const AccelergyBinding b = load_binding(e.dir / "bindings.yaml");
    // Every figure, per entry and layer, including the energy and area ratios: the same JSON.
    EXPECT_EQ(reprice_results(e.results, "results.json", tables_of(t, b)), e.results);
    // So do the run's own prices.
    EXPECT_EQ(reprice_results(e.results, "results.json",
                              [](const HwConfig& hw) { return hw_prices(hw); }),
              e.results);
    // sme's cells hold one bit: its cell reads have their own entries, beside the 2-bit ones.
    const std::string ert = read_file(e.dir / "ERT.yaml");
    EXPECT_NE(ert.find("{\"cell_bits\": 1, \"state\": 1}"), std::string::npos) << ert;
    EXPECT_NE(ert.find("{\"cell_bits\": 2, \"state\": 3}"), std::string::npos) << ert;
}

TEST(Accelergy, AChangedTableEntryChangesExactlyItsComponent) {
    const Exported& e = exported();
    AccelergyTables t = load_accelergy_tables(e.dir / "ERT.yaml", e.dir / "ART.yaml");
    ASSERT_EQ(t.ert.at("macro.adc").at("read").size(), 1u);
    t.ert.at("macro.adc").at("read")[0].energy_pj *= 2.0;
    t.art.at("macro.array") *= 3.0;
    const nlohmann::json p = reprice_results(e.results, "r", tables_of(t, default_binding()));
    for (const char* list : {"schemes", "baselines"})
        for (size_t i = 0; i < p[list].size(); ++i) {
            const auto& before = e.results[list][i];
            const auto& after = p[list][i];
            SCOPED_TRACE(after["name"].get<std::string>());
            for (const auto& [comp, v] : before["energy_pj_by_component"].items()) {
                const double now = after["energy_pj_by_component"][comp].get<double>();
                EXPECT_DOUBLE_EQ(now, comp == "adc" ? 2.0 * v.get<double>() : v.get<double>());
            }
            for (const auto& [comp, v] : before["area_um2_by_component"].items()) {
                const double now = after["area_um2_by_component"][comp].get<double>();
                EXPECT_DOUBLE_EQ(now,
                                 comp == "crossbars" ? 3.0 * v.get<double>() : v.get<double>());
            }
            EXPECT_EQ(after["counts"], before["counts"]);
            EXPECT_EQ(after["cycles"], before["cycles"]);
        }
    // The ratios follow the new prices: csr's energy efficiency is its baseline's energy over its
    // own, both re-priced.
    const auto& csr = p["schemes"][1];
    ASSERT_EQ(csr["name"], "csr");
    const std::string base = csr["baseline"].get<std::string>();
    for (const auto& b : p["baselines"]) {
        if (b["name"] != base) continue;
        EXPECT_DOUBLE_EQ(csr["vs_dense"]["energy_efficiency"].get<double>(),
                         b["energy_pj"].get<double>() / csr["energy_pj"].get<double>());
    }
}

TEST(Accelergy, ActionCountsSumToTheStoredCounts) {
    const Exported& e = exported();
    const auto& csr = e.results["schemes"][1];
    uint64_t adc = 0, benes = 0;
    size_t layer_files = 0;
    for (const auto& f : fs::directory_iterator(e.dir / "action_counts" / "csr")) {
        const std::string name = f.path().filename().string();
        if (name == "total.yaml" || name == "instances.yaml") continue;
        ++layer_files;
        const YAML::Node doc = YAML::LoadFile(f.path().string());
        for (const auto& c : doc["action_counts"]["local"]) {
            for (const auto& a : c["action_counts"]) {
                const auto n = a["counts"].as<uint64_t>();
                if (c["name"].as<std::string>() == "macro.adc") adc += n;
                if (c["name"].as<std::string>() == "macro.benes_switch") benes += n;
            }
        }
    }
    EXPECT_EQ(layer_files, csr["layers"].size());
    EXPECT_EQ(adc, csr["counts"]["adc_conversions"].get<uint64_t>());
    EXPECT_EQ(benes, csr["counts"]["events"]["benes_switch"].get<uint64_t>());
    EXPECT_GT(benes, 0u);
}

TEST(Accelergy, DefectsAreOneErrorNamingTheFileAndField) {
    const Exported& e = exported();
    const fs::path bad = e.dir / "bad";
    const fs::path art = e.dir / "ART.yaml";
    write(bad / "ERT.yaml", "ERT:\n  tables: {name: x}\n");
    EXPECT_NE(error_of([&] {
                  load_accelergy_tables(bad / "ERT.yaml", art);
              }).find("ERT.yaml: ERT.tables: expected a list"),
              std::string::npos);
    write(bad / "ERT.yaml",
          "ERT:\n  tables:\n  - name: macro.cell\n    actions:\n    - name: read\n      energy: "
          "fast\n");
    EXPECT_NE(error_of([&] {
                  load_accelergy_tables(bad / "ERT.yaml", art);
              }).find("ERT.tables[0].actions[0].energy"),
              std::string::npos);
    EXPECT_NE(
        error_of([&] { load_accelergy_tables(bad / "missing.yaml", art); }).find("missing.yaml"),
        std::string::npos);
    // A table without the ADC: the error names the table file, the component and the event.
    write(bad / "ERT.yaml",
          "ERT:\n  tables:\n  - name: macro.cell\n    actions:\n    - name: read\n      "
          "arguments: null\n      energy: 1\n");
    const AccelergyTables t = load_accelergy_tables(bad / "ERT.yaml", art);
    const std::string msg =
        error_of([&] { reprice_results(e.results, "r", tables_of(t, default_binding())); });
    EXPECT_NE(msg.find("ERT.yaml: no table for component macro.adc"), std::string::npos) << msg;
    EXPECT_NE(msg.find("adc_conversion"), std::string::npos) << msg;
    write(bad / "bind.yaml", "bindings:\n  power: {}\n");
    EXPECT_NE(error_of([&] { load_binding(bad / "bind.yaml"); }).find("bindings.power"),
              std::string::npos);
    // Results without their counts.
    nlohmann::json broken = e.results;
    broken["schemes"][1]["layers"][0].erase("counts");
    EXPECT_NE(error_of([&] {
                  reprice_results(broken, "r.json",
                                  [](const HwConfig& hw) { return hw_prices(hw); });
              }).find("r.json: schemes[1].layers[0].counts: missing"),
              std::string::npos);
}
