// Fair baselines (issue 19, item 5): a scheme's ratios are against dense on the cell bits it
// really uses (Scheme::hw_used: sme's one bit per cell) and with its zero-input skipping
// (Scheme::skips_zero_inputs: csr, pattern); the run's dense model is mapped again for that, and
// the ratios against the run's dense are kept beside.
#include <gtest/gtest.h>

#include <algorithm>

#include "pipeline/evaluate.hpp"
#include "results/compare.hpp"
#include "results/results_json.hpp"

using namespace sparsecim;

namespace {

EvalOptions tiny(std::vector<std::string> schemes) {
    EvalOptions o;
    o.model = "zoo:tiny-cnn";
    o.schemes = std::move(schemes);
    o.accuracy_images = 0;
    o.adc_accuracy_images = 0;
    o.calib_images = 16;
    o.check_exact = true;
    o.scheme_params = {"pattern.exempt=none"};
    return o;
}

const SchemeResult& entry(const std::vector<SchemeResult>& v, const std::string& name) {
    for (const SchemeResult& s : v)
        if (s.name == name) return s;
    throw std::runtime_error("no entry " + name);
}

}  // namespace

TEST(FairBaseline, EachSchemeIsComparedWithDenseOnItsCellBitsAndZeroSkipping) {
    const EvalResult r = evaluate(tiny({"dense", "twofold", "sme", "pattern"}));
    ASSERT_EQ(r.baselines.size(), 2u);
    EXPECT_EQ(r.baselines[0].name, "dense[cell_bits=1]");
    EXPECT_EQ(r.baselines[1].name, "dense[skip_zero]");
    EXPECT_EQ(entry(r.schemes, "twofold").baseline, "dense");
    EXPECT_EQ(entry(r.schemes, "sme").baseline, "dense[cell_bits=1]");
    EXPECT_EQ(entry(r.schemes, "pattern").baseline, "dense[skip_zero]");

    const SchemeResult& dense = entry(r.schemes, "dense");
    const SchemeResult& skip = r.baselines[1];
    const SchemeResult& one_bit = r.baselines[0];
    // Both are the run's dense model, mapped again: exact under an ideal ADC.
    for (const SchemeResult* b : {&skip, &one_bit}) {
        ASSERT_TRUE(b->ideal_mismatches.has_value()) << b->name;
        EXPECT_EQ(*b->ideal_mismatches, 0) << b->name;
        EXPECT_GT(b->outputs_checked, 0) << b->name;
        EXPECT_EQ(b->weight_sparsity, dense.weight_sparsity) << b->name;
    }
    // Zero skipping changes which OU ops are issued, not what is stored.
    EXPECT_EQ(skip.footprint.stored_cells, dense.footprint.stored_cells);
    EXPECT_EQ(skip.footprint.crossbars, dense.footprint.crossbars);
    EXPECT_EQ(dense.stats.ou_ops_skipped, 0u);
    EXPECT_GT(skip.stats.ou_ops_skipped, 0u);
    EXPECT_EQ(skip.stats.ou_ops + skip.stats.ou_ops_skipped, dense.stats.ou_ops);
    EXPECT_LT(skip.stats.cycles, dense.stats.cycles);
    // One bit per cell: two cell states, twice the bit slices of 2-bit cells.
    EXPECT_EQ(one_bit.cell_states.size(), 2u);
    EXPECT_EQ(entry(r.schemes, "sme").cell_states.size(), 2u);
    EXPECT_EQ(one_bit.footprint.stored_cells, 2 * dense.footprint.stored_cells);

    // The ratios are against the matched baseline; against the run's dense they are kept beside.
    const auto cmp = compare_schemes(r);
    for (const SchemeComparison& c : cmp) {
        const SchemeResult& s = entry(r.schemes, c.name);
        if (c.name == "dense" || c.name == "twofold") {
            EXPECT_EQ(c.baseline, "dense");
            EXPECT_FALSE(c.vs_run_dense.has_value()) << c.name;
            continue;
        }
        const SchemeResult& b = entry(r.baselines, s.baseline);
        EXPECT_EQ(c.baseline, b.name);
        EXPECT_DOUBLE_EQ(*c.speedup,
                         static_cast<double>(b.stats.cycles) / static_cast<double>(s.stats.cycles));
        EXPECT_DOUBLE_EQ(*c.energy_eff, b.cost.total_energy_pj() / s.cost.total_energy_pj());
        ASSERT_TRUE(c.vs_run_dense.has_value()) << c.name;
        EXPECT_DOUBLE_EQ(*c.vs_run_dense->speedup, static_cast<double>(dense.stats.cycles) /
                                                       static_cast<double>(s.stats.cycles));
    }
    // results.json names the baseline of every scheme and carries the baselines' own figures.
    const nlohmann::json j = results_json(r);
    ASSERT_EQ(j.at("baselines").size(), 2u);
    EXPECT_EQ(j.at("baselines")[1].at("ou_ops_skipped"), skip.stats.ou_ops_skipped);
    EXPECT_EQ(j.at("schemes")[2].at("baseline"), "dense[cell_bits=1]");
    EXPECT_TRUE(j.at("schemes")[2].at("vs_run_dense").is_object());
    EXPECT_TRUE(j.at("schemes")[1].at("vs_run_dense").is_null());

    // The layers pattern leaves dense (dense fallback) skip zero inputs like the rest of its chip
    // and like its baseline: such a layer holds dense[skip_zero]'s OU ops (which of them are
    // skipped depends on the layer's inputs, which pattern's pruned layers before it change).
    const SchemeResult& pattern = entry(r.schemes, "pattern");
    int fallbacks = 0;
    for (size_t li = 0; li < pattern.layers.size(); ++li) {
        const LayerResult& l = pattern.layers[li];
        if (!l.figures.count("dense_fallback_layers")) continue;
        ++fallbacks;
        EXPECT_GT(l.stats.ou_ops_skipped, 0u) << l.name;
        EXPECT_EQ(l.stats.ou_ops + l.stats.ou_ops_skipped,
                  skip.layers[li].stats.ou_ops + skip.layers[li].stats.ou_ops_skipped)
            << l.name;
    }
    EXPECT_GT(fallbacks, 0);

    // Cells saved per zero weight is a figure of a scheme that saves zero weights; for sme, whose
    // savings are zero bits, it is not reported.
    ASSERT_FALSE(entry(r.schemes, "sme").uses_zero_weights);
    EXPECT_TRUE(pattern.uses_zero_weights);
    const SchemeComparison& pc = *std::find_if(
        cmp.begin(), cmp.end(), [](const SchemeComparison& c) { return c.name == "pattern"; });
    ASSERT_TRUE(pc.sparsity_utilization.has_value());
    EvalResult bit_level = r;
    for (SchemeResult& s : bit_level.schemes)
        if (s.name == "pattern") s.uses_zero_weights = false;
    for (const SchemeComparison& c : compare_schemes(bit_level))
        if (c.name == "pattern") {
            EXPECT_FALSE(c.sparsity_utilization.has_value());
        }
}

// A run's dense that already skips zero inputs is pattern's baseline itself; without dense in the
// run nothing is compared and no baseline is mapped.
TEST(FairBaseline, TheRunsDenseServesWhenItMatchesAndNoDenseMeansNoBaselines) {
    EvalOptions o = tiny({"dense", "pattern"});
    o.scheme_params.push_back("dense.skip_zero=true");
    const EvalResult r = evaluate(o);
    EXPECT_TRUE(r.baselines.empty());
    EXPECT_EQ(entry(r.schemes, "pattern").baseline, "dense");
    EXPECT_GT(entry(r.schemes, "dense").stats.ou_ops_skipped, 0u);

    const EvalResult alone = evaluate(tiny({"sme", "pattern"}));
    EXPECT_TRUE(alone.baselines.empty());
    for (const SchemeResult& s : alone.schemes) EXPECT_EQ(s.baseline, "") << s.name;
    for (const SchemeComparison& c : compare_schemes(alone)) EXPECT_FALSE(c.speedup.has_value());
}
