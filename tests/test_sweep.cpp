// Sweeps (docs/sweeps.md): axes and listed points become units with stable ids; points evaluated
// through a shared EvalCache give exactly the figures of a plain evaluate(); the cache computes
// each shared stage once; `sparsecim sweep` gives the same sweep.csv on 1 or 2 threads and after
// an interruption resumed with --resume; the Pareto front is the non-dominated set.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "pipeline/evaluate.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/sweep.hpp"
#include "report/eval_report.hpp"
#include "report/sweep_report.hpp"
#include "support/process.hpp"

using namespace sparsecim;
using namespace sparsecim::testing;

namespace {

const std::string kBase =
    "models: zoo:tiny-cnn\nschemes: [csr]\nimages: 1\naccuracy_images: 20\n"
    "adc_accuracy_images: 4\ncalib_images: 8\ncheck_exact: true\n";

std::vector<std::string> ids(const Experiment& ex) {
    std::vector<std::string> out;
    for (const auto& u : ex.units) out.push_back(u.id);
    return out;
}

TEST(SweepParse, AxesMakeTheFullGridWithStableIds) {
    const Experiment ex = parse_experiment(
        kBase + "axes:\n  ou.rows: [8, 16]\n  csr.beta: [2, 4]\n  schemes: [csr, sme]\n",
        "/tmp/grid.yaml");
    ASSERT_EQ(ex.units.size(), 8u);
    ASSERT_EQ(ex.axes.size(), 3u);
    EXPECT_EQ(ex.axes[1].field, "csr.beta");
    EXPECT_EQ(ex.units[0].id, "tiny-cnn__dense__ou.rows=8__csr.beta=2__schemes=csr");
    EXPECT_EQ(ex.units[7].id, "tiny-cnn__dense__ou.rows=16__csr.beta=4__schemes=sme");
    const ExperimentUnit& u = ex.units[3];  // ou.rows=8, csr.beta=4, schemes=sme
    EXPECT_EQ(u.group, "tiny-cnn__dense");
    EXPECT_EQ(u.coords, (std::vector<std::pair<std::string, std::string>>{
                            {"ou.rows", "8"}, {"csr.beta", "4"}, {"schemes", "sme"}}));
    EXPECT_EQ(u.options.hw_overrides, std::vector<std::string>{"ou.rows=8"});
    EXPECT_EQ(u.options.scheme_params, std::vector<std::string>{"csr.beta=4"});
    EXPECT_EQ(u.options.schemes, (std::vector<std::string>{"dense", "sme"}));
    EXPECT_EQ(axis_fields(ex), (std::vector<std::string>{"ou.rows", "csr.beta", "schemes"}));
    // The same file parses to the same ids.
    EXPECT_EQ(ids(ex),
              ids(parse_experiment(kBase + "axes:\n  ou.rows: [8, 16]\n  csr.beta: [2, 4]\n"
                                           "  schemes: [csr, sme]\n",
                                   "/tmp/grid.yaml")));
}

TEST(SweepParse, ListedPointsAndTheOneParameterSweep) {
    const Experiment ex =
        parse_experiment(kBase +
                             "points:\n  - {ou.rows: 8, csr.beta: 2}\n  - {csr.beta: 4}\n"
                             "  - {components.zero_flag.energy_pj: 0.5}\n",
                         "/tmp/points.yaml");
    EXPECT_EQ(ids(ex), (std::vector<std::string>{
                           "tiny-cnn__dense__ou.rows=8__csr.beta=2", "tiny-cnn__dense__csr.beta=4",
                           "tiny-cnn__dense__components.zero_flag.energy_pj=0.5"}));
    EXPECT_TRUE(ex.units[1].options.hw_overrides.empty());
    const Experiment legacy =
        parse_experiment(kBase + "sweep: {param: csr.beta, values: [2, 4]}\n", "/tmp/l.yaml");
    EXPECT_EQ(ids(legacy),
              (std::vector<std::string>{"tiny-cnn__dense__beta=2", "tiny-cnn__dense__beta=4"}));
    EXPECT_EQ(legacy.units[1].coords,
              (std::vector<std::pair<std::string, std::string>>{{"csr.beta", "4"}}));
}

// Every point through one cache equals evaluate() on its own, and the cache computes each shared
// stage once: one import, one quantization per (scheme, parameters), one mapping per
// (scheme, parameters, structural hardware); the cost-only axis only re-prices.
// The source studies of configs/sweeps/ parse (their models, hardware and every point's values are
// checked by the parser) and each sweeps its deck's parameter; running them is not part of CI.
TEST(SweepParse, TheSourceStudiesParse) {
    const fs::path dir = fs::path(SPARSECIM_SOURCE_DIR) / "configs" / "sweeps";
    const std::map<std::string, std::string> field = {{"csr-ou-beta", "csr.beta"},
                                                      {"twofold-sparsity", "twofold.sparsity"},
                                                      {"sme-s", "sme.S"},
                                                      {"pattern-k", "pattern.library_size"}};
    for (const auto& [name, f] : field) {
        const Experiment ex = load_experiment(dir / (name + ".yaml"));
        EXPECT_GE(ex.units.size(), 5u) << name;
        bool found = false;
        for (const auto& a : ex.axes) found = found || a.field == f;
        EXPECT_TRUE(found) << name << " sweeps " << axis_fields(ex).size() << " other fields";
    }
    // The device studies (docs/nonideal.md): fault rates with and without fault-aware csr, and
    // variation.
    EXPECT_EQ(load_experiment(dir / "device-faults.yaml").units.size(), 6u);
    EXPECT_EQ(load_experiment(dir / "device-sigma.yaml").units.size(), 3u);
}

TEST(SweepCache, PointsThroughTheCacheEqualPlainEvaluations) {
    const Experiment ex = parse_experiment(
        kBase + "axes:\n  ou.rows: [8, 16]\n  csr.beta: [2, 4]\n  adc.energy_pj: [1, 3]\n",
        "/tmp/cache.yaml");
    ASSERT_EQ(ex.units.size(), 8u);
    EvalCache cache;
    for (const auto& u : ex.units) {
        EvalOptions opt = u.options;
        nlohmann::json plain = results_json(evaluate(opt));
        opt.threads = 1;
        nlohmann::json shared = results_json(evaluate(opt, &cache));
        plain.erase("timing");
        shared.erase("timing");
        EXPECT_EQ(plain, shared) << u.id;
    }
    const auto c = cache.counts();
    EXPECT_EQ(c.at("model").computed, 1);
    EXPECT_EQ(c.at("model").reused, 7);
    EXPECT_EQ(c.at("prepare").computed, 3);  // dense, csr beta 2, csr beta 4
    EXPECT_EQ(c.at("trace").computed, 3);
    // (dense, csr x 2 betas, dense with csr's zero skipping: csr's baseline) x 2 OU heights
    EXPECT_EQ(c.at("map+simulate").computed, 8);
    EXPECT_EQ(c.at("map+simulate").reused, 24 - 8);
}

TEST(SweepCache, CostOnlyFieldsAreTheEnergiesAndAreas) {
    EXPECT_TRUE(is_cost_only_key("adc.energy_pj"));
    EXPECT_TRUE(is_cost_only_key("crossbar.area_um2"));
    EXPECT_TRUE(is_cost_only_key("components.zero_flag.energy_pj"));
    EXPECT_FALSE(is_cost_only_key("components.zero_flag.latency_cycles"));
    EXPECT_FALSE(is_cost_only_key("adc.latency_ns"));  // the csr pipeline's stage length
    EXPECT_FALSE(is_cost_only_key("ou.rows"));
    HwConfig a, b;
    b.adc_energy_pj = 7.0;
    b.xbar_area_um2 = 3.0;
    EXPECT_EQ(structural_json(a), structural_json(b));
    b.adc_bits = 7;
    EXPECT_NE(structural_json(a), structural_json(b));
}

TEST(SweepCache, SameHwAgreesWithTheJsonItStandsFor) {
    // Every preset, and each with one cost-only, one structural and one component change.
    std::vector<HwConfig> configs;
    for (const char* scheme : {"dense", "csr", "twofold", "sme", "pattern"})
        for (const char* o : {"", "adc.energy_pj=9", "ou.rows=4", "components.zero_flag.area_um2=3",
                              "components.zero_flag.latency_cycles=5"}) {
            HwConfig hw = resolve_hw(hw_preset_path(scheme).string(), {});
            if (*o) apply_hw_override(hw, o);
            configs.push_back(hw);
        }
    int same = 0, same_structure = 0;
    for (const HwConfig& a : configs)
        for (const HwConfig& b : configs) {
            EXPECT_EQ(same_hw(a, b), to_json(a) == to_json(b));
            EXPECT_EQ(same_hw(a, b, true), structural_json(a) == structural_json(b));
            same += same_hw(a, b);
            same_structure += same_hw(a, b, true);
        }
    // Both outcomes occur: each config equals itself, a cost-only change keeps the structure.
    EXPECT_GT(same, 0);
    EXPECT_GT(same_structure, same);
    EXPECT_LT(same_structure, static_cast<int>(configs.size() * configs.size()));
}

TEST(SweepReport, ParetoFrontIsTheNonDominatedSet) {
    const double nan = std::nan("");
    EXPECT_EQ(pareto_optimal({{1, 5}, {2, 2}, {5, 1}, {3, 3}, {2, 2}, {nan, 0}}),
              (std::vector<bool>{true, true, true, false, true, false}));
}

class SweepCli : public TempDirTest {};

TEST_F(SweepCli, ThreadsAndResumeGiveTheSameTable) {
    const fs::path file = write("s.yaml", kBase +
                                              "axes:\n  ou.rows: [8, 16]\n  csr.beta: [2, 4]\n"
                                              "  adc.energy_pj: [1, 3]\n");
    const ProcResult two =
        run({"sweep", file.string(), "--out", (dir / "two").string(), "--threads", "2"});
    ASSERT_EQ(two.code, 0) << two.err;
    EXPECT_NE(two.err.find("8 points (8 run, 0 kept"), std::string::npos) << two.err;
    const std::string csv = slurp(dir / "two" / "sweep.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 8 * 2) << csv;
    EXPECT_NE(csv.find("id,group,ou.rows,csr.beta,adc.energy_pj,scheme,"), std::string::npos);
    const std::string html = slurp(dir / "two" / "sweep.html");
    for (const char* s :
         {"Energy against area", "Top-1 accuracy against energy",
          "Speedup over dense against index storage", "Pareto-optimal", ": figures by point",
          "Energy efficiency over dense (ou.rows / csr.beta / adc.energy_pj)",
          "Area efficiency over dense (", "Speedup over dense (", "Top-1 accuracy (", ">8 / 2 / 1<",
          ">16 / 4 / 3<"})
        EXPECT_NE(html.find(s), std::string::npos) << s;

    const ProcResult one =
        run({"sweep", file.string(), "--out", (dir / "one").string(), "--threads", "1"});
    ASSERT_EQ(one.code, 0) << one.err;
    EXPECT_EQ(slurp(dir / "one" / "sweep.csv"), csv);

    // An interrupted run: three whole lines and half of the fourth survive.
    std::string lines = slurp(dir / "one" / "sweep.jsonl");
    size_t cut = 0;
    for (int i = 0; i < 3; ++i) cut = lines.find('\n', cut) + 1;
    write("one/sweep.jsonl", lines.substr(0, cut) + lines.substr(cut, 40));
    fs::remove(dir / "one" / "sweep.csv");
    const ProcResult resumed = run(
        {"sweep", file.string(), "--out", (dir / "one").string(), "--threads", "2", "--resume"});
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    EXPECT_NE(resumed.err.find("8 points (5 run, 3 kept"), std::string::npos) << resumed.err;
    EXPECT_EQ(slurp(dir / "one" / "sweep.csv"), csv);
    const std::string jsonl = slurp(dir / "one" / "sweep.jsonl");
    EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 8);
    std::set<size_t> seen;
    for (size_t a = 0, b; (b = jsonl.find('\n', a)) != std::string::npos; a = b + 1)
        seen.insert(nlohmann::json::parse(jsonl.substr(a, b - a))["index"].get<size_t>());
    EXPECT_EQ(seen.size(), 8u);

    // The file gains a value: --resume keeps the 8 finished points (matched by id) and runs 4.
    const fs::path grown = write("s.yaml", kBase +
                                               "axes:\n  ou.rows: [8, 16]\n  csr.beta: [2, 4]\n"
                                               "  adc.energy_pj: [1, 3, 5]\n");
    const ProcResult more =
        run({"sweep", grown.string(), "--out", (dir / "one").string(), "--resume"});
    ASSERT_EQ(more.code, 0) << more.err;
    EXPECT_NE(more.err.find("12 points (4 run, 8 kept"), std::string::npos) << more.err;
}

}  // namespace
