// The csr window search: hand-computed greedy compression costs, the GA against the exhaustive
// optimum on real pruned zoo windows (the gap is printed), and the GA's speed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "schemes/csr/csr_params.hpp"
#include "schemes/csr/csr_prune.hpp"
#include "schemes/csr/csr_search.hpp"
#include "schemes/scheme.hpp"

using namespace sparsecim;

namespace {

// A window of 1-word masks.
WindowProblem window(std::vector<uint64_t> masks, int beta, int ou_cols, int ou_rows,
                     bool balance) {
    WindowProblem p;
    p.blocks = static_cast<int>(masks.size());
    p.beta = beta;
    p.ou_cols = ou_cols;
    p.ou_rows = ou_rows;
    p.words = 1;
    p.balance = balance;
    p.masks = std::move(masks);
    return p;
}

}  // namespace

TEST(CsrSearch, HandComputedCostsAndOptimum) {
    // Blocks A, B, C, D (beta 4, P_BL 8: two blocks per OU): A = C = rows {0,1}, B = D = {2,3}.
    const WindowProblem p = window({0b0011, 0b1100, 0b0011, 0b1100}, 4, 8, 16, true);
    EXPECT_EQ(p.groups(), 2);
    EXPECT_EQ(window_cost(p, {0, 1, 2, 3}), (WindowCost{8, 2}));  // (A,B) (C,D): 4 + 4 rows
    EXPECT_EQ(window_cost(p, {0, 2, 1, 3}), (WindowCost{4, 2}));  // (A,C) (B,D): 2 + 2 rows
    const SearchResult ex = exhaustive_search(p);
    EXPECT_EQ(ex.cost, (WindowCost{4, 2}));
    EXPECT_EQ(ex.evaluations, 24);
    GaOptions ga;
    ga.seed = 3;
    EXPECT_EQ(ga_search(p, ga).cost, (WindowCost{4, 2}));
    EXPECT_EQ(identity_search(p).cost, (WindowCost{8, 2}));
}

TEST(CsrSearch, BalanceRaisesShortGroupsAndOpsBreakTies) {
    // P_WL 4: group heights 9 and 1 -> the short one is raised to 9 - 3 = 6.
    const WindowProblem p = window({0x1ff, 0x1ff, 0x1, 0x1}, 4, 8, 4, true);
    EXPECT_EQ(compressed_heights(p, {0, 1, 2, 3}), (std::vector<int64_t>{9, 6}));
    EXPECT_EQ(window_cost(p, {0, 1, 2, 3}), (WindowCost{15, 5}));  // ceil(9/4) + ceil(6/4)
    WindowProblem free = p;
    free.balance = false;
    EXPECT_EQ(window_cost(free, {0, 1, 2, 3}), (WindowCost{10, 4}));
    EXPECT_TRUE((WindowCost{10, 3}) < (WindowCost{10, 4}));
    EXPECT_TRUE((WindowCost{9, 9}) < (WindowCost{10, 1}));
}

// The GA against the exhaustive optimum on every 8-block window of the pruned layers of every zoo
// model (P_BL 8, P_WL 16, 128-row bands; beta 4 windows of 32 columns and beta 2 windows of 16
// columns): the gap is printed and recorded.
TEST(CsrSearch, GaReachesTheExhaustiveOptimumOnRealWindows) {
    SchemeContext ctx;
    ctx.hw = load_hw_config(hw_preset_path("csr"));
    ctx.params = {{"sparsity", 0.6}};
    const Tensor calib = load_fashion_mnist("train", 8).images;
    int64_t windows = 0, ga_rows = 0, opt_rows = 0, id_rows = 0, ga_optimal = 0;
    GaOptions ga;
    for (const std::string& model : zoo_names()) {
        const QuantModel qm = find_scheme("csr").prepare(make_zoo_model(model, 5), calib, ctx);
        for (const QuantLayer& L : qm.layers)
            for (const int beta : {4, 2}) {
                const WeightMatrix& w = L.weights;
                const int blocks = 8, width = blocks * beta;
                for (int64_t k0 = 0; k0 < w.K; k0 += 128)
                    for (int64_t n0 = 0; n0 + width <= w.N; n0 += width) {
                        WindowProblem p;
                        p.blocks = blocks;
                        p.beta = beta;
                        p.ou_cols = 8;
                        p.ou_rows = 16;
                        p.words = 2;
                        p.masks.assign(static_cast<size_t>(blocks * 2), 0);
                        for (int64_t k = k0; k < std::min<int64_t>(w.K, k0 + 128); ++k)
                            for (int64_t n = n0; n < n0 + width; ++n)
                                if (w.at(k, n) != 0)
                                    p.masks[static_cast<size_t>((n - n0) / beta * 2 +
                                                                (k - k0) / 64)] |=
                                        uint64_t{1} << ((k - k0) % 64);
                        ga.seed = static_cast<uint64_t>(windows + 1);
                        const SearchResult g = ga_search(p, ga);
                        const SearchResult e = exhaustive_search(p);
                        const SearchResult id = identity_search(p);
                        ASSERT_FALSE(g.cost < e.cost) << "the GA cannot beat the optimum";
                        ASSERT_FALSE(id.cost < g.cost) << "elitism keeps the identity";
                        EXPECT_EQ(window_cost(p, g.perm), g.cost);
                        ++windows;
                        ga_rows += g.cost.stored_rows;
                        opt_rows += e.cost.stored_rows;
                        id_rows += id.cost.stored_rows;
                        ga_optimal += g.cost == e.cost;
                    }
            }
    }
    ASSERT_GT(windows, 10);
    ASSERT_LT(opt_rows, id_rows) << "shuffling must help on these windows";
    const double gap = static_cast<double>(ga_rows - opt_rows) / static_cast<double>(opt_rows);
    std::printf(
        "[csr] %lld windows of 8 blocks: stored OU-rows identity %lld, GA %lld, optimum %lld; "
        "GA gap %.3f%%, optimal in %lld windows\n",
        static_cast<long long>(windows), static_cast<long long>(id_rows),
        static_cast<long long>(ga_rows), static_cast<long long>(opt_rows), 100.0 * gap,
        static_cast<long long>(ga_optimal));
    RecordProperty("ga_gap_percent", std::to_string(100.0 * gap));
    EXPECT_LE(gap, 0.01);
}

// Speed of the fitness: a resnet18-sized layer (4608 x 512, 36 bands x 8 windows of 16 blocks)
// with random 70 % block sparsity, GA with the default options; prints time and evaluations/s.
TEST(CsrSearch, GaSpeedOnAResnet18SizedLayer) {
    GaOptions ga;
    std::mt19937_64 rng(11);
    int64_t evals = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int win = 0; win < 36 * 8; ++win) {
        WindowProblem p;
        p.blocks = 16;
        p.beta = 4;
        p.ou_cols = 8;
        p.ou_rows = 16;
        p.words = 2;
        p.masks.resize(32);
        for (auto& m : p.masks) {
            m = 0;
            for (int b = 0; b < 64; ++b)
                if (rng() % 10 < 3) m |= uint64_t{1} << b;
        }
        ga.seed = static_cast<uint64_t>(win + 1);
        evals += ga_search(p, ga).evaluations;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[csr] GA on a 4608x512 layer: %.3f s, %lld evaluations, %.2f M evaluations/s\n", s,
                static_cast<long long>(evals), static_cast<double>(evals) / s / 1e6);
    EXPECT_EQ(evals, 36 * 8 * 32 * 41 - 36 * 8 * 2 * 40);  // initial + (P - elite) per generation
    EXPECT_LT(s, 30.0);
}
