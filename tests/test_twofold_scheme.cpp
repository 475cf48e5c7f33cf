// The twofold scheme end to end on every zoo model and real Fashion-MNIST images: the masks it
// prunes with are the ones map() regenerates from the seed, every mapping reconstructs its
// weights, the ideal-ADC simulation equals the integer reference, parameters are validated, and
// `sparsecim evaluate --schemes dense,twofold --check-exact` exits 0.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "schemes/scheme.hpp"
#include "schemes/twofold/params.hpp"
#include "schemes/twofold/prune.hpp"
#include "sim/simulator.hpp"
#include "train/masks.hpp"

using namespace sparsecim;

namespace {

SchemeContext context(const nlohmann::json& params) {
    SchemeContext ctx;
    ctx.hw = load_hw_config(hw_preset_path("twofold"));
    ctx.params = params;
    ctx.seed = 3;
    return ctx;
}

}  // namespace

class TwofoldZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(TwofoldZoo, MasksRegenerateMappingsReconstructAndIdealAdcIsExact) {
    const Graph g = make_zoo_model(GetParam(), 5);
    const Tensor calib = load_fashion_mnist("train", 32).images;
    const Tensor images = load_fashion_mnist("test", 2).images;
    const Scheme& s = find_scheme("twofold");
    const std::vector<nlohmann::json> variants = {
        {{"sparsity", 0.0}},
        {{"sparsity", 0.5}},
        {{"sparsity", 0.9}, {"sign", "plane"}},
        {{"sparsity", 0.7}, {"gating", false}, {"bits", 6}},
    };
    for (const nlohmann::json& params : variants) {
        const SchemeContext ctx = context(params);
        const TwofoldParams p = parse_twofold_params(params, ctx.seed);
        const QuantModel qm = s.prepare(g, calib, ctx);
        std::vector<LayerTrace> traces;
        run_int(qm, images, &traces);
        ASSERT_EQ(traces.size(), qm.layers.size());
        for (size_t l = 0; l < qm.layers.size(); ++l) {
            const QuantLayer& L = qm.layers[l];
            const std::string what = GetParam() + " " + L.name + " " + params.dump();
            // The first and last layers are exempt by default: LFSR off, every weight kept.
            const bool exempt = l == 0 || l + 1 == qm.layers.size();
            EXPECT_EQ(L.exempt, exempt) << what;
            const auto pruned = static_cast<uint64_t>(
                std::count(L.weights.keep.begin(), L.weights.keep.end(), uint8_t{0}));
            // The mask pruned with == the mask regenerated from the seed alone.
            const LayerMask mask = lfsr_layer_mask(L.weights.K, L.weights.N, p, L.node, L.name);
            if (exempt) {
                EXPECT_EQ(pruned, 0u) << what;
            } else {
                EXPECT_EQ(L.weights.keep, mask.keep) << what;
                EXPECT_EQ(pruned, pruned_count(mask.size, p.sparsity)) << what;
            }
            const int32_t qmax = (1 << (p.bits - 1)) - 1;
            int32_t mx = 0;
            for (int32_t v : L.weights.w) mx = std::max(mx, std::abs(v));
            EXPECT_EQ(mx, qmax) << what << ": the largest kept weight maps to 2^(b-1)-1";
            const Mapping m = s.map(L, ctx);
            ASSERT_EQ(verify(m, L.weights), "") << what;
            EXPECT_EQ(m.total_index_bits(), 0) << what;
            SimOptions ideal;
            ideal.ideal_adc = true;
            const SimResult r = simulate(m, traces[l], ctx.hw, ideal);
            EXPECT_EQ(r.outputs_checked, traces[l].positions * traces[l].N) << what;
            EXPECT_EQ(r.mismatches, 0) << what;
            if (p.gating && p.sparsity > 0 && !exempt) {
                const uint64_t per_pos = mask.steps * static_cast<uint64_t>(mask.lfsr.width);
                EXPECT_EQ(r.stats.events.at("lfsr_flipflop"),
                          static_cast<uint64_t>(traces[l].positions) * per_pos)
                    << what;
            } else {
                EXPECT_TRUE(r.stats.events.empty()) << what;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, TwofoldZoo, ::testing::ValuesIn(zoo_names()));

TEST(TwofoldScheme, HigherSparsityStoresFewerCellsAndGatesMore) {
    const Graph g = make_zoo_model("lenet", 2);
    const Tensor calib = load_fashion_mnist("train", 16).images;
    const Scheme& s = find_scheme("twofold");
    int64_t prev_cells = INT64_MAX;
    for (double sp : {0.0, 0.5, 0.9}) {
        const SchemeContext ctx = context({{"sparsity", sp}});
        const QuantModel qm = s.prepare(g, calib, ctx);
        int64_t cells = 0;
        for (const QuantLayer& L : qm.layers) cells += s.map(L, ctx).stored_cells();
        EXPECT_LT(cells, prev_cells) << sp;
        prev_cells = cells;
    }
}

TEST(TwofoldScheme, ParametersAreValidatedByName) {
    auto msg = [](const nlohmann::json& params) -> std::string {
        try {
            parse_twofold_params(params, 1);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE(msg({{"sparsity", 1.0}}).find("twofold.sparsity"), std::string::npos);
    EXPECT_NE(msg({{"sparsity", "half"}}).find("twofold.sparsity"), std::string::npos);
    EXPECT_NE(msg({{"bits", 1}}).find("twofold.bits"), std::string::npos);
    EXPECT_NE(msg({{"lfsr_width", 33}}).find("twofold.lfsr_width"), std::string::npos);
    EXPECT_NE(msg({{"lfsr_taps", {16, 15, 13, 4}}}).find("twofold.lfsr_taps"),
              std::string::npos);  // needs lfsr_width
    EXPECT_NE(msg({{"lfsr_width", 16}, {"lfsr_taps", {15, 13}}}).find("top position"),
              std::string::npos);
    EXPECT_NE(msg({{"lfsr_seed", 0}}).find("twofold.lfsr_seed"), std::string::npos);
    EXPECT_NE(msg({{"sign", "magnitude"}}).find("twofold.sign"), std::string::npos);
    EXPECT_NE(msg({{"gating", 1}}).find("twofold.gating"), std::string::npos);
    EXPECT_NE(msg({{"gamma", 4}}).find("twofold.gamma: unknown"), std::string::npos);
    EXPECT_NE(msg({{"beta", -1}}).find("twofold.beta"), std::string::npos);
    EXPECT_NE(msg({{"lambda", "big"}}).find("twofold.lambda"), std::string::npos);
    EXPECT_NE(msg({{"lasso_group", "filter"}}).find("twofold.lasso_group"), std::string::npos);
    EXPECT_EQ(msg({{"lambda", 0}, {"beta", 0.5}, {"lasso_group", "column"}}), "");
    EXPECT_EQ(msg({{"sparsity", 0.3}, {"bits", 4}, {"sign", "plane"}}), "");
    const TwofoldParams d = parse_twofold_params(nlohmann::json::object(), 9);
    EXPECT_EQ(d.sparsity, 0.5);
    EXPECT_EQ(d.bits, 8);
    EXPECT_EQ(d.lfsr_seed, 9u);
    EXPECT_TRUE(d.gating);
    EXPECT_EQ(d.lambda, 1e-4);
    EXPECT_EQ(d.beta, 1e-3);
    EXPECT_EQ(d.lasso_group, LassoGroup::Layer);
}

// evaluate --finetune, with a stand-in trainer (no LibTorch): each scheme's finetune call gets
// the scheme's regulariser (twofold's, acting on the weights; none for dense), and each scheme's
// finetuned model comes back as an entry "<scheme>+ft", mapped, simulated and exact. The stand-in
// only applies the scheme's final masks (the gradual schedule's last remask), and the finetuned
// model comes back with its BatchNorm folded: dense's per-channel grid does not see the fold, so
// its stored cells are unchanged; twofold's per-layer grid does (its cells change).
TEST(TwofoldScheme, EvaluateFinetunePassesTheRegulariserAndMapsTheFinetunedModel) {
    EvalOptions o;
    o.model = "zoo:tiny-cnn";
    o.hw_path = hw_preset_path("twofold").string();
    o.schemes = {"dense", "twofold"};
    o.accuracy_images = 50;
    o.adc_accuracy_images = 0;
    o.calib_images = 16;
    o.check_exact = true;
    o.finetune_epochs = 1;
    o.finetune_prune = "gradual";
    o.scheme_params = {"twofold.beta=0.5"};
    std::vector<std::pair<bool, double>> calls;
    o.finetune = [&](const Graph& g, const TrainOptions& opts) {
        const RegularizerFn& reg = opts.regularizer;
        // The gradual schedule's last masks: the scheme's own choice on these weights.
        EXPECT_TRUE(opts.remask);
        const MaskSet masks = opts.remask ? opts.remask(1, 1, g) : opts.masks;
        double penalty = 0.0;
        if (reg)
            for (const auto& name : weight_constants(g)) {
                Tensor grad(g.constant(name).shape, 0.0f);
                penalty += reg(name, g.constant(name), grad);
            }
        calls.emplace_back(static_cast<bool>(reg), penalty);
        Graph t = g;
        apply_masks(t, masks);
        return t;
    };
    const EvalResult r = evaluate(o);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_FALSE(calls[0].first);
    EXPECT_TRUE(calls[1].first);
    EXPECT_GT(calls[1].second, 0.0);
    ASSERT_EQ(r.schemes.size(), 4u);
    const char* names[] = {"dense", "dense+ft", "twofold", "twofold+ft"};
    for (size_t i = 0; i < 4; ++i) {
        const SchemeResult& s = r.schemes[i];
        EXPECT_EQ(s.name, names[i]);
        EXPECT_EQ(s.finetuned_from, i % 2 ? r.schemes[i - 1].name : "");
        EXPECT_EQ(s.ideal_mismatches.value_or(-1), 0) << s.name;
        EXPECT_FALSE(s.layers.empty());
        if (i % 2) {
            EXPECT_EQ(s.accuracy, r.schemes[i - 1].finetuned_accuracy) << s.name;
            if (s.name == "dense+ft") {
                EXPECT_EQ(s.cell_states, r.schemes[i - 1].cell_states) << s.name;
            }
            EXPECT_GT(s.cost.total_energy_pj(), 0.0);
        }
    }
}

namespace {

int run_cli(const std::string& args, const std::filesystem::path& dir) {
    const std::string cmd = std::string(SPARSECIM_BINARY) + " " + args + " >" +
                            (dir / "stdout").string() + " 2>" + (dir / "stderr").string();
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST(TwofoldCli, EvaluateAgainstDenseIsExactAndReportsLfsrEnergy) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("sparsecim-twofold-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string hw = (fs::path(SPARSECIM_SOURCE_DIR) / "configs/hw/twofold.yaml").string();
    const int code = run_cli(
        "evaluate --schemes dense,twofold --hw " + hw +
            " --model zoo:tiny-cnn --check-exact --accuracy-images 0 --adc-accuracy-images 0"
            " --param twofold.sparsity=0.6 --param twofold.exempt=none"
            " --out " +
            (dir / "out").string(),
        dir);
    std::ifstream err(dir / "stderr");
    std::stringstream es;
    es << err.rdbuf();
    ASSERT_EQ(code, 0) << es.str();
    std::ifstream in(dir / "out" / "results.json");
    const nlohmann::json r = nlohmann::json::parse(in);
    ASSERT_EQ(r["schemes"].size(), 2u);
    const nlohmann::json& tf = r["schemes"][1];
    EXPECT_EQ(tf["name"], "twofold");
    EXPECT_EQ(tf["ideal_mismatches"], 0);
    EXPECT_EQ(tf["index_bits"], 0);
    EXPECT_GT(tf["energy_pj_by_component"]["lfsr_flipflop"].get<double>(), 0.0);
    EXPECT_GT(tf["area_um2_by_component"]["lfsr_flipflop"].get<double>(), 0.0);
    EXPECT_GT(tf["weight_sparsity"].get<double>(), 0.55);
    EXPECT_EQ(tf["stored_cell_states"].size(), 4u);
    fs::remove_all(dir);
}

// An experiment file sweeping twofold.sparsity: one unit per value (with that value), then the
// sweep report `sparsecim sweep` writes too: sweep.csv (one row per value x scheme) and
// sweep.html (accuracy, energy, efficiency, twofold's energy by component, the Pareto table). A bad
// sweep is one error line naming the field, nothing written.
TEST(TwofoldCli, RunSweepsAParameterAndPlotsIt) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("sparsecim-twofold-sweep-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return (dir / name).string();
    };
    auto slurp = [](const fs::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    const std::string common = "models: zoo:tiny-cnn\nhw: " SPARSECIM_SOURCE_DIR
                               "/configs/hw/twofold.yaml\nschemes: [twofold]\naccuracy_images: 20\n"
                               "adc_accuracy_images: 0\ncalib_images: 8\ncheck_exact: true\n"
                               "params: {twofold: {exempt: none}}\n";
    const fs::path out = dir / "out";
    const int code = run_cli("run " +
                                 write("sweep.yaml", common + "sweep: {param: twofold.sparsity, "
                                                              "values: [0.2, 0.7]}\n") +
                                 " --out " + out.string(),
                             dir);
    ASSERT_EQ(code, 0) << slurp(dir / "stderr");
    for (const char* v : {"0.2", "0.7"}) {
        const auto j = nlohmann::json::parse(
            slurp(out / (std::string("tiny-cnn__twofold__sparsity=") + v) / "results.json"));
        ASSERT_EQ(j["schemes"].size(), 2u);
        EXPECT_NEAR(j["schemes"][1]["weight_sparsity"].get<double>(), std::stod(v), 0.05) << v;
        EXPECT_EQ(j["schemes"][1]["ideal_mismatches"], 0);
    }
    const std::string csv = slurp(out / "sweep.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;
    EXPECT_NE(csv.find("tiny-cnn__twofold,0.7,twofold,"), std::string::npos) << csv;
    const std::string html = slurp(out / "sweep.html");
    for (const char* s : {"Top-1 accuracy (twofold.sparsity)", "Energy (twofold.sparsity)",
                          "Energy efficiency over dense", "twofold: energy by component",
                          "lfsr_flipflop", "Pareto-optimal entries"})
        EXPECT_NE(html.find(s), std::string::npos) << s;
    // Bad sweeps.
    for (const auto& [text, field] : std::vector<std::pair<std::string, std::string>>{
             {"sweep: {param: twofold.sparsity}\n", "sweep"},
             {"sweep: {param: sparsity, values: [0.1]}\n", "sweep.param"},
             {"sweep: {param: csr.beta, values: [2]}\n", "sweep.param"},
             {"sweep: {param: twofold.sparsity, values: [0.1, 0.1]}\n", "sweep.values"},
             {"sweep: {param: twofold.sparsity, values: [0.1], step: 2}\n", "sweep.step"}}) {
        fs::remove_all(out);
        EXPECT_EQ(
            run_cli("run " + write("bad.yaml", common + text) + " --out " + out.string(), dir), 2)
            << text;
        const std::string err = slurp(dir / "stderr");
        EXPECT_NE(err.find(field), std::string::npos) << text << err;
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
        EXPECT_FALSE(fs::exists(out)) << text;
    }
    fs::remove_all(dir);
}
