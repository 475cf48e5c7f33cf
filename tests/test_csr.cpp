// Scheme csr end to end: parameters, row-block pruning, and the two invariants on every layer of
// every zoo model on the csr preset (the mapping reconstructs the pruned weights; the ideal-ADC
// simulation with zero skipping on equals the integer reference), plus compression properties.
#include <gtest/gtest.h>

#include <set>

#include <algorithm>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "schemes/csr/csr_mapper.hpp"
#include "schemes/csr/csr_params.hpp"
#include "schemes/csr/csr_prune.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

namespace {

std::string error_of(const nlohmann::json& params) {
    try {
        parse_csr_params(params, 1);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

SchemeContext csr_context(nlohmann::json params = nlohmann::json::object()) {
    SchemeContext ctx;
    ctx.hw = load_hw_config(hw_preset_path("csr"));
    ctx.params = std::move(params);
    ctx.seed = 7;
    return ctx;
}

struct Prepared {
    QuantModel qm;
    std::vector<LayerTrace> traces;
};

Prepared prepare_zoo(const std::string& model, const SchemeContext& ctx, int images = 2) {
    const Graph g = make_zoo_model(model, 5);
    Prepared p{find_scheme("csr").prepare(g, load_fashion_mnist("train", 32).images, ctx), {}};
    run_int(p.qm, load_fashion_mnist("test", images).images, &p.traces);
    return p;
}

QuantModel one_layer_model(int64_t K, int64_t N, const std::vector<int32_t>& w) {
    QuantModel qm;
    QuantLayer L;
    L.name = "fc";
    L.weights = WeightMatrix("fc", K, N, 8);
    L.weights.w = w;
    L.w_scale.assign(static_cast<size_t>(N), 1.0f);
    qm.layers.push_back(L);
    return qm;
}

}  // namespace

TEST(CsrParams, DefaultsAndErrorsNameTheParameter) {
    const CsrParams p = parse_csr_params(nlohmann::json::object(), 9);
    EXPECT_EQ(p.beta, 4);
    EXPECT_EQ(p.alpha, 8);
    EXPECT_DOUBLE_EQ(p.sparsity, 0.5);
    EXPECT_EQ(p.scope, "layer");
    EXPECT_EQ(p.ga_seed, 9u);
    EXPECT_EQ(error_of({{"beta", 0}}), "csr.beta: must be a positive integer");
    EXPECT_EQ(error_of({{"beta", "four"}}), "csr.beta: must be a positive integer");
    EXPECT_EQ(error_of({{"sparsity", 1.5}}), "csr.sparsity: must be a number in [0, 1]");
    EXPECT_EQ(error_of({{"scope", "net"}}), "csr.scope: must be one of layer, global");
    EXPECT_NE(error_of({{"gamma", 1}}).find("csr.gamma: unknown parameter"), std::string::npos);
    EXPECT_EQ(parse_csr_params({{"ga_seed", 3}}, 9).ga_seed, 3u);
}

TEST(CsrPrune, ZeroesTheSmallestL2BlocksOfARow) {
    // 2 x 4, beta 2: block norms^2 row 0: {1+1, 100+100}, row 1: {9+16, 4+0}.
    QuantModel qm = one_layer_model(2, 4, {1, -1, 10, 10, 3, 4, 2, 0});
    const BlockPruneResult r = prune_row_blocks(qm, 2, 0.5, false);
    const WeightMatrix& w = qm.layers[0].weights;
    // 1 zero present, target 4: the block {2,0} (norm^2 4) then {1,-1} (norm^2 2)... in order
    // of norm: {1,-1}=2, {2,0}=4 -> 1 + 2 + 1 zeros = 4.
    EXPECT_EQ(w.w, (std::vector<int32_t>{0, 0, 10, 10, 3, 4, 0, 0}));
    EXPECT_EQ(w.keep, (std::vector<uint8_t>{0, 0, 1, 1, 1, 1, 0, 0}));
    EXPECT_EQ(r.blocks_pruned, 2);
    EXPECT_EQ(r.weights_zeroed, 3);
}

// A depthwise layer of 4 channels with 2 rows each (K = 8, N = 4) has 8 weights, 1..8; its 24
// structural zeros are none. At 0.5 with beta 1, per layer or global, the 4 smallest go.
TEST(CsrPrune, DepthwiseLayerReachesTheTargetAmongItsWeights) {
    for (bool global : {false, true}) {
        QuantModel qm = one_layer_model(8, 4, std::vector<int32_t>(32, 0));
        WeightMatrix& w = qm.layers[0].weights;
        w.groups = 4;
        for (int64_t k = 0; k < 8; ++k)
            for (int64_t n = 0; n < 4; ++n) {
                w.at(k, n) = w.is_weight(k, n) ? static_cast<int32_t>(k + 1) : 0;
                w.keep[static_cast<size_t>(k * 4 + n)] = w.is_weight(k, n);
            }
        const BlockPruneResult r = prune_row_blocks(qm, 1, 0.5, global);
        EXPECT_EQ(r.weights_zeroed, 4) << global;
        for (int64_t k = 0; k < 8; ++k)
            EXPECT_EQ(w.at(k, k / 2), k < 4 ? 0 : k + 1) << global << " row " << k;
        EXPECT_DOUBLE_EQ(w.sparsity(), 0.5) << global;
    }
}

TEST(CsrPrune, ScaleEntersTheNormAndGlobalScopeRanksAcrossLayers) {
    QuantModel qm = one_layer_model(1, 4, {5, 5, 5, 5});
    qm.layers[0].w_scale = {1.0f, 1.0f, 0.1f, 0.1f};
    prune_row_blocks(qm, 2, 0.5, false);
    EXPECT_EQ(qm.layers[0].weights.w, (std::vector<int32_t>{5, 5, 0, 0}));

    QuantModel two = one_layer_model(1, 4, {1, 1, 1, 1});
    two.layers.push_back(one_layer_model(1, 4, {9, 9, 9, 9}).layers[0]);
    QuantModel per_layer = two;
    prune_row_blocks(two, 2, 0.5, true);
    EXPECT_EQ(two.layers[0].weights.nonzeros(), 0);  // the small layer goes first
    EXPECT_EQ(two.layers[1].weights.nonzeros(), 4);
    prune_row_blocks(per_layer, 2, 0.5, false);
    EXPECT_EQ(per_layer.layers[0].weights.nonzeros(), 2);
    EXPECT_EQ(per_layer.layers[1].weights.nonzeros(), 2);
}

TEST(CsrPrune, ZooLayersMeetTheTargetWithWholeBlocks) {
    const SchemeContext ctx = csr_context({{"sparsity", 0.7}});
    const Prepared p = prepare_zoo("resnet-mini", ctx, 1);
    for (size_t l = 0; l < p.qm.layers.size(); ++l) {
        const QuantLayer& L = p.qm.layers[l];
        const WeightMatrix& w = L.weights;
        const int64_t total = w.K * w.N;
        const int64_t zeros = total - w.nonzeros();
        // The first and last layers are exempt by default: not pruned (keep flags all set).
        EXPECT_EQ(L.exempt, l == 0 || l + 1 == p.qm.layers.size()) << L.name;
        if (L.exempt) {
            EXPECT_EQ(std::count(w.keep.begin(), w.keep.end(), 0), 0) << L.name;
            continue;
        }
        // At the target, overshooting by less than one block of beta = 4 weights.
        const auto target =
            static_cast<int64_t>(std::ceil(0.7 * static_cast<double>(total) - 1e-9));
        EXPECT_GE(zeros, target) << L.name;
        EXPECT_LT(zeros, target + 4) << L.name;
        for (int64_t k = 0; k < w.K; ++k)
            for (int64_t j = 0; j * 4 < w.N; ++j) {
                int kept = 0, cleared = 0;
                for (int64_t n = j * 4; n < std::min<int64_t>(w.N, j * 4 + 4); ++n) {
                    const uint8_t keep = w.keep[static_cast<size_t>(k * w.N + n)];
                    kept += keep;
                    cleared += !keep;
                    if (!keep) {
                        EXPECT_EQ(w.at(k, n), 0);
                    }
                }
                EXPECT_TRUE(kept == 0 || cleared == 0) << L.name << " row " << k;
            }
    }
}

class CsrZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(CsrZoo, ReconstructsPrunedWeightsAndSimulatesExactlyWithSkipping) {
    const SchemeContext ctx = csr_context();
    const Prepared p = prepare_zoo(GetParam(), ctx);
    uint64_t skipped = 0;
    for (size_t l = 0; l < p.qm.layers.size(); ++l) {
        const QuantLayer& L = p.qm.layers[l];
        const Mapping m = find_scheme("csr").map(L, ctx);
        ASSERT_EQ(verify(m, L.weights), "") << GetParam();
        EXPECT_TRUE(m.skip_zero_ou);
        EXPECT_FALSE(m.pipeline.empty());
        EXPECT_EQ(m.figures.at("stored_cells"), static_cast<double>(m.stored_cells()));
        EXPECT_LE(m.figures.at("zero_weights_removed"), m.figures.at("zero_weights"));
        for (const char* f : {"noshuffle_zero_weights_removed", "kmeans_zero_weights_removed_ou",
                              "kmeans_zero_weights_removed_xbar"}) {
            EXPECT_GE(m.figures.at(f), 0.0) << L.name << " " << f;
            EXPECT_LE(m.figures.at(f), m.figures.at("zero_weights")) << L.name << " " << f;
        }
        EXPECT_LE(m.figures.at("ou_rows_searched"), m.figures.at("ou_rows_noshuffle"));
        EXPECT_LE(m.stored_cells(), static_cast<int64_t>(m.figures.at("dense_cells")));
        for (const Tile& t : m.tiles) EXPECT_LE(t.rows, ctx.hw.xbar_rows);
        SimOptions ideal;
        ideal.ideal_adc = true;
        const SimResult r = simulate(m, p.traces[l], ctx.hw, ideal);
        EXPECT_EQ(r.outputs_checked, p.traces[l].positions * p.traces[l].N);
        EXPECT_EQ(r.mismatches, 0) << GetParam() << " layer " << L.name;
        EXPECT_GT(r.stats.cycles, 0u);
        skipped += r.stats.ou_ops_skipped;
    }
    EXPECT_GT(skipped, 0u) << "ReLU activations must give all-zero OU bit-planes";
}

INSTANTIATE_TEST_SUITE_P(Zoo, CsrZoo, ::testing::ValuesIn(zoo_names()));

// A skipped OU op never covers a non-zero product: with skipping on, outputs, driven rows and
// cell reads equal those without skipping, and issued + skipped = the ops issued without it.
TEST(CsrSkip, SkippedOpsCoverOnlyZeroProducts) {
    const SchemeContext on = csr_context();
    const SchemeContext off = csr_context({{"skip_zero", false}});
    const Prepared p = prepare_zoo("lenet", on);
    for (size_t l = 0; l < p.qm.layers.size(); ++l) {
        const Mapping ms = find_scheme("csr").map(p.qm.layers[l], on);
        const Mapping mn = find_scheme("csr").map(p.qm.layers[l], off);
        SimOptions so;
        so.keep_outputs = true;
        so.ideal_adc = true;
        const SimResult a = simulate(ms, p.traces[l], on.hw, so);
        const SimResult b = simulate(mn, p.traces[l], on.hw, so);
        EXPECT_EQ(a.outputs, b.outputs);
        EXPECT_EQ(b.stats.ou_ops_skipped, 0u);
        EXPECT_EQ(a.stats.ou_ops + a.stats.ou_ops_skipped, b.stats.ou_ops);
        EXPECT_EQ(a.stats.driver_activations, b.stats.driver_activations);
        EXPECT_EQ(a.stats.cell_reads_by_state, b.stats.cell_reads_by_state);
        EXPECT_LE(a.stats.cycles, b.stats.cycles);
    }
}

// csr.stack=0: every compressed row band keeps a crossbar of its own (dense's placement), so no
// crossbar mixes bands, the mapping stays exact, and no position waits longer than stacked.
TEST(CsrMapping, UnstackedBandsKeepTheirOwnCrossbarsAndRunNoSlower) {
    const SchemeContext stacked = csr_context({{"sparsity", 0.8}});
    const SchemeContext own = csr_context({{"sparsity", 0.8}, {"stack", false}});
    const Prepared p = prepare_zoo("vgg-small", stacked);
    size_t tiles_stacked = 0, tiles_own = 0;
    for (size_t l = 0; l < p.qm.layers.size(); ++l) {
        const QuantLayer& L = p.qm.layers[l];
        const Mapping ms = find_scheme("csr").map(L, stacked);
        const Mapping mo = find_scheme("csr").map(L, own);
        ASSERT_EQ(verify(mo, L.weights), "") << L.name;
        tiles_stacked += ms.tiles.size();
        tiles_own += mo.tiles.size();
        for (const Tile& t : mo.tiles) {
            std::set<int64_t> bands;
            for (const RowInput& ri : t.inputs) bands.insert(ri.k / own.hw.xbar_rows);
            EXPECT_LE(bands.size(), 1u) << L.name;
        }
        SimOptions ideal;
        ideal.ideal_adc = true;
        const SimResult a = simulate(ms, p.traces[l], stacked.hw, ideal);
        const SimResult b = simulate(mo, p.traces[l], own.hw, ideal);
        EXPECT_EQ(b.mismatches, 0) << L.name;
        EXPECT_EQ(a.stats.ou_ops, b.stats.ou_ops) << L.name;
        EXPECT_LE(b.stats.cycles, a.stats.cycles) << L.name;
    }
    EXPECT_GT(tiles_own, tiles_stacked) << "vgg-small's K = 576 layers have bands to stack";
}

TEST(CsrMapping, CompressesMoreAtHigherSparsityAndIsDeterministic) {
    const SchemeContext lo = csr_context({{"sparsity", 0.3}});
    const SchemeContext hi = csr_context({{"sparsity", 0.8}});
    const Graph g = make_zoo_model("lenet", 5);
    const Tensor calib = load_fashion_mnist("train", 32).images;
    const QuantModel qlo = find_scheme("csr").prepare(g, calib, lo);
    const QuantModel qhi = find_scheme("csr").prepare(g, calib, hi);
    int64_t stored_lo = 0, stored_hi = 0;
    for (size_t l = 0; l < qlo.layers.size(); ++l) {
        stored_lo += find_scheme("csr").map(qlo.layers[l], lo).stored_cells();
        const Mapping a = find_scheme("csr").map(qhi.layers[l], hi);
        const Mapping b = find_scheme("csr").map(qhi.layers[l], hi);
        stored_hi += a.stored_cells();
        ASSERT_EQ(a.tiles.size(), b.tiles.size());
        for (size_t t = 0; t < a.tiles.size(); ++t) {
            EXPECT_EQ(a.tiles[t].cells, b.tiles[t].cells);
            EXPECT_EQ(a.tiles[t].ops.size(), b.tiles[t].ops.size());
        }
        EXPECT_EQ(a.figures, b.figures);
    }
    EXPECT_LT(stored_hi, stored_lo);
}

// 128 x 16, beta 4, alpha 2 (two OU groups of two blocks per window): blocks 0 and 1 are non-zero
// on rows 0..39, blocks 2 and 3 on rows 0..1. The best grouping stores heights 40 and 2; the
// balance constraint raises the short group to 40 - (16 - 1) = 25 rows.
TEST(CsrMapping, BalanceRaisesShortGroupsToWithinOneOu) {
    WeightMatrix w("fc", 128, 16, 8);
    std::fill(w.w.begin(), w.w.end(), 0);
    for (int64_t k = 0; k < 40; ++k)
        for (int64_t n = 0; n < 8; ++n) w.at(k, n) = static_cast<int32_t>(1 + (k + n) % 5);
    for (int64_t k = 0; k < 2; ++k)
        for (int64_t n = 8; n < 16; ++n) w.at(k, n) = -3;
    const HwConfig hw = load_hw_config(hw_preset_path("csr"));
    for (const std::string balance : {"layer", "none"}) {
        CsrParams p = parse_csr_params({{"alpha", 2}, {"balance", balance}, {"search", "none"}}, 1);
        const Mapping m = map_csr(w, hw, p);
        ASSERT_EQ(verify(m, w), "");
        ASSERT_EQ(m.tiles.size(), 1u);  // 8 slice planes x 16 columns = one crossbar
        std::map<int, int> rows_of_group;
        for (const OuOp& op : m.tiles[0].ops) rows_of_group[op.c0] += op.rows;
        ASSERT_EQ(rows_of_group.size(), 16u);
        for (const auto& [c0, rows] : rows_of_group)
            EXPECT_EQ(rows, (c0 / 8) % 2 == 0 ? 40 : (balance == "layer" ? 25 : 2)) << c0;
        EXPECT_EQ(m.figures.at("balance_padding_rows"), balance == "layer" ? 23.0 : 0.0);
        EXPECT_EQ(m.figures.at("ou_rows_stored"), balance == "layer" ? 65.0 : 42.0);
        EXPECT_EQ(m.index_bits.at("row_index"), (balance == "layer" ? 65 : 42) * 7);
        EXPECT_EQ(m.index_bits.at("benes_config"), benes_switches(4));
        // Zero weights: 128*16 - 40*8 - 2*8 = 1712; stored slots 40*8 + (25 or 2)*8.
        EXPECT_EQ(m.figures.at("zero_weights"), 1712.0);
        EXPECT_EQ(m.figures.at("zero_weights_removed"),
                  2048.0 - 320.0 - (balance == "layer" ? 200.0 : 16.0));
        EXPECT_EQ(m.figures.at("noshuffle_zero_weights_removed"),
                  m.figures.at("zero_weights_removed"));  // search=none: the same mapping
    }
    HwConfig offset = hw;
    offset.encoding = Encoding::Offset;
    EXPECT_THROW(map_csr(w, offset, CsrParams{}), Error);
}

// A depthwise layer (16 channels, 9 x 1 blocks, every weight non-zero but one) has 144 weights,
// not 144 x 16: its figures count weight positions (zero weights 1, of which at most 1 removed),
// dense cells are what the dense mapper stores (144 x 8 columns), and the dense OU slots are its
// packed layout's (one 9 x 8 op per channel). csr itself stores the structural zeros that share
// an OU-row with a weight, and maps the layer exactly.
TEST(CsrMapping, DepthwiseFiguresCountWeightPositions) {
    constexpr int64_t C = 16;
    WeightMatrix w("dw", C * 9, C, 8);
    w.groups = C;
    for (int64_t k = 0; k < C * 9; ++k)
        for (int64_t n = 0; n < C; ++n) {
            w.at(k, n) = w.is_weight(k, n) && !(k == 0 && n == 0) ? 1 + (k % 3) : 0;
            w.keep[static_cast<size_t>(k * C + n)] = w.at(k, n) != 0;
        }
    const HwConfig hw = load_hw_config(hw_preset_path("csr"));  // 8 columns a weight
    for (const std::string search : {"none", "ga"}) {
        const Mapping m = map_csr(w, hw, parse_csr_params({{"search", search}}, 1));
        ASSERT_EQ(verify(m, w), "") << search;
        EXPECT_EQ(m.figures.at("weights"), 144.0);
        EXPECT_EQ(m.figures.at("zero_weights"), 1.0);
        EXPECT_EQ(m.figures.at("dense_cells"), 144.0 * 8);
        EXPECT_EQ(m.figures.at("dense_ou_slots"), 16.0);
        for (const char* removed :
             {"zero_weights_removed", "noshuffle_zero_weights_removed",
              "kmeans_zero_weights_removed_ou", "kmeans_zero_weights_removed_xbar"}) {
            EXPECT_GE(m.figures.at(removed), 0.0) << removed;
            EXPECT_LE(m.figures.at(removed), 1.0) << removed;
        }
        EXPECT_GE(m.figures.at("stored_cells"), 143.0 * 8);
    }
}

TEST(CsrMapping, BenesSwitchCounts) {
    EXPECT_EQ(benes_switches(16), 56);  // 16 * 4 - 8
    EXPECT_EQ(benes_switches(8), 20);
    EXPECT_EQ(benes_switches(2), 1);
    EXPECT_EQ(benes_switches(1), 0);
    EXPECT_EQ(benes_switches(12), 56);  // rounded up to 16 inputs
    EXPECT_EQ(benes_stages(16), 7);
}

// The command the brief names: dense and csr on the csr preset, --check-exact exits 0, and the
// csr figures reach results.json; a bad parameter is a one-line error and a non-zero exit.
TEST(CsrCli, EvaluateDenseAndCsrIsExact) {
    const std::filesystem::path out =
        std::filesystem::temp_directory_path() / ("csr-cli-" + std::to_string(::getpid()));
    const std::string bin = SPARSECIM_BINARY;
    const std::string hw = hw_preset_path("csr").string();
    const std::string cmd = bin + " evaluate --schemes dense,csr --hw " + hw +
                            " --check-exact --accuracy-images 0 --adc-accuracy-images 0 --out " +
                            out.string() + " > /dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream in(out / "results.json");
    const nlohmann::json r = nlohmann::json::parse(in);
    const nlohmann::json& csr = r.at("schemes").at(1);
    EXPECT_EQ(csr.at("name"), "csr");
    EXPECT_EQ(csr.at("ideal_mismatches"), 0);
    EXPECT_GT(csr.at("ou_ops_skipped").get<int64_t>(), 0);
    EXPECT_LT(csr.at("cycles").get<int64_t>(), r.at("schemes").at(0).at("cycles").get<int64_t>());
    EXPECT_GT(csr.at("scheme_figures").at("zero_weights_removed").get<double>(), 0.0);
    for (const char* f : {"noshuffle_zero_weights_removed", "kmeans_zero_weights_removed_ou",
                          "kmeans_zero_weights_removed_xbar"})
        EXPECT_TRUE(csr.at("scheme_figures").contains(f)) << f;
    const std::string bad = bin + " evaluate --schemes csr --hw " + hw +
                            " --param csr.beta=0 --out " + out.string() + " > " +
                            (out / "err.txt").string() + " 2>&1";
    EXPECT_NE(std::system(bad.c_str()), 0);
    std::ifstream err(out / "err.txt");
    const std::string msg((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    EXPECT_NE(msg.find("--param csr.beta: must be a positive integer"), std::string::npos) << msg;
    std::filesystem::remove_all(out);
}
