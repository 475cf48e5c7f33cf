// The pattern scheme on VGG16 (CIFAR-10) layer shapes, mapping only: synthetic int8 weights of
// the 13 conv layers, pattern-pruned to the deck's 86% sparsity with the deck's per-layer pattern
// counts, mapped by dense and by each placement heuristic. Checks that splitting never needs more
// crossbars than whole-block placement and that pattern mapping needs fewer crossbars, OU ops and
// conversions than dense, and prints the figures docs/schemes/pattern.md quotes (no inputs are
// simulated: the zoo has no VGG-sized model yet, so no energy from real activations here).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "core/error.hpp"
#include "hw/hw_config.hpp"
#include "map/dense_mapper.hpp"
#include "schemes/pattern/pattern_map.hpp"
#include "schemes/pattern/pattern_prune.hpp"

using namespace sparsecim;

namespace {

struct VggLayer {
    int64_t cin, cout;
    int patterns;  // deck 003, CIFAR-10 row of "Pattern Numbers in Each Conv layer"
};

const std::vector<VggLayer> kVgg16Cifar = {
    {3, 64, 2},    {64, 64, 2},   {64, 128, 2},  {128, 128, 6}, {128, 256, 8},
    {256, 256, 8}, {256, 256, 8}, {256, 512, 6}, {512, 512, 5}, {512, 512, 4},
    {512, 512, 6}, {512, 512, 6}, {512, 512, 8}};

QuantLayer synthetic_layer(const VggLayer& s, uint64_t seed) {
    QuantLayer L;
    L.name = "conv_" + std::to_string(s.cin) + "_" + std::to_string(s.cout);
    L.kernel_h = L.kernel_w = 3;
    L.weights = WeightMatrix(L.name, s.cin * 9, s.cout, 8);
    L.w_scale.assign(static_cast<size_t>(s.cout), 1.0f);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 40.0);
    for (int32_t& w : L.weights.w)
        w = static_cast<int32_t>(std::clamp(std::lround(normal(rng)), -127L, 127L));
    return L;
}

// Per input bit-plane and output position: OU ops, conversions (live columns), and the busiest
// crossbar's conversion rounds (the simulator's cycle model without zero skipping).
struct OpCounts {
    int64_t ops = 0, conversions = 0, busiest = 0;
};
OpCounts op_counts(const Mapping& m, const HwConfig& hw) {
    OpCounts c;
    for (const Tile& t : m.tiles) {
        int64_t busy = 0;
        for (const OuOp& op : t.ops) {
            int64_t live = 0;
            for (int j = 0; j < op.cols; ++j)
                live += t.outputs[op.out_ofs + static_cast<size_t>(j)].n >= 0;
            ++c.ops;
            c.conversions += live;
            busy += std::max<int64_t>(1, (live + hw.adc_per_xbar - 1) / hw.adc_per_xbar);
        }
        c.busiest = std::max(c.busiest, busy);
    }
    return c;
}

}  // namespace

TEST(PatternVgg16Shapes, PatternMappingSavesCrossbarsAndSplittingPacksBest) {
    const HwConfig hw = load_hw_config(hw_preset_path("pattern"));
    int64_t dense_xbars = 0, dense_cells = 0, dense_ops = 0, dense_conv = 0, dense_cycles = 0;
    std::map<std::string, int64_t> xbars, segments;
    int64_t pat_cells = 0, pat_ops = 0, pat_conv = 0, pat_cycles = 0, weights = 0, zeros = 0;
    std::printf("%-14s %8s %6s %6s %6s %6s %6s %10s %10s %10s\n", "layer", "sparsity", "pat",
                "dense", "ffd", "bfd", "split", "ffd_split", "util_ffds", "util_ffd");
    for (size_t i = 0; i < kVgg16Cifar.size(); ++i) {
        const VggLayer& s = kVgg16Cifar[i];
        QuantLayer L = synthetic_layer(s, 100 + i);
        const Mapping dm = map_dense(L.weights, hw);
        PatternParams p;
        p.library_size = s.patterns;
        p.target_sparsity = 0.86;
        const PatternPruneReport rep = pattern_prune_layer(L, p);
        EXPECT_EQ(static_cast<int>(rep.library.size()), s.patterns);
        weights += static_cast<int64_t>(L.weights.w.size());
        zeros += static_cast<int64_t>(L.weights.w.size()) - L.weights.nonzeros();
        std::map<std::string, double> util;
        for (PlacementMethod method : all_placements()) {
            p.placement = method;
            const Mapping m = map_pattern(L, hw, p);
            if (method == PlacementMethod::FirstFitSplit) {
                ASSERT_EQ(verify(m, L.weights), "") << L.name;
            }
            xbars[placement_name(method)] += static_cast<int64_t>(m.tiles.size());
            util[placement_name(method)] =
                m.figures.at("block_cells") / m.figures.at("crossbar_cells");
            segments[placement_name(method)] +=
                static_cast<int64_t>(m.figures.at("block_segments"));
            if (method != PlacementMethod::FirstFitSplit) continue;
            const OpCounts pc = op_counts(m, hw);
            pat_cells += m.stored_cells();
            pat_ops += pc.ops;
            pat_conv += pc.conversions;
            pat_cycles += pc.busiest;
            EXPECT_LE(m.tiles.size(), dm.tiles.size()) << L.name;
            EXPECT_LE(m.figures.at("crossbars_ffd_split"), m.figures.at("crossbars_ffd")) << L.name;
            EXPECT_LE(m.figures.at("crossbars_ffd_split"), m.figures.at("crossbars_bfd")) << L.name;
            EXPECT_EQ(m.figures.at("crossbars_ffd_split"), m.figures.at("crossbars_split"));
            std::printf("%-14s %8.4f %6d %6zu %6.0f %6.0f %6.0f %10.0f %10.4f %10.4f\n",
                        L.name.c_str(), L.weights.sparsity(), s.patterns, dm.tiles.size(),
                        m.figures.at("crossbars_ffd"), m.figures.at("crossbars_bfd"),
                        m.figures.at("crossbars_split"), m.figures.at("crossbars_ffd_split"),
                        util["ffd_split"], util["ffd"]);
        }
        const OpCounts dc = op_counts(dm, hw);
        dense_xbars += static_cast<int64_t>(dm.tiles.size());
        dense_cells += dm.stored_cells();
        dense_ops += dc.ops;
        dense_conv += dc.conversions;
        dense_cycles += dc.busiest;
    }
    std::printf(
        "VGG16-CIFAR shapes: sparsity %.4f, crossbars dense %lld, ffd %lld, bfd %lld, "
        "split %lld, ffd_split %lld (area efficiency %.2fx), stored cells %.2fx fewer, OU ops "
        "%.2fx fewer, "
        "ADC conversions %.2fx fewer, busiest-crossbar cycles dense/pattern %.3f\n",
        static_cast<double>(zeros) / static_cast<double>(weights),
        static_cast<long long>(dense_xbars), static_cast<long long>(xbars["ffd"]),
        static_cast<long long>(xbars["bfd"]), static_cast<long long>(xbars["split"]),
        static_cast<long long>(xbars["ffd_split"]),
        static_cast<double>(dense_xbars) / static_cast<double>(xbars["ffd_split"]),
        static_cast<double>(dense_cells) / static_cast<double>(pat_cells),
        static_cast<double>(dense_ops) / static_cast<double>(pat_ops),
        static_cast<double>(dense_conv) / static_cast<double>(pat_conv),
        static_cast<double>(dense_cycles) / static_cast<double>(pat_cycles));
    std::printf("segments: ffd %lld, bfd %lld, split %lld, ffd_split %lld\n",
                static_cast<long long>(segments["ffd"]), static_cast<long long>(segments["bfd"]),
                static_cast<long long>(segments["split"]),
                static_cast<long long>(segments["ffd_split"]));
    EXPECT_LT(xbars["ffd_split"], dense_xbars);
    EXPECT_LE(xbars["ffd_split"], xbars["ffd"]);
    EXPECT_LE(segments["ffd_split"], segments["split"]);
    EXPECT_LT(pat_ops, dense_ops);
    EXPECT_LT(pat_conv, dense_conv);
}
