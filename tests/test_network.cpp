// pipeline/network.hpp: mapping layers in parallel gives the sequential mappings; streaming
// images through simulate_network gives the same Stats in any batch size; evaluate's counts-only
// mode reports the functional run's counts and says which mode ran.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/network.hpp"

using namespace sparsecim;

namespace {

SchemeContext context(const HwConfig& hw) {
    SchemeContext ctx;
    ctx.hw = hw;
    ctx.quant.w_bits = hw.w_bits;
    ctx.quant.a_bits = hw.a_bits;
    return ctx;
}

}  // namespace

TEST(Network, ParallelMappingAndStreamingDoNotChangeResults) {
    const HwConfig hw = resolve_hw("", {});
    const SchemeContext ctx = context(hw);
    const Scheme& csr = find_scheme("csr");
    const QuantModel qm =
        csr.prepare(make_zoo_model("lenet", 2), load_fashion_mnist("train", 16).images, ctx);
    const std::vector<Mapping> one = map_network(csr, qm, ctx, 1);
    const std::vector<Mapping> two = map_network(csr, qm, ctx, 2);
    ASSERT_EQ(one.size(), qm.layers.size());
    for (size_t l = 0; l < one.size(); ++l) EXPECT_EQ(reconstruct(one[l]), reconstruct(two[l]));
    const Tensor images = load_fashion_mnist("test", 5).images;
    NetworkSimOptions by_one, by_three;
    by_three.batch = 3;
    const NetworkSim a = simulate_network(qm, one, images, hw, by_one);
    const NetworkSim b = simulate_network(qm, two, images, hw, by_three);
    for (size_t l = 0; l < a.layers.size(); ++l) {
        EXPECT_EQ(to_json(a.layers[l].stats), to_json(b.layers[l].stats)) << l;
        EXPECT_EQ(a.layers[l].positions, b.layers[l].positions);
        EXPECT_EQ(a.layers[l].outputs_checked, b.layers[l].outputs_checked);
        EXPECT_EQ(a.layers[l].mismatches, b.layers[l].mismatches);
    }
    EXPECT_GT(a.layers[0].outputs_checked, 0);
}

TEST(Network, EvaluateCountsOnlyReportsTheSameCounts) {
    EvalOptions opt;
    opt.model = "zoo:tiny-cnn";
    opt.schemes = {"dense", "csr"};
    opt.images = 2;
    opt.accuracy_images = 0;
    opt.calib_images = 16;
    const EvalResult full = evaluate(opt);
    opt.counts_only = true;
    const EvalResult counts = evaluate(opt);
    ASSERT_EQ(full.schemes.size(), counts.schemes.size());
    for (size_t s = 0; s < full.schemes.size(); ++s) {
        EXPECT_EQ(to_json(full.schemes[s].stats), to_json(counts.schemes[s].stats));
        EXPECT_GT(full.schemes[s].outputs_checked, 0);
        EXPECT_EQ(counts.schemes[s].outputs_checked, 0);
    }
    opt.check_exact = true;
    EXPECT_THROW(evaluate(opt), Error);
}
