// SME's windowed power-of-two quantizer: the deck's worked example, the representable set, the
// nearest-value search against brute force and against the "leading one + round inside the
// window" rule, the per-layer re-quantization of a zoo model, and parameter errors.
#include <gtest/gtest.h>

#include <bit>
#include <bitset>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "quant/ptq.hpp"
#include "schemes/sme/sme_params.hpp"
#include "schemes/sme/sme_quant.hpp"

using namespace sparsecim;

// Deck 002, "Overview of SME algorithm" (b): S = 3 on the 8 fractional bits 2^-1 .. 2^-8.
TEST(SmeQuant, DeckWorkedExample) {
    struct Row {
        double w, expect;
        const char* bits;  // 2^-1 .. 2^-8
    };
    const Row rows[] = {{0.876, 0.875, "11100000"},
                        {0.618, 0.625, "10100000"},
                        {0.389, 0.375, "01100000"},
                        {0.020, 0.01953125, "00000101"}};
    for (const Row& r : rows) {
        const uint32_t m = sme_round(r.w * 256.0, 3, 8);
        EXPECT_EQ(static_cast<double>(m) / 256.0, r.expect) << r.w;
        EXPECT_EQ(std::bitset<8>(m).to_string(), r.bits) << r.w;
        EXPECT_TRUE(sme_representable(m, 3));
    }
}

TEST(SmeQuant, RepresentableMeansOnesWithinSConsecutiveBits) {
    EXPECT_TRUE(sme_representable(0, 1));
    EXPECT_TRUE(sme_representable(0b1000000, 1));
    EXPECT_FALSE(sme_representable(0b101, 2));
    EXPECT_TRUE(sme_representable(0b101, 3));
    EXPECT_TRUE(sme_representable(0b1110000, 3));
    EXPECT_FALSE(sme_representable(0b1111, 3));
    // Count of levels below 2^7: 0, then for each leading bit L, 2^min(L, S-1) values.
    for (int S = 1; S <= 8; ++S) {
        size_t want = 1;
        for (int L = 0; L < 7; ++L) want += size_t{1} << std::min(L, S - 1);
        EXPECT_EQ(sme_levels(S, 7).size(), want) << S;
    }
    EXPECT_EQ(sme_levels(7, 7).size(), 128u);  // S = magnitude bits: every int8 magnitude
}

TEST(SmeQuant, NearestAgreesWithBruteForceAndTiesGoUp) {
    for (int S = 1; S <= 5; ++S) {
        const std::vector<uint32_t> levels = sme_levels(S, 7);
        for (double v = 0.0; v <= 130.0; v += 0.125) {
            const uint32_t got = sme_nearest(v, levels);
            double best = 1e9;
            uint32_t want = 0;
            for (uint32_t l : levels) {
                const double d = std::fabs(v - static_cast<double>(l));
                if (d < best || (d == best && l > want)) {
                    best = d;
                    want = l;
                }
            }
            ASSERT_EQ(got, want) << "S=" << S << " v=" << v;
        }
    }
}

// schemes.md section 3: "find the leading one, keep the best S-bit window from there (round to
// nearest inside the window)" gives the same integers (clamped to the top level).
TEST(SmeQuant, IntegerRoundingEqualsLeadingOneWindowRule) {
    for (int S = 1; S <= 8; ++S) {
        const std::vector<uint32_t> levels = sme_levels(S, 7);
        for (uint32_t m = 0; m < 128; ++m) {
            uint32_t want = m;
            const int lead = static_cast<int>(std::bit_width(m)) - 1;
            if (lead >= S) {
                const uint32_t step = 1u << (lead - S + 1);
                want = (m + step / 2) / step * step;
            }
            if (want > levels.back()) want = levels.back();
            EXPECT_EQ(sme_nearest(m, levels), want) << "S=" << S << " m=" << m;
        }
    }
}

namespace {

const QuantModel& ptq_lenet() {
    static const QuantModel qm = quantize(make_zoo_model("lenet", 7),
                                          load_fashion_mnist("train", 16).images, QuantOptions{});
    return qm;
}

}  // namespace

TEST(SmeQuant, RequantizesEveryLayerToItsNearestWindowedValue) {
    const QuantModel& base = ptq_lenet();
    for (const char* source : {"float", "int8"}) {
        for (int S : {1, 3}) {
            SmeParams p;
            p.S = S;
            p.source = source;
            p.range = "int8";  // the int8 PTQ grid: scales unchanged
            const std::vector<uint32_t> levels = sme_levels(S, 7);
            int64_t changed = 0;
            for (const QuantLayer& L0 : base.layers) {
                QuantLayer L = L0;
                const FloatMatrix fm = float_weight_matrix(base.graph, base.graph.nodes[L.node]);
                sme_requantize_layer(L, fm, p);
                ASSERT_EQ(L.w_scale, L0.w_scale);
                for (int64_t k = 0; k < L.weights.K; ++k)
                    for (int64_t n = 0; n < L.weights.N; ++n) {
                        const int32_t q = L.weights.at(k, n);
                        const int32_t q0 = L0.weights.at(k, n);
                        ASSERT_TRUE(sme_representable(static_cast<uint32_t>(std::abs(q)), S));
                        const double target = std::string(source) == "float"
                                                  ? fm.w[static_cast<size_t>(k * fm.N + n)] /
                                                        L.w_scale[static_cast<size_t>(n)]
                                                  : q0;
                        // Sign kept, magnitude the nearest level to |target|.
                        if (q != 0) {
                            EXPECT_EQ(q < 0, target < 0);
                        }
                        EXPECT_EQ(static_cast<uint32_t>(std::abs(q)),
                                  sme_nearest(std::fabs(target), levels));
                        changed += q != q0;
                    }
            }
            EXPECT_GT(changed, 0) << source << " S=" << S;
        }
    }
}

TEST(SmeQuant, WindowAsWideAsTheMagnitudeKeepsInt8Weights) {
    const QuantModel& base = ptq_lenet();
    SmeParams p;
    p.S = 7;
    p.source = "int8";
    p.range = "int8";
    for (const QuantLayer& L0 : base.layers) {
        QuantLayer L = L0;
        sme_requantize_layer(L, float_weight_matrix(base.graph, base.graph.nodes[L.node]), p);
        EXPECT_EQ(L.weights.w, L0.weights.w);
    }
}

TEST(SmeQuant, SmallerWindowsGiveFewerOnesPerWeight) {
    const QuantModel& base = ptq_lenet();
    int64_t prev = INT64_MAX;
    for (int S = 5; S >= 1; --S) {
        SmeParams p;
        p.S = S;
        int64_t ones = 0;
        for (const QuantLayer& L0 : base.layers) {
            QuantLayer L = L0;
            sme_requantize_layer(L, float_weight_matrix(base.graph, base.graph.nodes[L.node]), p);
            for (int32_t v : L.weights.w) {
                EXPECT_LE(std::popcount(static_cast<uint32_t>(std::abs(v))), S);
                ones += std::popcount(static_cast<uint32_t>(std::abs(v)));
            }
        }
        EXPECT_LT(ones, prev) << S;
        prev = ones;
    }
}

TEST(SmeParams, DefaultsAndErrorsNameTheParameter) {
    const SmeParams d = parse_sme_params(nlohmann::json::object(), 8);
    EXPECT_EQ(d.S, 3);
    EXPECT_EQ(d.source, "float");
    EXPECT_TRUE(d.squeeze);
    EXPECT_EQ(d.signed_inputs, "group");
    EXPECT_EQ(d.shift_at, "input");
    EXPECT_EQ(d.scale, "channel");
    EXPECT_EQ(d.range, "window");
    EXPECT_EQ(parse_sme_params({{"S", 5}, {"squeeze", false}}, 8).S, 5);
    auto message = [](const nlohmann::json& j) {
        try {
            parse_sme_params(j, 8);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message({{"S", 0}}).rfind("sme.S: must be an integer in 1..8", 0), 0u);
    EXPECT_EQ(message({{"S", 9}}).rfind("sme.S:", 0), 0u);
    EXPECT_EQ(message({{"S", "three"}}).rfind("sme.S:", 0), 0u);
    EXPECT_EQ(message({{"S", 2.5}}).rfind("sme.S:", 0), 0u);
    EXPECT_EQ(message({{"source", "fp"}}).rfind("sme.source: must be one of", 0), 0u);
    EXPECT_EQ(message({{"squeeze", "yes"}}).rfind("sme.squeeze:", 0), 0u);
    EXPECT_EQ(message({{"shift_at", "middle"}}).rfind("sme.shift_at:", 0), 0u);
    EXPECT_EQ(message({{"signed_inputs", 1}}).rfind("sme.signed_inputs:", 0), 0u);
    EXPECT_EQ(message({{"scale", "tensor"}}).rfind("sme.scale:", 0), 0u);
    EXPECT_EQ(message({{"range", "full"}}).rfind("sme.range: must be one of", 0), 0u);
    EXPECT_EQ(message({{"window", 3}}).rfind("sme.window: unknown parameter", 0), 0u);
}

// By default (range=window) each column's largest |w| is the window's top level, 112 for S=3,
// instead of 127 clipped to it: the scale is max |w| / 112 and every weight is the nearest level.
TEST(SmeQuant, WindowRangePutsEachColumnsLargestWeightOnTheTopLevel) {
    const QuantModel& base = ptq_lenet();
    const SmeParams p;
    ASSERT_EQ(p.range, "window");
    const std::vector<uint32_t> levels = sme_levels(3, 7);
    ASSERT_EQ(levels.back(), 112u);
    for (const QuantLayer& L0 : base.layers) {
        QuantLayer L = L0;
        const FloatMatrix fm = float_weight_matrix(base.graph, base.graph.nodes[L.node]);
        sme_requantize_layer(L, fm, p);
        for (int64_t n = 0; n < fm.N; ++n) {
            float mx = 0.0f;
            int32_t top = 0;
            for (int64_t k = 0; k < fm.K; ++k) {
                mx = std::max(mx, std::fabs(fm.w[static_cast<size_t>(k * fm.N + n)]));
                top = std::max(top, std::abs(L.weights.at(k, n)));
            }
            if (mx == 0.0f) continue;
            const float s = L.w_scale[static_cast<size_t>(n)];
            EXPECT_FLOAT_EQ(s, mx / 112.0f) << L.name << " column " << n;
            EXPECT_EQ(top, 112) << L.name << " column " << n;
            for (int64_t k = 0; k < fm.K; ++k) {
                const double v = std::fabs(fm.w[static_cast<size_t>(k * fm.N + n)]) / s;
                EXPECT_EQ(static_cast<uint32_t>(std::abs(L.weights.at(k, n))),
                          sme_nearest(v, levels));
            }
        }
    }
}

// The window grid loses less of the weights than the int8 grid clipped to the window: the
// summed squared error of the dequantized weights is smaller in every layer.
TEST(SmeQuant, WindowRangeHasSmallerWeightErrorThanTheClippedInt8Grid) {
    const QuantModel& base = ptq_lenet();
    for (const QuantLayer& L0 : base.layers) {
        const FloatMatrix fm = float_weight_matrix(base.graph, base.graph.nodes[L0.node]);
        double err[2] = {0.0, 0.0};
        for (int r = 0; r < 2; ++r) {
            SmeParams p;
            p.range = r == 0 ? "window" : "int8";
            QuantLayer L = L0;
            sme_requantize_layer(L, fm, p);
            for (int64_t k = 0; k < fm.K; ++k)
                for (int64_t n = 0; n < fm.N; ++n) {
                    const double d = fm.w[static_cast<size_t>(k * fm.N + n)] -
                                     L.weights.at(k, n) * L.w_scale[static_cast<size_t>(n)];
                    err[r] += d * d;
                }
        }
        EXPECT_LT(err[0], err[1]) << L0.name;
    }
}

// scale=layer, range=int8: one scale per layer (its max |w| -> 127), the weights the nearest
// levels on it.
TEST(SmeQuant, LayerScaleUsesOneGridPerLayer) {
    const QuantModel& base = ptq_lenet();
    SmeParams p;
    p.scale = "layer";
    p.range = "int8";
    const std::vector<uint32_t> levels = sme_levels(3, 7);
    for (const QuantLayer& L0 : base.layers) {
        QuantLayer L = L0;
        const FloatMatrix fm = float_weight_matrix(base.graph, base.graph.nodes[L.node]);
        sme_requantize_layer(L, fm, p);
        float mx = 0.0f;
        for (float v : fm.w) mx = std::max(mx, std::fabs(v));
        for (float s : L.w_scale) EXPECT_FLOAT_EQ(s, mx / 127.0f);
        int32_t top = 0;
        for (size_t i = 0; i < fm.w.size(); ++i) {
            const double v = std::fabs(fm.w[i]) / static_cast<double>(L.w_scale[0]);
            EXPECT_EQ(static_cast<uint32_t>(std::abs(L.weights.w[i])), sme_nearest(v, levels));
            top = std::max(top, std::abs(L.weights.w[i]));
        }
        EXPECT_EQ(top, 112);  // 127 -> 0b1110000, the top level of a 3-bit window
    }
}

// Lossy squeeze-out: every crossbar group ends within its budget of non-empty (row, plane) pairs,
// only set bits are cleared (each weight keeps a subset of its bits), each column's largest
// weight is untouched, the cheapest pairs go first (a smaller budget never keeps more squared
// weight), and quantizing the result again changes nothing (finetuning's contract).
TEST(SmeQuant, BudgetDropsTheCheapestPairsUntilEveryGroupFits) {
    const QuantModel& base = ptq_lenet();
    const QuantLayer& L0 = base.layers[2];  // FC 400 x 120
    const FloatMatrix fm = float_weight_matrix(base.graph, base.graph.nodes[L0.node]);
    SmeParams lossless;
    lossless.group_rows = 64;
    lossless.group_outputs = 32;
    QuantLayer full = L0;
    sme_requantize_layer(full, fm, lossless);
    auto pairs_over_room = [](const WeightMatrix& w, const SmeParams& p) {
        int64_t worst = 0;
        for (int64_t k0 = 0; k0 < w.K; k0 += p.group_rows)
            for (int64_t n0 = 0; n0 < w.N; n0 += p.group_outputs) {
                int64_t pairs = 0;
                for (int64_t k = k0; k < std::min(w.K, k0 + p.group_rows); ++k) {
                    uint32_t any = 0;
                    for (int64_t n = n0; n < std::min(w.N, n0 + p.group_outputs); ++n)
                        any |= static_cast<uint32_t>(std::abs(w.at(k, n)));
                    pairs += std::popcount(any);
                }
                worst = std::max(worst, pairs - int64_t{p.budget} * p.group_rows);
            }
        return worst;
    };
    ASSERT_GT(pairs_over_room(full.weights,
                              [&] {
                                  SmeParams p = lossless;
                                  p.budget = 4;
                                  return p;
                              }()),
              0)
        << "the layer must need dropping at budget 4";
    double kept_before = 1e300;
    for (int budget : {6, 4, 2}) {
        SmeParams p = lossless;
        p.budget = budget;
        QuantLayer L = L0;
        sme_requantize_layer(L, fm, p);
        EXPECT_LE(pairs_over_room(L.weights, p), 0) << "budget " << budget;
        ASSERT_EQ(L.w_scale, full.w_scale);
        double kept = 0.0;
        for (int64_t n = 0; n < L.weights.N; ++n) {
            int32_t mx = 0, mx_full = 0;
            for (int64_t k = 0; k < L.weights.K; ++k) {
                const auto m = static_cast<uint32_t>(std::abs(L.weights.at(k, n)));
                const auto m0 = static_cast<uint32_t>(std::abs(full.weights.at(k, n)));
                ASSERT_EQ(m & ~m0, 0u) << "only set bits are cleared";
                if (m != 0) {
                    ASSERT_EQ(L.weights.at(k, n) < 0, full.weights.at(k, n) < 0);
                }
                mx = std::max(mx, static_cast<int32_t>(m));
                mx_full = std::max(mx_full, static_cast<int32_t>(m0));
                const double v = m * static_cast<double>(L.w_scale[static_cast<size_t>(n)]);
                kept += v * v;
            }
            EXPECT_EQ(mx, mx_full) << "column " << n;
        }
        EXPECT_LE(kept, kept_before) << "budget " << budget;
        kept_before = kept;
        // Again from the values it computes with: the same integers.
        FloatMatrix again = fm;
        for (int64_t k = 0; k < L.weights.K; ++k)
            for (int64_t n = 0; n < L.weights.N; ++n)
                again.w[static_cast<size_t>(k * again.N + n)] =
                    static_cast<float>(L.weights.at(k, n)) * L.w_scale[static_cast<size_t>(n)];
        QuantLayer L2 = L0;
        sme_requantize_layer(L2, again, p);
        EXPECT_EQ(L2.weights.w, L.weights.w) << "budget " << budget;
    }
}
