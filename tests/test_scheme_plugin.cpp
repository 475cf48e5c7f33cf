// Adding a scheme needs its scheme value and one registry entry, nothing else (issue 20, item 5):
// a throwaway scheme defined in this test binary runs through evaluate() on the default hardware,
// is exact under an ideal ADC and gets its ratios against dense.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "map/dense_mapper.hpp"
#include "pipeline/evaluate.hpp"
#include "results/compare.hpp"
#include "schemes/scheme.hpp"

using namespace sparsecim;

namespace {

// "halfzero": int8 PTQ, then every weight whose |w| is below the layer's median magnitude set to
// zero, mapped densely. Nothing of it exists outside this file.
Scheme halfzero_scheme() {
    Scheme s;
    s.name = "halfzero";
    s.summary = "test: small weights zeroed, dense mapping";
    s.prepare = [](const Graph& g, const Tensor& calib, const SchemeContext& ctx) {
        QuantModel qm = quantize(g, calib, ctx.quant);
        for (QuantLayer& L : qm.layers) {
            std::vector<int32_t> mags;
            for (int32_t v : L.weights.w) mags.push_back(std::abs(v));
            std::nth_element(mags.begin(), mags.begin() + static_cast<long>(mags.size() / 2),
                             mags.end());
            const int32_t median = mags[mags.size() / 2];
            for (int32_t& v : L.weights.w)
                if (std::abs(v) < median) v = 0;
        }
        return qm;
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        return map_dense(layer.weights, ctx.hw);
    };
    return s;
}

}  // namespace

TEST(SchemePlugin, AThrowawaySchemeRunsThroughEvaluateWithNoOtherEdit) {
    register_scheme(halfzero_scheme());
    EXPECT_EQ(find_scheme("halfzero").summary, "test: small weights zeroed, dense mapping");
    EXPECT_THROW(register_scheme(halfzero_scheme()), Error);  // one name, one scheme

    EvalOptions o;
    o.model = "zoo:tiny-cnn";
    o.schemes = {"dense", "halfzero"};
    o.accuracy_images = 0;
    o.adc_accuracy_images = 0;
    o.calib_images = 16;
    o.check_exact = true;
    const EvalResult r = evaluate(o);
    ASSERT_EQ(r.schemes.size(), 2u);
    const SchemeResult& h = r.schemes[1];
    EXPECT_EQ(h.name, "halfzero");
    ASSERT_TRUE(h.ideal_mismatches.has_value());
    EXPECT_EQ(*h.ideal_mismatches, 0);
    EXPECT_GT(h.outputs_checked, 0);
    EXPECT_GE(h.weight_sparsity, 0.4);
    // Zero weights stored densely: the crossbars of dense, compared with the run's dense.
    EXPECT_EQ(h.footprint.crossbars, r.schemes[0].footprint.crossbars);
    EXPECT_EQ(h.baseline, "dense");
    const auto cmp = compare_schemes(r);
    ASSERT_TRUE(cmp[1].crossbar_eff.has_value());
    EXPECT_DOUBLE_EQ(*cmp[1].crossbar_eff, 1.0);
}
