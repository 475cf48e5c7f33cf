// Tests of the `pattern` scheme: parameters, pattern pruning (library, projection, connectivity),
// shelf placement, and the pattern-block mapping's invariants on every zoo model: it
// reconstructs the pruned weights and simulates bit-exactly under an ideal ADC.
#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "infer/int_infer.hpp"
#include "map/dense_mapper.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "schemes/pattern/pattern_map.hpp"
#include "schemes/pattern/pattern_params.hpp"
#include "schemes/pattern/pattern_prune.hpp"
#include "schemes/pattern/shelf_packing.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

namespace {

std::string error_of(const nlohmann::json& params) {
    try {
        parse_pattern_params(params);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

HwConfig pattern_hw() {
    return load_hw_config(hw_preset_path("pattern"));
}

QuantModel prepared(const std::string& model, const nlohmann::json& params,
                    const HwConfig& hw = pattern_hw()) {
    SchemeContext ctx;
    ctx.hw = hw;
    ctx.params = params;
    const Dataset train = load_fashion_mnist("train", 32);
    return find_scheme("pattern").prepare(make_zoo_model(model, 5), train.images, ctx);
}

PatternMask kernel_keep(const WeightMatrix& w, int64_t c, int64_t n) {
    PatternMask m = 0;
    for (int q = 0; q < 9; ++q)
        if (w.keep[static_cast<size_t>((c * 9 + q) * w.N + n)])
            m |= static_cast<PatternMask>(1 << q);
    return m;
}

}  // namespace

TEST(PatternParams, DefaultsAndErrorsNameTheParameter) {
    const PatternParams p = parse_pattern_params(nlohmann::json::object());
    EXPECT_EQ(p.k, 4);
    EXPECT_EQ(p.library_size, 8);
    EXPECT_EQ(p.placement, PlacementMethod::FirstFitSplit);
    EXPECT_TRUE(p.skip_zero);
    EXPECT_EQ(parse_pattern_params({{"library_size", "auto"}}).library_size, 0);
    EXPECT_EQ(parse_pattern_params({{"placement", "ffd"}}).placement, PlacementMethod::FirstFit);
    EXPECT_EQ(error_of({{"nosuch", 1}}).rfind("pattern.nosuch: unknown parameter", 0), 0u);
    EXPECT_EQ(error_of({{"k", 10}}), "pattern.k: must be an integer 1..9");
    EXPECT_EQ(error_of({{"k", "four"}}), "pattern.k: must be an integer 1..9");
    EXPECT_EQ(error_of({{"connectivity", 1.0}}),
              "pattern.connectivity: must be a number in [0, 1)");
    EXPECT_EQ(error_of({{"placement", "worst"}}),
              "pattern.placement: must be one of ffd, bfd, split, ffd_split");
    EXPECT_NE(error_of({{"connectivity", 0.2}, {"target_sparsity", 0.8}}), "");
    EXPECT_NE(error_of({{"skip_zero", 1}}), "");
}

TEST(PatternPrune, TopKMaskKeepsTheLargestMagnitudes) {
    const int32_t v[9] = {1, -9, 3, 0, 7, -7, 2, 0, 5};
    // |v| ranking: 9 (q1), 7 (q4), 7 (q5), 5 (q8), 3 (q2)...
    EXPECT_EQ(top_k_mask(v, 4), (1 << 1) | (1 << 4) | (1 << 5) | (1 << 8));
    EXPECT_EQ(top_k_mask(v, 1), 1 << 1);
    EXPECT_EQ(top_k_mask(v, 9), 0x1ff);
}

TEST(PatternPrune, QuantizeRecordsKernelGeometry) {
    const QuantModel qm = prepared("resnet-mini", nlohmann::json::object());
    for (const QuantLayer& L : qm.layers) {
        const Node& n = qm.graph.nodes[L.node];
        if (n.op == OpKind::Conv) {
            const Tensor& w = qm.graph.constant(weight_name(n));
            EXPECT_EQ(L.kernel_h, w.dim(2));
            EXPECT_EQ(L.kernel_w, w.dim(3));
        } else {
            EXPECT_EQ(L.kernel_h, 0);
        }
    }
}

TEST(PatternPrune, KernelsFollowTheLibraryAndKeepTheirQuantizedValues) {
    const Graph g = make_zoo_model("resnet-mini", 5);
    const QuantModel dense = quantize(g, load_fashion_mnist("train", 32).images, QuantOptions{});
    for (int lib : {2, 8}) {
        PatternParams p;
        p.library_size = lib;
        p.connectivity = 0.25;
        for (size_t li = 0; li < dense.layers.size(); ++li) {
            QuantLayer L = dense.layers[li];
            if (L.kernel_h != 3) continue;
            const PatternPruneReport rep = pattern_prune_layer(L, p);
            const WeightMatrix& before = dense.layers[li].weights;
            const WeightMatrix& W = L.weights;
            EXPECT_LE(static_cast<int>(rep.library.size()), lib);
            const std::set<PatternMask> library(rep.library.begin(), rep.library.end());
            int64_t kept = 0;
            for (int64_t c = 0; c < W.K / 9; ++c)
                for (int64_t n = 0; n < W.N; ++n) {
                    const PatternMask m = kernel_keep(W, c, n);
                    if (!m) continue;
                    ++kept;
                    EXPECT_EQ(std::popcount(m), p.k);
                    EXPECT_TRUE(library.count(m)) << L.name;
                    // Projection keeps the library pattern with the most L2 norm.
                    auto energy = [&](PatternMask mm) {
                        int64_t e = 0;
                        for (int q = 0; q < 9; ++q)
                            if ((mm >> q) & 1) {
                                const int64_t v = before.at(c * 9 + q, n);
                                e += v * v;
                            }
                        return e;
                    };
                    for (PatternMask other : library) EXPECT_GE(energy(m), energy(other));
                }
            for (size_t i = 0; i < W.w.size(); ++i) {
                if (W.keep[i])
                    EXPECT_EQ(W.w[i], before.w[i]);
                else
                    EXPECT_EQ(W.w[i], 0);
            }
            EXPECT_EQ(kept, rep.kernels - rep.kernels_removed);
            EXPECT_GE(rep.kernels_removed, static_cast<int64_t>(0.25 * rep.kernels));
            EXPECT_GT(kept, 0);
        }
    }
}

TEST(PatternPrune, TargetSparsityAndAutoLibrary) {
    const QuantModel qm = prepared("resnet-mini", {{"target_sparsity", 0.86}});
    for (const QuantLayer& L : qm.layers)
        if (L.kernel_h == 3) {
            // The exempt first layer stays dense; every other 3x3 layer meets the target.
            EXPECT_NEAR(L.weights.sparsity(), L.exempt ? 0.0 : 0.86, 0.02) << L.name;
        }
    const Graph g = make_zoo_model("resnet-mini", 5);
    const QuantModel dense = quantize(g, load_fashion_mnist("train", 32).images, QuantOptions{});
    QuantLayer L = dense.layers[1];  // b1_conv1, 16x16 kernels
    PatternParams p;
    p.library_size = 0;
    p.retention = 0.5;
    const PatternPruneReport low = pattern_prune_layer(L, p);
    L = dense.layers[1];
    p.retention = 0.95;
    const PatternPruneReport high = pattern_prune_layer(L, p);
    EXPECT_GE(low.retention, 0.5);
    EXPECT_GE(high.retention, 0.95);
    EXPECT_LT(low.library.size(), high.library.size());
}

TEST(ShelfPacking, HandCasesAndSplittingReachesTheLowerBound) {
    // 5,5,5 into shelves of 8: whole blocks need three shelves, splitting two.
    EXPECT_EQ(pack_shelves({5, 5, 5}, 8, PlacementMethod::FirstFit).shelves, 3);
    EXPECT_EQ(pack_shelves({5, 5, 5}, 8, PlacementMethod::BestFit).shelves, 3);
    EXPECT_EQ(pack_shelves({5, 5, 5}, 8, PlacementMethod::Split).shelves, 2);
    const ShelfPacking fs = pack_shelves({5, 5, 5}, 8, PlacementMethod::FirstFitSplit);
    EXPECT_EQ(fs.shelves, 2);
    EXPECT_EQ(fs.segments.size(), 4u);  // 5 -> s0, 5 -> s1, the last 5 split 3 + 2
    // When whole-block ffd already needs no more crossbars (groups of 4 shelves), keep it.
    const ShelfPacking whole = pack_shelves({5, 5, 5}, 8, PlacementMethod::FirstFitSplit, 4);
    EXPECT_EQ(whole.shelves, 3);
    EXPECT_EQ(whole.segments.size(), 3u);
    // FFD: 5 -> s0, 4 -> s1, 3 -> s0 (full), 3 -> s1, 1 -> s1 (full).
    const ShelfPacking f = pack_shelves({1, 3, 5, 4, 3}, 8, PlacementMethod::FirstFit);
    EXPECT_EQ(f.shelves, 2);
    // FFD vs BFD on 5, 4, 3, 2, 2 (capacity 8): FFD 5 -> s0, 4 -> s1, 3 -> s0 (8), 2 -> s1,
    // 2 -> s1 (8); BFD the same here; both need two shelves.
    EXPECT_EQ(pack_shelves({5, 4, 3, 2, 2}, 8, PlacementMethod::BestFit).shelves, 2);
    // A block wider than a shelf is cut into shelf-wide pieces.
    EXPECT_EQ(pack_shelves({20}, 8, PlacementMethod::FirstFit).shelves, 3);

    std::mt19937 rng(7);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<int64_t> widths(1 + rng() % 40);
        int64_t total = 0;
        for (auto& w : widths) total += (w = 1 + static_cast<int64_t>(rng() % 30));
        const int64_t cap = 8 + static_cast<int64_t>(rng() % 40);
        int64_t split_shelves = 0;
        for (PlacementMethod m : all_placements()) {
            const ShelfPacking pk = pack_shelves(widths, cap, m);
            std::vector<int64_t> placed(widths.size(), 0), used(static_cast<size_t>(pk.shelves));
            std::vector<std::vector<uint8_t>> covered(widths.size());
            for (size_t i = 0; i < widths.size(); ++i)
                covered[i].assign(static_cast<size_t>(widths[i]), 0);
            int64_t last_shelf = 0, next_pos = 0;
            for (const ShelfSegment& s : pk.segments) {
                if (s.shelf != last_shelf) next_pos = 0;
                last_shelf = s.shelf;
                EXPECT_EQ(s.pos, next_pos);  // segments are contiguous in their shelf
                next_pos += s.count;
                used[static_cast<size_t>(s.shelf)] += s.count;
                for (int64_t o = s.first; o < s.first + s.count; ++o) {
                    EXPECT_EQ(covered[s.item][static_cast<size_t>(o)], 0);
                    covered[s.item][static_cast<size_t>(o)] = 1;
                }
            }
            for (int64_t u : used) EXPECT_LE(u, cap);
            for (const auto& cv : covered)
                for (uint8_t b : cv) EXPECT_EQ(b, 1);
            EXPECT_GE(pk.shelves, (total + cap - 1) / cap);
            if (m == PlacementMethod::Split) split_shelves = pk.shelves;
            if (m == PlacementMethod::FirstFitSplit) {
                EXPECT_EQ(pk.shelves, (total + cap - 1) / cap);
            }
        }
        EXPECT_EQ(split_shelves, (total + cap - 1) / cap);
        EXPECT_LE(split_shelves, pack_shelves(widths, cap, PlacementMethod::FirstFit).shelves);
    }
}

TEST(PatternMap, HandComputedSmallLayer) {
    // One input channel, three outputs: outputs 0 and 2 use pattern A (positions 0,1,3,4),
    // output 1 pattern B (4,5,7,8). Blocks: (0,A) x {0,2}, (0,B) x {1}.
    QuantLayer L;
    L.name = "hand";
    L.kernel_h = L.kernel_w = 3;
    L.weights = WeightMatrix("hand", 9, 3, 8);
    const PatternMask A = 0b000011011, B = 0b110110000;
    for (int q = 0; q < 9; ++q)
        for (int n = 0; n < 3; ++n) {
            const bool in = ((n == 1 ? B : A) >> q) & 1;
            L.weights.keep[static_cast<size_t>(q * 3 + n)] = in;
            L.weights.at(q, n) = in ? (q + 1) * (n == 1 ? -7 : 5) : 0;
        }
    const HwConfig hw = pattern_hw();  // 512x512, OU 9x8, 4-bit cells, differential: 4 columns
    const Mapping m = map_pattern(L, hw, PatternParams{});
    ASSERT_EQ(verify(m, L.weights), "");
    ASSERT_EQ(m.tiles.size(), 1u);
    const Tile& t = m.tiles[0];
    // ffd_split placement, widest block first: (0,A) at slots 0-1, (0,B) at slot 2, one shelf.
    ASSERT_EQ(t.ops.size(), 2u);
    EXPECT_EQ(t.ops[0].rows, 4);
    EXPECT_EQ(t.ops[0].cols, 8);
    EXPECT_EQ(t.ops[1].c0, 8);
    EXPECT_EQ(t.ops[1].cols, 4);
    ASSERT_EQ(t.inputs.size(), 8u);
    EXPECT_EQ(t.inputs[0].k, 0);
    EXPECT_EQ(t.inputs[3].k, 4);
    EXPECT_EQ(t.inputs[4].k, 4);
    EXPECT_EQ(t.inputs[7].k, 8);
    EXPECT_EQ(t.outputs[0].n, 0);
    EXPECT_EQ(t.outputs[4].n, 2);
    EXPECT_EQ(t.outputs[8].n, 1);
    EXPECT_EQ(m.used_cells(), 4 * 12);
    EXPECT_EQ(m.figures.at("patterns"), 2);
    EXPECT_EQ(m.figures.at("pattern_blocks"), 2);
    EXPECT_EQ(m.figures.at("kernels_kept"), 3);
    EXPECT_EQ(m.index_bits.at("pattern_library"), 18);
    EXPECT_EQ(m.index_bits.at("pattern_input_index"), 2 * (0 + 1));  // 1 channel, 2 patterns
    EXPECT_EQ(m.index_bits.at("pattern_output_index"), 3 * 2);       // 3 outputs of N = 3
    EXPECT_TRUE(m.skip_zero_ou);
    EXPECT_EQ(m.units.at("pattern_ipu"), 1);
}

TEST(PatternMap, NonConvAndNon3x3LayersFallBackToDenseWithANote) {
    const QuantModel qm = prepared("lenet", nlohmann::json::object());
    const QuantModel plain = quantize(make_zoo_model("lenet", 5),
                                      load_fashion_mnist("train", 32).images, QuantOptions{});
    SchemeContext ctx;
    ctx.hw = pattern_hw();
    for (size_t l = 0; l < qm.layers.size(); ++l) {
        const QuantLayer& L = qm.layers[l];
        EXPECT_EQ(L.weights.w, plain.layers[l].weights.w);  // 5x5 and Gemm layers: not pruned
        const Mapping m = find_scheme("pattern").map(L, ctx);
        ASSERT_EQ(m.notes.size(), 1u);
        EXPECT_NE(m.notes[0].find("mapped densely"), std::string::npos) << m.notes[0];
        EXPECT_EQ(m.figures.at("dense_fallback_layers"), 1);
        // Its zero-input skipping covers the fallback layers too, as dense[skip_zero] does.
        EXPECT_TRUE(m.skip_zero_ou);
        SchemeContext no_skip = ctx;
        no_skip.params = {{"skip_zero", false}};
        EXPECT_FALSE(find_scheme("pattern").map(L, no_skip).skip_zero_ou);
    }
}

// A depthwise 3x3 layer of 130 channels keeps all 9 positions of its 130 kernels (one per
// channel, not 130 x 130): one pattern, 130 blocks. The dense comparison is the packed dense
// mapping on the same 512 x 512 array (128 outputs of 4 columns): min(512 / 9, 128) = 56
// channels a crossbar, 3 crossbars, where the whole 1170 x 130 matrix takes 3 x 2 = 6.
TEST(PatternMap, DepthwiseLayerCountsItsKernelsAndThePackedDenseCrossbars) {
    constexpr int64_t C = 130;
    QuantLayer L;
    L.name = "dw";
    L.kernel_h = L.kernel_w = 3;
    L.weights = WeightMatrix("dw", C * 9, C, 8);
    L.weights.groups = C;
    for (int64_t k = 0; k < C * 9; ++k)
        for (int64_t n = 0; n < C; ++n) {
            const bool in = L.weights.is_weight(k, n);
            L.weights.keep[static_cast<size_t>(k * C + n)] = in;
            L.weights.at(k, n) = in ? static_cast<int32_t>(1 + k % 7) : 0;
        }
    const HwConfig hw = pattern_hw();
    const Mapping m = map_pattern(L, hw, PatternParams{});
    ASSERT_EQ(verify(m, L.weights), "");
    EXPECT_EQ(m.figures.at("patterns"), 1);
    EXPECT_EQ(m.figures.at("kernels"), C);
    EXPECT_EQ(m.figures.at("kernels_kept"), C);
    EXPECT_EQ(m.figures.at("pattern_blocks"), C);
    EXPECT_EQ(m.figures.at("dense_crossbars"), 3);
    EXPECT_EQ(map_dense(L.weights, hw).tiles.size(), 3u);
}

TEST(PatternMap, OffsetEncodingIsRejected) {
    HwConfig hw = pattern_hw();
    hw.encoding = Encoding::Offset;
    const QuantModel qm = prepared("tiny-cnn", {{"exempt", "none"}});
    EXPECT_THROW(map_pattern(qm.layers[0], hw, PatternParams{}), Error);
}

// The two invariants on every layer of every zoo model, for every placement and for hardware
// that forces several crossbars per layer and another encoding.
class PatternExactness : public ::testing::TestWithParam<std::string> {};

TEST_P(PatternExactness, MappingReconstructsAndSimulatesBitExactly) {
    HwConfig small = pattern_hw();
    small.xbar_rows = 16;
    small.xbar_cols = 16;
    small.cell_bits = 1;
    small.encoding = Encoding::TwosComplement;
    small.ou_rows = 3;
    small.ou_cols = 4;
    small.adc_bits = 2;
    for (const HwConfig& hw : {pattern_hw(), small}) {
        const QuantModel qm = prepared(GetParam(), nlohmann::json::object(), hw);
        std::vector<LayerTrace> traces;
        run_int(qm, load_fashion_mnist("test", 2).images, &traces);
        for (PlacementMethod method : all_placements()) {
            SchemeContext ctx;
            ctx.hw = hw;
            ctx.params = {{"placement", placement_name(method)}};
            for (size_t l = 0; l < qm.layers.size(); ++l) {
                const QuantLayer& L = qm.layers[l];
                const Mapping m = find_scheme("pattern").map(L, ctx);
                ASSERT_EQ(verify(m, L.weights), "") << GetParam() << " " << L.name;
                SimOptions ideal;
                ideal.ideal_adc = true;
                const SimResult r = simulate(m, traces[l], hw, ideal);
                EXPECT_EQ(r.outputs_checked, traces[l].positions * traces[l].N);
                EXPECT_EQ(r.mismatches, 0)
                    << GetParam() << " " << L.name << " " << placement_name(method);
                // The first and last layers are exempt (mapped densely) by default.
                EXPECT_EQ(L.exempt, l == 0 || l + 1 == qm.layers.size()) << L.name;
                if (L.kernel_h == 3 && !L.exempt) {
                    EXPECT_EQ(m.figures.at("crossbars_" + std::string(placement_name(method))),
                              static_cast<double>(m.tiles.size()));
                    // Only kept weights' cells are computed: block cells = kept kernels x k x
                    // columns per weight.
                    const int64_t cpo = hw.encoding == Encoding::TwosComplement ? 8 : 4;
                    EXPECT_EQ(m.used_cells(),
                              static_cast<int64_t>(m.figures.at("kernels_kept")) * 4 * cpo);
                }
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, PatternExactness, ::testing::ValuesIn(zoo_names()));

TEST(PatternSim, ZeroSkippingOnlyRemovesWork) {
    const HwConfig hw = pattern_hw();
    const QuantModel qm = prepared("tiny-cnn", nlohmann::json::object());
    std::vector<LayerTrace> traces;
    run_int(qm, load_fashion_mnist("test", 2).images, &traces);
    const QuantLayer& L = qm.layers[1];  // conv2, after ReLU + pool: many zero inputs
    SchemeContext on, off;
    on.hw = off.hw = hw;
    off.params = {{"skip_zero", false}};
    const Mapping mon = find_scheme("pattern").map(L, on);
    const Mapping moff = find_scheme("pattern").map(L, off);
    SimOptions ideal;
    ideal.ideal_adc = true;
    const SimResult ron = simulate(mon, traces[1], hw, ideal);
    const SimResult roff = simulate(moff, traces[1], hw, ideal);
    EXPECT_EQ(ron.mismatches, 0);
    EXPECT_EQ(roff.mismatches, 0);
    EXPECT_GT(ron.stats.ou_ops_skipped, 0u);
    EXPECT_EQ(roff.stats.ou_ops_skipped, 0u);
    EXPECT_EQ(ron.stats.ou_ops + ron.stats.ou_ops_skipped, roff.stats.ou_ops);
    EXPECT_EQ(ron.stats.cell_reads, roff.stats.cell_reads);  // skipped ops drive no row
    EXPECT_LT(ron.stats.adc_conversions, roff.stats.adc_conversions);
    EXPECT_EQ(ron.stats.events.at("pattern_zero_check"), roff.stats.ou_ops);
    EXPECT_EQ(ron.stats.events.at("pattern_scatter"), ron.stats.adc_conversions);
}
