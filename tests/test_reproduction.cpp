// Claims in experiment files and the reproduction table (`sparsecim reproduce`): claim parsing
// errors name the file and field, each metric is measured from results.json as documented, and
// the generated Markdown shows the measured figures of a real run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"
#include "core/error.hpp"
#include "pipeline/claims.hpp"
#include "pipeline/experiment.hpp"

using namespace sparsecim;
using namespace sparsecim_test;

namespace {

std::vector<Claim> claims_of(const std::string& yaml) {
    return parse_claims(YAML::Load(yaml), "exp.yaml", {"dense", "csr"});
}

std::string error_of(const std::string& yaml) {
    try {
        claims_of(yaml);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// A results.json with two schemes whose figures are chosen so every metric has a known value.
nlohmann::json results() {
    return nlohmann::json::parse(R"({
      "schemes": [
        {"name": "dense", "accuracy": 0.90, "accuracy_finetuned": null,
         "energy_pj_by_component": {"cells": 600, "adc": 300, "index": 0},
         "vs_dense": {"speedup": 1.0}},
        {"name": "csr", "accuracy": 0.85, "accuracy_finetuned": 0.88,
         "energy_pj_by_component": {"cells": 200, "adc": 100, "index": 50},
         "scheme_figures": {"a": 3, "b": 12, "zero": 0},
         "vs_dense": {"speedup": 2.5, "sparsity_utilization": null},
         "vs_run_dense": {"speedup": 4.0}}
      ]})");
}

}  // namespace

TEST(Claims, ParseErrorsNameTheFileAndField) {
    EXPECT_EQ(error_of("[{label: x, scheme: csr, metric: speed, source: 2x}]")
                  .rfind("exp.yaml: claims[0].metric: unknown metric 'speed'", 0),
              0u);
    EXPECT_EQ(error_of("[{label: x, scheme: sme, metric: speedup, source: 2x}]"),
              "exp.yaml: claims[0].scheme: 'sme' is not one of the experiment's schemes");
    EXPECT_EQ(error_of("[{label: x, scheme: csr, metric: speedup}]"),
              "exp.yaml: claims[0].source: required");
    EXPECT_EQ(error_of("[{label: x, scheme: csr, metric: energy_efficiency_of, source: 2x}]"),
              "exp.yaml: claims[0].components: energy_efficiency_of needs a non-empty list");
    EXPECT_EQ(error_of("[{label: x, scheme: csr, metric: figure_ratio, source: 1, numerator: a}]"),
              "exp.yaml: claims[0].denominator: required by metric figure_ratio");
    EXPECT_EQ(error_of("[{label: x, scheme: csr, metric: speedup, source: 2x, colour: red}]"),
              "exp.yaml: claims[0].colour: unknown key");
    EXPECT_EQ(error_of("{label: x}"), "exp.yaml: claims: expected a list of claims, got a mapping");
    EXPECT_EQ(error_of("[{label: x, scheme: csr, metric: speedup, source: 2x, against: deck}]"),
              "exp.yaml: claims[0].against: expected matched or run_dense, got 'deck'");
    EXPECT_EQ(
        error_of("[{label: x, scheme: csr, metric: accuracy, source: 2x, against: run_dense}]"),
        "exp.yaml: claims[0].against: only for a ratio metric");
}

TEST(Claims, EveryMetricIsMeasuredFromResults) {
    const auto r = results();
    auto measure = [&](const std::string& yaml) {
        return measure_claim(claims_of("[" + yaml + "]").at(0), r);
    };
    EXPECT_EQ(measure("{label: x, scheme: csr, metric: speedup, source: s}"), 2.5);
    EXPECT_EQ(measure("{label: x, scheme: csr, metric: speedup, source: s, against: run_dense}"),
              4.0);
    EXPECT_EQ(
        measure("{label: x, scheme: csr, metric: compression, source: s, against: run_dense}"),
        std::nullopt);
    EXPECT_EQ(measure("{label: x, scheme: csr, metric: sparsity_utilization, source: s}"),
              std::nullopt);  // null in the results: not measurable
    EXPECT_EQ(measure("{label: x, scheme: csr, metric: energy_efficiency_of, source: s, "
                      "components: [cells, adc]}"),
              3.0);  // (600 + 300) / (200 + 100): the index energy is left out
    // Against the scheme's matched baseline when it has one (results.json "baselines").
    nlohmann::json matched = r;
    matched["schemes"][1]["baseline"] = "dense[skip_zero]";
    matched["baselines"] =
        nlohmann::json::array({{{"name", "dense[skip_zero]"},
                                {"energy_pj_by_component", {{"cells", 300}, {"adc", 150}}}}});
    EXPECT_EQ(measure_claim(claims_of("[{label: x, scheme: csr, metric: energy_efficiency_of, "
                                      "source: s, components: [cells, adc]}]")
                                .at(0),
                            matched),
              1.5);
    EXPECT_NEAR(*measure("{label: x, scheme: csr, metric: accuracy_change, source: s}"), -0.05,
                1e-12);
    EXPECT_NEAR(*measure("{label: x, scheme: csr, metric: accuracy_change_finetuned, source: s}"),
                -0.02, 1e-12);
    EXPECT_EQ(measure("{label: x, scheme: dense, metric: accuracy_finetuned, source: s}"),
              std::nullopt);
    EXPECT_EQ(measure("{label: x, scheme: csr, metric: figure_ratio, source: s, numerator: a, "
                      "denominator: b}"),
              0.25);
    EXPECT_EQ(measure("{label: x, scheme: csr, metric: figure_ratio, source: s, numerator: a, "
                      "denominator: zero}"),
              std::nullopt);

    const auto c = claims_of(
        "[{label: x, scheme: csr, metric: speedup, source: s},"
        " {label: x, scheme: csr, metric: accuracy_change, source: s},"
        " {label: x, scheme: csr, metric: accuracy, source: s}]");
    EXPECT_EQ(format_claim_value(c[0], 2.5), "2.50x");
    EXPECT_EQ(format_claim_value(c[1], -0.0125), "-1.25 pp");
    EXPECT_EQ(format_claim_value(c[2], 0.875), "87.5%");
    EXPECT_EQ(format_claim_value(c[0], std::nullopt), "n/a");
}

using Reproduce = CliTest;

TEST_F(Reproduce, TableShowsTheFiguresOfARealRun) {
    const auto out = dir / "out";
    const auto exp = write("exp.yaml", R"(name: tiny
description: a tiny run
stand_in: the untrained tiny-cnn stands in for everything
models: [zoo:tiny-cnn]
schemes: [dense, csr]
params: {csr: {sparsity: 0.7}}
images: 1
accuracy_images: 20
adc_accuracy_images: 0
out: )" + out.string() + R"(
claims:
  - {label: speedup, scheme: csr, metric: speedup, source: "3-7.6x"}
  - {label: energy, scheme: csr, metric: energy_efficiency_of, components: [cells, adc], source: "2x"}
)");
    // Before the run: one error line saying what to run, exit 2, nothing written.
    CmdResult r = run("reproduce " + exp.string() + " --out " + (dir / "r.md").string());
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("run `sparsecim run"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "r.md"));

    r = run("run " + exp.string());
    ASSERT_EQ(r.code, 0) << r.err;
    r = run("reproduce " + exp.string() + " --out " + (dir / "r.md").string());
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string md = slurp(dir / "r.md");
    const auto j = nlohmann::json::parse(slurp(out / "results.json"));
    const auto claims = claims_of(
        "[{label: x, scheme: csr, metric: speedup, source: s},"
        " {label: x, scheme: csr, metric: energy_efficiency_of, components: [cells, adc], "
        "source: s}]");
    for (const auto& c : claims) {
        const auto v = measure_claim(c, j);
        ASSERT_TRUE(v.has_value());
        EXPECT_NE(md.find("| " + format_claim_value(c, v) + " |"), std::string::npos) << md;
    }
    EXPECT_NE(md.find("| speedup | csr | 3-7.6x |"), std::string::npos) << md;
    EXPECT_NE(md.find("Stand-in: the untrained tiny-cnn"), std::string::npos) << md;
    EXPECT_NE(md.find("UNTRAINED"), std::string::npos) << md;  // the model's note is carried
}

// Every bundled experiment file loads (models, hardware and claims valid) and each deck
// experiment states claims and its stand-in.
TEST(Claims, BundledExperimentFilesLoad) {
    int decks = 0;
    for (const auto& e : std::filesystem::directory_iterator(
             std::filesystem::path(SPARSECIM_SOURCE_DIR) / "configs" / "experiments")) {
        if (e.path().extension() != ".yaml") continue;
        const Experiment ex = load_experiment(e.path());
        EXPECT_FALSE(ex.units.empty()) << e.path();
        if (e.path().stem().string().find("-deck") != std::string::npos) {
            ++decks;
            EXPECT_FALSE(ex.claims.empty()) << e.path();
            EXPECT_FALSE(ex.stand_in.empty()) << e.path();
        }
    }
    EXPECT_EQ(decks, 4);  // one per source document
}
