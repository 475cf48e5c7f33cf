// sparsecim tune (pipeline/tune.hpp): the choice rule against the candidates' own figures, the
// journal and --resume, the final run and its tuned models, bad grids. On the bundled LeNet with
// tiny budgets (a few seconds per candidate, one thread).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "model/idx.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/tune.hpp"
#include "report/tune_report.hpp"
#include "train/train.hpp"

using namespace sparsecim;
namespace fs = std::filesystem;

namespace {

TuneOptions tiny(const fs::path& out) {
    TuneOptions t;
    t.base.model = std::string(SPARSECIM_SOURCE_DIR) + "/models/lenet-fmnist.onnx";
    t.base.calib_images = 32;
    t.base.seed = 5;
    t.base.finetune = [](const Graph& g, const TrainOptions& o) {
        TrainOptions q = o;
        q.threads = 1;
        q.progress = false;
        return train_graph(g, load_fashion_mnist("train", o.train_images), Dataset{}, q).graph;
    };
    t.schemes = {"csr"};
    t.grid = {"csr.sparsity=0.9,0.3"};
    t.base.scheme_params = {"csr.beta=2"};  // not the default: the tuned set must carry it
    t.rank_images = 256;
    t.val_images = 200;
    t.final_images = 256;
    t.test_images = 200;
    t.out = out;
    return t;
}

int lines_of(const fs::path& p) {
    std::ifstream in(p);
    int n = 0;
    for (std::string l; std::getline(in, l);) n += !l.empty();
    return n;
}

// The chosen index by the rule, recomputed from the candidates' recorded figures.
size_t expected_choice(const TuneScheme& s, double max_drop) {
    long best = -1;
    for (size_t i = 0; i < s.candidates.size(); ++i) {
        const auto& c = s.candidates[i];
        if (100.0 * (c.dense_val_top1 - c.val_top1) > max_drop + 1e-9) continue;
        if (best < 0 || c.efficiency > s.candidates[static_cast<size_t>(best)].efficiency)
            best = static_cast<long>(i);
    }
    if (best >= 0) return static_cast<size_t>(best);
    size_t most = 0;
    for (size_t i = 1; i < s.candidates.size(); ++i)
        if (s.candidates[i].val_top1 > s.candidates[most].val_top1) most = i;
    return most;
}

}  // namespace

TEST(Tune, ChoosesByTheRuleResumesAndWritesTheTunedModels) {
    const fs::path out = fs::temp_directory_path() / "sparsecim-test-tune";
    fs::remove_all(out);
    TuneOptions t = tiny(out);
    std::vector<std::string> said;
    auto say = [&](const std::string& l) { said.push_back(l); };
    const TuneResult r = tune(t, say);
    ASSERT_EQ(r.schemes.size(), 1u);
    const TuneScheme& s = r.schemes[0];
    ASSERT_EQ(s.candidates.size(), 2u);
    EXPECT_EQ(s.key, "csr.sparsity");
    EXPECT_EQ(s.metric, "speedup");
    for (const auto& c : s.candidates) {
        EXPECT_GT(c.dense_val_top1, 0.5);  // the trained LeNet, not chance
        EXPECT_GT(c.efficiency, 0.0);
        EXPECT_EQ(c.baseline, "dense[skip_zero]");
    }
    // Pruning 90% of LeNet costs more than pruning 30% after the same short finetune.
    EXPECT_LT(s.candidates[0].val_top1, s.candidates[1].val_top1);
    EXPECT_EQ(s.chosen, expected_choice(s, t.max_drop_pp));
    EXPECT_EQ(lines_of(out / "tune.jsonl"), 2);
    // The final run: dense as trained (not finetuned) and csr finetuned at the chosen value, on
    // the test split.
    std::vector<std::string> names;
    for (const auto& e : r.final.schemes) names.push_back(e.name);
    EXPECT_EQ(names, (std::vector<std::string>{"dense", "csr", "csr+ft"}));
    EXPECT_EQ(r.final.options.accuracy_split, "test");
    EXPECT_EQ(r.final.options.accuracy_images, 200);
    const Graph tuned = import_onnx(out / "models" / "csr-tuned.onnx");
    EXPECT_FALSE(tuned.nodes.empty());
    write_tune_files(r, out);
    for (const char* f : {"tune.json", "tune.html", "results.json", "report.html"})
        EXPECT_TRUE(fs::exists(out / f)) << f;

    // evaluate with the tune as its tuned set: csr maps its tuned model at its chosen value and
    // gets the final run's csr+ft figures exactly; dense stays the trained model.
    {
        EvalOptions e = t.base;
        e.schemes = {"dense", "csr"};
        e.tuned = out.string();
        e.accuracy_images = t.test_images;
        const EvalResult ev = evaluate(e);
        ASSERT_EQ(ev.schemes.size(), 2u);
        const SchemeResult& fin_csr = r.final.schemes[2];
        const SchemeResult& csr = ev.schemes[1];
        EXPECT_EQ(csr.model, (out / "models" / "csr-tuned.onnx").string());
        EXPECT_EQ(csr.tuned_param, "csr.sparsity=" + s.candidates[s.chosen].value);
        EXPECT_NE(csr.summary.find(", csr.beta=2)"), std::string::npos) << csr.summary;
        EXPECT_EQ(csr.accuracy, fin_csr.accuracy);
        EXPECT_EQ(csr.footprint.crossbars, fin_csr.footprint.crossbars);
        EXPECT_EQ(csr.stats.ou_ops, fin_csr.stats.ou_ops);
        EXPECT_EQ(csr.cost.total_energy_pj(), fin_csr.cost.total_energy_pj());
        EXPECT_TRUE(ev.schemes[0].model.empty());
        EXPECT_EQ(ev.schemes[0].accuracy, r.final.schemes[0].accuracy);
        EXPECT_EQ(ev.options.tuned, out.string());
        // A tuned set of another model, or no tune directory, is one error naming the field.
        e.model = std::string(SPARSECIM_SOURCE_DIR) + "/models/vgg-small-fmnist.onnx";
        try {
            evaluate(e);
            ADD_FAILURE() << "no error for a tuned set of another model";
        } catch (const FieldError& err) {
            EXPECT_NE(std::string(err.what()).find("was tuned from"), std::string::npos)
                << err.what();
        }
        e.tuned = (out / "nosuch").string();
        try {
            evaluate(e);
            ADD_FAILURE() << "no error for a missing tuned directory";
        } catch (const FieldError& err) {
            EXPECT_NE(std::string(err.what()).find("no such directory"), std::string::npos)
                << err.what();
        }
    }

    // Resumed with one more value and any drop allowed: the two finished candidates are kept
    // (same figures, not rerun), the new one runs, and the choice is the most efficient.
    t.grid = {"csr.sparsity=0.9,0.3,0.6"};
    t.max_drop_pp = 100.0;
    t.resume = true;
    said.clear();
    const TuneResult r2 = tune(t, say);
    int kept = 0;
    for (const auto& l : said) kept += l.find("kept from tune.jsonl") != std::string::npos;
    EXPECT_EQ(kept, 2);
    const TuneScheme& s2 = r2.schemes[0];
    ASSERT_EQ(s2.candidates.size(), 3u);
    EXPECT_EQ(s2.candidates[0].val_top1, s.candidates[0].val_top1);
    EXPECT_EQ(s2.candidates[1].efficiency, s.candidates[1].efficiency);
    EXPECT_TRUE(s2.within);
    EXPECT_EQ(s2.chosen, expected_choice(s2, 100.0));
    EXPECT_EQ(lines_of(out / "tune.jsonl"), 3);
    fs::remove_all(out);
}

TEST(Tune, VerificationFinetunesFullyAndChoosesTheMostEfficientVerifiedWithin) {
    const fs::path out = fs::temp_directory_path() / "sparsecim-test-tune-verify";
    fs::remove_all(out);
    TuneOptions t = tiny(out);
    t.grid = {"csr.sparsity=0.9,0.5,0.3"};
    t.verify = 2;
    t.max_drop_pp = 3.0;
    t.final_epochs_scheme = {{"csr", 2}};  // verification and final finetunes; not the ranking
    std::vector<std::string> said;
    const TuneResult r = tune(t, [&](const std::string& l) { said.push_back(l); });
    const TuneScheme& s = r.schemes.at(0);
    ASSERT_EQ(s.candidates.size(), 3u);
    for (const auto& l : said) {
        if (l.rfind("tune: verify ", 0) == 0 && l.find(": finetune ") != std::string::npos) {
            EXPECT_NE(l.find("finetune 2 epoch(s)"), std::string::npos) << l;
        }
    }
    for (const auto& e : r.final.schemes) {
        if (e.name == "csr+ft") {
            EXPECT_NE(e.summary.find("after finetuning 2 epoch(s)"), std::string::npos)
                << e.summary;
        }
    }
    // The ranking's choice by the rule; verification only looks at frontier candidates at least
    // as efficient as it, and runs at most `verify` full finetunes.
    const size_t ranked = expected_choice(s, t.max_drop_pp);
    int verified = 0;
    for (const auto& c : s.candidates) {
        if (!c.verified_top1) continue;
        ++verified;
        EXPECT_EQ(c.verified_within,
                  100.0 * (c.dense_val_top1 - *c.verified_top1) <= t.max_drop_pp + 1e-9);
    }
    EXPECT_GE(verified, 1);
    EXPECT_LE(verified, t.verify);
    const TuneCandidate& chosen = s.candidates[s.chosen];
    EXPECT_GE(chosen.efficiency, s.candidates[ranked].efficiency);
    // No verified candidate within max_drop is more efficient than the choice, and a choice above
    // the ranking's was verified within.
    for (const auto& c : s.candidates) {
        if (c.verified_top1 && c.verified_within) {
            EXPECT_LE(c.efficiency, chosen.efficiency);
        }
    }
    if (s.chosen != ranked) {
        EXPECT_TRUE(s.verified);
        EXPECT_TRUE(chosen.verified_within);
    }
    // The full finetune recovers at least as much as the short one on the same images.
    for (const auto& c : s.candidates) {
        if (c.verified_top1) {
            EXPECT_GE(*c.verified_top1 + 0.02, c.val_top1) << c.value;
        }
    }
    const nlohmann::json j = tune_json(r);
    EXPECT_EQ(j["schemes"][0]["verified"], s.verified);
    // Resumed: nothing reruns, the verified figures included.
    t.resume = true;
    said.clear();
    const TuneResult r2 = tune(t, [&](const std::string& l) { said.push_back(l); });
    int kept = 0;
    for (const auto& l : said) kept += l.find("kept from tune.jsonl") != std::string::npos;
    EXPECT_EQ(kept, 3 + verified);
    EXPECT_EQ(r2.schemes[0].chosen, s.chosen);
    fs::remove_all(out);
}

TEST(Tune, FrontierIsTheNonDominatedCandidates) {
    TuneScheme s;
    for (auto [top1, eff] : std::vector<std::pair<double, double>>{
             {0.90, 1.0}, {0.85, 2.0}, {0.84, 1.5}, {0.80, 3.0}, {0.90, 0.5}})
        s.candidates.push_back({"v", top1, 0.9, eff, "dense", 0.0, false, std::nullopt, false});
    EXPECT_EQ(tune_frontier(s), (std::vector<size_t>{0, 1, 3}));
}

TEST(Tune, BadGridsAreOneFieldErrorBeforeAnyWork) {
    const fs::path out = fs::temp_directory_path() / "sparsecim-test-tune-bad";
    fs::remove_all(out);
    for (const auto& [schemes, grid, says] :
         std::vector<std::tuple<std::vector<std::string>, std::string, std::string>>{
             {{"csr"}, "csr.sparsity=0.5,2", "csr.sparsity=2: must be a number in [0, 1]"},
             {{"csr"}, "csr.sparsity", "expected SCHEME.KEY=V1,V2"},
             {{"csr"}, "pattern.k=3", "'pattern' is not one of the schemes"},
             {{"csr"}, "csr.nosuch=1", "csr.nosuch=1: "},
             {{"dense"}, "", "dense is the reference"}}) {
        TuneOptions t = tiny(out);
        t.schemes = schemes;
        t.grid = grid.empty() ? std::vector<std::string>{} : std::vector<std::string>{grid};
        try {
            tune(t, [](const std::string&) {});
            ADD_FAILURE() << "no error for " << grid;
        } catch (const FieldError& e) {
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
        }
        EXPECT_FALSE(fs::exists(out)) << grid;
    }
    for (const auto& [epochs, says] :
         std::vector<std::pair<std::map<std::string, int>, std::string>>{
             {{{"pattern", 2}}, "final_epochs_scheme: pattern: not a scheme this tune searches"},
             {{{"csr", 0}}, "final_epochs_scheme: csr: must be >= 1"}}) {
        TuneOptions t = tiny(out);
        t.final_epochs_scheme = epochs;
        try {
            tune(t, [](const std::string&) {});
            ADD_FAILURE() << "no error for " << says;
        } catch (const FieldError& e) {
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
        }
        EXPECT_FALSE(fs::exists(out)) << says;
    }
}
