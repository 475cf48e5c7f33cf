// The gradual-pruning schedule of finetuning (pipeline/finetune.hpp): the cubic share of Zhu &
// Gupta, and masks relaxed to a share by weight magnitude.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "model/graph.hpp"
#include "pipeline/finetune.hpp"

using namespace sparsecim;

TEST(GradualShare, CubicFromZeroToOneOverTheRamp) {
    EXPECT_DOUBLE_EQ(gradual_share(0, 100), 0.0);
    EXPECT_DOUBLE_EQ(gradual_share(50, 100), 1.0 - 0.125);
    EXPECT_DOUBLE_EQ(gradual_share(90, 100), 1.0 - 0.001);
    EXPECT_DOUBLE_EQ(gradual_share(100, 100), 1.0);
    EXPECT_DOUBLE_EQ(gradual_share(250, 100), 1.0);
    EXPECT_DOUBLE_EQ(gradual_share(0, 0), 1.0);  // no ramp: the full mask at once
    for (int64_t s = 1; s <= 100; ++s) EXPECT_GT(gradual_share(s, 100), gradual_share(s - 1, 100));
}

TEST(RelaxMasks, KeepsTheSmallestMaskedWeightsMasked) {
    Graph g;
    g.constants["w"] = Tensor({6}, std::vector<float>{0.5f, -0.1f, 0.3f, -0.9f, 0.2f, 0.05f});
    const MaskSet target = {{"w", {1, 0, 0, 0, 1, 0}}};  // masks 1, 2, 3, 5
    // |w| of the masked: 0.1, 0.3, 0.9, 0.05 -> order 5, 1, 2, 3.
    EXPECT_EQ(relax_masks(target, g, 1.0).at("w"), target.at("w"));
    EXPECT_EQ(relax_masks(target, g, 0.0).at("w"), (std::vector<uint8_t>{1, 1, 1, 1, 1, 1}));
    EXPECT_EQ(relax_masks(target, g, 0.5).at("w"), (std::vector<uint8_t>{1, 0, 1, 1, 1, 0}));
    EXPECT_EQ(relax_masks(target, g, 0.75).at("w"), (std::vector<uint8_t>{1, 0, 0, 1, 1, 0}));
}

TEST(RelaxMasks, AMaskOfTheWrongSizeIsAnError) {
    Graph g;
    g.constants["w"] = Tensor({3}, 1.0f);
    EXPECT_THROW(relax_masks({{"w", {1, 0}}}, g, 0.5), Error);
}
