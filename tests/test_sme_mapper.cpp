// SME's mapper: a hand-computed squeeze-out, the two invariants on every zoo model (the mapping
// reconstructs the SME weights; an ideal-ADC simulation equals the integer reference of the
// SME-quantized model) for several parameter sets, signed inputs, and the bit-plane sparsity a
// bell-shaped (trained-like) weight distribution gives.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "core/error.hpp"
#include "infer/int_infer.hpp"
#include "map/dense_mapper.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "quant/ptq.hpp"
#include "schemes/scheme.hpp"
#include "schemes/sme/sme_mapper.hpp"
#include "schemes/sme/sme_quant.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

namespace {

HwConfig small_hw(int rows, int cols, int ou_rows, int ou_cols) {
    HwConfig hw;
    hw.cell_bits = 1;
    hw.xbar_rows = rows;
    hw.xbar_cols = cols;
    hw.ou_rows = ou_rows;
    hw.ou_cols = ou_cols;
    hw.adc_bits = 1;  // narrow on purpose: ideal-ADC runs must not depend on it
    return hw;
}

WeightMatrix matrix(int64_t K, int64_t N, std::vector<int32_t> v) {
    WeightMatrix w("hand", K, N, 8);
    w.w = std::move(v);
    return w;
}

LayerTrace trace_of(const WeightMatrix& w, const std::vector<std::vector<int32_t>>& xs,
                    bool in_signed) {
    LayerTrace tr;
    tr.layer = w.name;
    tr.K = w.K;
    tr.N = w.N;
    tr.in_signed = in_signed;
    tr.positions = static_cast<int64_t>(xs.size());
    for (const auto& x : xs) {
        tr.inputs.insert(tr.inputs.end(), x.begin(), x.end());
        for (int64_t n = 0; n < w.N; ++n) {
            int64_t acc = 0;
            for (int64_t k = 0; k < w.K; ++k)
                acc += int64_t{x[static_cast<size_t>(k)]} * w.at(k, n);
            tr.outputs.push_back(static_cast<int32_t>(acc));
        }
    }
    return tr;
}

// Every OU op's live rows share one input shift.
bool one_shift_per_op(const Mapping& m) {
    for (const Tile& t : m.tiles)
        for (const OuOp& op : t.ops) {
            std::set<int> shifts;
            for (int i = 0; i < op.rows; ++i) {
                const RowInput& ri = t.inputs[op.in_ofs + static_cast<size_t>(i)];
                if (ri.k >= 0) shifts.insert(ri.shift);
            }
            if (shifts.size() > 1) return false;
        }
    return true;
}

}  // namespace

// Planes: 0 {rows 0,3}, 1 {1,3}, 5 {3}, 6 {2,3}: 7 non-empty rows, 4-row crossbars -> keep planes
// 0 and 1 (2 crossbars instead of 4). Moved: plane 5 row 3 -> plane 1 (shift 4), plane 6 row 2 ->
// plane 1 (shift 5), plane 6 row 3 -> plane 0 (shift 6).
TEST(SmeMapper, HandComputedSqueezeOut) {
    const WeightMatrix w = matrix(4, 2, {1, 0, -2, 0, 0, 64, 3, -96});
    const HwConfig hw = small_hw(4, 4, 2, 2);
    const Mapping m = map_sme(w, hw, SmeParams{}, false);
    ASSERT_EQ(verify(m, w), "");
    ASSERT_EQ(m.tiles.size(), 2u);
    EXPECT_EQ(m.figures.at("sliced_crossbars"), 4);
    EXPECT_EQ(m.figures.at("squeezed_crossbars"), 2);
    EXPECT_EQ(m.figures.at("moved_rows"), 3);
    EXPECT_EQ(m.figures.at("moved_rows_shift_sum"), 15);
    const int nonempty[8] = {2, 2, 0, 0, 0, 1, 2, 0};
    for (int q = 0; q < 8; ++q) {
        EXPECT_EQ(m.figures.at("plane" + std::to_string(q) + "_nonempty_rows"), nonempty[q]) << q;
        EXPECT_EQ(m.figures.at("plane" + std::to_string(q) + "_rows"), 4) << q;
    }
    auto rows_of = [](const Tile& t) {
        std::vector<std::pair<int, int>> r;
        for (const RowInput& ri : t.inputs) r.emplace_back(ri.k, ri.shift);
        return r;
    };
    using V = std::vector<std::pair<int, int>>;
    EXPECT_EQ(rows_of(m.tiles[0]), (V{{0, 0}, {3, 0}, {3, 6}}));
    EXPECT_EQ(rows_of(m.tiles[1]), (V{{1, 0}, {3, 0}, {3, 4}, {2, 5}}));
    EXPECT_EQ(m.tiles[0].outputs[0].shift, 0);
    EXPECT_EQ(m.tiles[1].outputs[0].shift, 1);
    // Tile 1, row 3 holds bit 6 of w(2, 1) = 64 in output 1's W+ column.
    EXPECT_EQ(m.tiles[1].cell(3, 2), 1);
    EXPECT_EQ(m.tiles[1].cell(3, 3), 0);
    // Tile 0, row 2 holds bit 6 of w(3, 1) = -96 in output 1's W- column.
    EXPECT_EQ(m.tiles[0].cell(2, 3), 1);
    EXPECT_EQ(m.ou_slots(), 4 + 6);  // shift segments {2,1} and {2,1,1} rows x 2 column groups
    EXPECT_EQ(m.index_bits.at("row_index"), 7 * (2 + 3));  // 7 rows x (2-bit row + 3-bit shift)
    EXPECT_EQ(m.units.at("sme_input_shifter"), 3);
    ASSERT_EQ(m.events.size(), 1u);
    EXPECT_EQ(m.events[0].count, 3);

    // One position: y = x W; an op with input shift s runs a_bits + s bit-planes.
    const LayerTrace tr = trace_of(w, {{5, 7, 3, 200}}, false);
    EXPECT_EQ(tr.outputs, (std::vector<int32_t>{591, -19008}));
    SimOptions ideal;
    ideal.ideal_adc = true;
    const SimResult r = simulate(m, tr, hw, ideal);
    EXPECT_EQ(r.mismatches, 0);
    EXPECT_EQ(r.stats.ou_ops, 2u * 8 + 2u * 14 + 2u * 8 + 2u * 12 + 2u * 13);
    EXPECT_EQ(r.stats.events.at("sme_input_shifter"), 3u);

    // The shift at the output instead: no extra bit-planes, per-shift output tables.
    SmeParams out;
    out.shift_at = "output";
    const Mapping mo = map_sme(w, hw, out, false);
    ASSERT_EQ(verify(mo, w), "");
    for (const Tile& t : mo.tiles)
        for (const RowInput& ri : t.inputs) EXPECT_EQ(ri.shift, 0);
    const SimResult ro = simulate(mo, tr, hw, ideal);
    EXPECT_EQ(ro.mismatches, 0);
    EXPECT_EQ(ro.stats.ou_ops, 10u * 8);
    EXPECT_EQ(mo.units.at("sme_output_shifter"), 2 * hw.adc_per_xbar);
    // Conversions of shifted ops per position: tile 0: 2 ops (2 + 2 columns... 1 row each) etc.
    EXPECT_EQ(mo.events[0].count, (2 + 2) * 8 + (2 + 2 + 2 + 2) * 8);

    // Without squeeze-out: one crossbar per non-empty plane, rows in place, no index.
    SmeParams flat;
    flat.squeeze = false;
    const Mapping mf = map_sme(w, hw, flat, false);
    ASSERT_EQ(verify(mf, w), "");
    EXPECT_EQ(mf.tiles.size(), 4u);
    EXPECT_TRUE(mf.index_bits.empty());
    EXPECT_TRUE(mf.units.empty());
    EXPECT_EQ(simulate(mf, tr, hw, ideal).mismatches, 0);
}

TEST(SmeMapper, RejectsWeightsBeyondTheMagnitudePlanes) {
    WeightMatrix w = matrix(1, 1, {300});
    EXPECT_THROW(map_sme(w, small_hw(4, 4, 2, 2), SmeParams{}, false), Error);
}

// Signed inputs (e.g. a first layer fed with signed pixels): the simulator needs one input shift
// per OU op; the mapper groups moved rows by shift ("group") or leaves the layer unsqueezed
// ("skip"). Both are bit-exact.
TEST(SmeMapper, SignedInputsAreExactWithGroupedShiftsOrSkippedSqueeze) {
    std::mt19937_64 rng(11);
    std::normal_distribution<double> normal(0.0, 18.0);
    std::uniform_int_distribution<int32_t> x8(-128, 127);
    const std::vector<uint32_t> levels = sme_levels(3, 7);
    WeightMatrix w("signed", 300, 40, 8);
    for (int32_t& v : w.w) {
        const double f = normal(rng);
        const auto m = static_cast<int32_t>(sme_nearest(std::fabs(f), levels));
        v = f < 0 ? -m : m;
    }
    std::vector<std::vector<int32_t>> xs(5, std::vector<int32_t>(300));
    for (auto& x : xs)
        for (int32_t& v : x) v = x8(rng);
    const LayerTrace tr = trace_of(w, xs, true);
    const HwConfig hw = small_hw(128, 128, 16, 8);
    SimOptions ideal;
    ideal.ideal_adc = true;
    for (const char* mode : {"group", "skip"}) {
        SmeParams p;
        p.signed_inputs = mode;
        const Mapping m = map_sme(w, hw, p, true);
        ASSERT_EQ(verify(m, w), "") << mode;
        EXPECT_TRUE(one_shift_per_op(m)) << mode;
        EXPECT_EQ(simulate(m, tr, hw, ideal).mismatches, 0) << mode;
        if (std::string(mode) == "group") {
            EXPECT_GT(m.figures.at("moved_rows"), 0);
        } else {
            EXPECT_EQ(m.figures.at("moved_rows"), 0);
            ASSERT_FALSE(m.notes.empty());
        }
    }
}

// A heavy-tailed weight distribution (trained weights are close to Laplacian) on one scale for
// the whole layer leaves the top plane sparse, unlike the untrained zoo models' uniform weights.
TEST(SmeMapper, HeavyTailedWeightsGiveASparseTopPlane) {
    std::mt19937_64 rng(3);
    std::exponential_distribution<double> expo(1.0);
    std::bernoulli_distribution coin(0.5);
    const int64_t K = 1152, N = 128;  // a 3x3x128 -> 128 conv, as in ResNet-18's layer 2
    std::vector<double> f(static_cast<size_t>(K * N));
    double mx = 0;
    for (double& v : f) {
        v = coin(rng) ? expo(rng) : -expo(rng);
        mx = std::max(mx, std::fabs(v));
    }
    const std::vector<uint32_t> levels = sme_levels(3, 7);
    WeightMatrix w("laplace", K, N, 8);
    for (size_t i = 0; i < f.size(); ++i) {
        const auto m = static_cast<int32_t>(sme_nearest(std::fabs(f[i]) / mx * 127.0, levels));
        w.w[i] = f[i] < 0 ? -m : m;
    }
    const HwConfig hw = small_hw(128, 128, 16, 8);
    const Mapping m = map_sme(w, hw, SmeParams{}, false);
    ASSERT_EQ(verify(m, w), "");
    std::vector<double> frac;
    for (int q = 0; q < 7; ++q)
        frac.push_back(m.figures.at("plane" + std::to_string(q) + "_nonempty_rows") /
                       m.figures.at("plane" + std::to_string(q) + "_rows"));
    EXPECT_LT(frac[6], 0.5);
    EXPECT_LT(frac[6], frac[3]);
    std::printf("laplace 1152x128 S=3, non-empty rows per plane 0..6 (%%):");
    for (double x : frac) std::printf(" %.1f", 100 * x);
    std::printf("; crossbars %g sliced -> %g squeezed (dense 1-bit differential: %zu)\n",
                m.figures.at("sliced_crossbars"), m.figures.at("squeezed_crossbars"),
                map_dense(w, hw).tiles.size());
}

namespace {

struct ZooCase {
    std::string model;
    nlohmann::json params;
    bool small_xbar = false;
};

std::string case_name(const ::testing::TestParamInfo<ZooCase>& info) {
    std::string s =
        info.param.model + "_" + info.param.params.dump() + (info.param.small_xbar ? "_small" : "");
    std::string out;
    for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
}

std::vector<ZooCase> zoo_cases() {
    std::vector<ZooCase> cases;
    for (const std::string& model : zoo_names()) {
        cases.push_back({model, nlohmann::json::object(), false});
        cases.push_back({model, {{"squeeze", false}}, false});
        cases.push_back({model, {{"shift_at", "output"}, {"S", 2}}, true});
        cases.push_back({model, {{"S", 1}, {"source", "int8"}}, true});
        cases.push_back({model, {{"S", 5}, {"scale", "layer"}}, true});
        cases.push_back({model, {{"budget", 2}, {"group_rows", 32}, {"group_outputs", 16}}, true});
    }
    return cases;
}

}  // namespace

class SmeZoo : public ::testing::TestWithParam<ZooCase> {};

// The two invariants of every scheme, on every layer of every zoo model.
TEST_P(SmeZoo, MappingReconstructsAndIdealAdcEqualsIntegerReference) {
    const ZooCase& c = GetParam();
    const Scheme& sme = find_scheme("sme");
    SchemeContext ctx;
    ctx.hw = load_hw_config(hw_preset_path("sme"));
    if (c.small_xbar) {
        ctx.hw.xbar_rows = ctx.hw.xbar_cols = 32;
        ctx.hw.ou_rows = 8;
        ctx.hw.ou_cols = 4;
    }
    ctx.params = c.params;
    const Graph g = make_zoo_model(c.model, 5);
    const QuantModel qm = sme.prepare(g, load_fashion_mnist("train", 16).images, ctx);
    std::vector<LayerTrace> traces;
    run_int(qm, load_fashion_mnist("test", 2).images, &traces);
    const SmeParams p = parse_sme_params(c.params, 8);
    const std::vector<uint32_t> levels = sme_levels(p.S, 7);
    SimOptions ideal;
    ideal.ideal_adc = true;
    for (size_t l = 0; l < qm.layers.size(); ++l) {
        const QuantLayer& L = qm.layers[l];
        for (int32_t v : L.weights.w)
            ASSERT_TRUE(sme_representable(static_cast<uint32_t>(std::abs(v)), p.S));
        const Mapping m = sme.map(L, ctx);
        ASSERT_EQ(verify(m, L.weights), "") << L.name;
        EXPECT_TRUE(one_shift_per_op(m)) << L.name;
        EXPECT_LE(m.figures.at("squeezed_crossbars"), m.figures.at("sliced_crossbars"));
        EXPECT_EQ(m.figures.at("squeezed_crossbars"), static_cast<double>(m.tiles.size()));
        for (const Tile& t : m.tiles) EXPECT_LE(t.inputs.size(), static_cast<size_t>(t.rows));
        if (p.budget > 0) {  // lossy squeeze-out: at most `budget` crossbars per group
            const int64_t groups =
                (L.weights.K + ctx.hw.xbar_rows - 1) / ctx.hw.xbar_rows *
                ((L.weights.N + ctx.hw.xbar_cols / 2 - 1) / (ctx.hw.xbar_cols / 2));
            EXPECT_LE(static_cast<int64_t>(m.tiles.size()), p.budget * groups) << L.name;
            EXPECT_TRUE(m.notes.empty()) << L.name;
        }
        const SimResult r = simulate(m, traces[l], ctx.hw, ideal);
        EXPECT_EQ(r.outputs_checked, traces[l].positions * traces[l].N);
        EXPECT_EQ(r.mismatches, 0) << c.model << " " << L.name;
    }
}

INSTANTIATE_TEST_SUITE_P(Zoo, SmeZoo, ::testing::ValuesIn(zoo_cases()), case_name);
