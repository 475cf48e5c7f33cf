// The column-shuffle search of one shuffle window (deck 000): which of the window's N_C column
// blocks share an OU. A block's zero pattern over the rows of a row band is a packed bitmask;
// the greedy compression keeps, per OU column group, the rows where any of its blocks is
// non-zero, raises short groups so that heights differ by less than P_WL (the deck's constraint),
// and the cost is (stored OU-rows, OU ops). A genetic algorithm (order crossover, swap mutation,
// tournament selection, elitism) and an exhaustive search minimise it over permutations.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace sparsecim {

struct WindowProblem {
    int blocks = 0;               // N_C
    int beta = 1;                 // columns per block
    int ou_cols = 8;              // P_BL: columns per OU column group
    int ou_rows = 16;             // P_WL
    int words = 0;                // 64-bit words per block mask
    bool balance = true;          // enforce heights differing by < P_WL inside the window
    std::vector<uint64_t> masks;  // blocks * words: bit r = row r of the band is non-zero

    int groups() const { return blocks * beta / ou_cols; }
};

struct WindowCost {
    int64_t stored_rows = 0;  // OU-rows kept by the greedy compression (incl. balance padding)
    int64_t ou_ops = 0;       // OU ops per bit-plane: sum over groups of ceil(height / P_WL)
    bool operator<(const WindowCost& o) const {
        return stored_rows != o.stored_rows ? stored_rows < o.stored_rows : ou_ops < o.ou_ops;
    }
    bool operator==(const WindowCost& o) const = default;
};

// Throws Error when the window is malformed (block columns not a multiple of P_BL, mask size).
void check_problem(const WindowProblem& p);

// Rows (bitmask, `p.words` words) each OU column group needs for permutation `perm` (perm[i] =
// block placed at position i), before balancing.
std::vector<uint64_t> group_row_masks(const WindowProblem& p, const std::vector<int>& perm);

// Heights after greedy compression and the balance constraint (if p.balance).
std::vector<int64_t> compressed_heights(const WindowProblem& p, const std::vector<int>& perm);

// Raises every height below max - (P_WL - 1) to that floor (the deck's constraint).
void balance_heights(std::vector<int64_t>& heights, int ou_rows);

WindowCost window_cost(const WindowProblem& p, const std::vector<int>& perm);

struct GaOptions {
    int population = 32;
    int generations = 40;
    double mutation = 0.05;
    int tournament = 3;
    int elite = 2;
    uint64_t seed = 1;
};

struct SearchResult {
    std::vector<int> perm;
    WindowCost cost;
    int64_t evaluations = 0;  // fitness evaluations spent
};

// The best permutation a genetic_search found, and its cost.
template <class Cost>
struct GaBest {
    std::vector<int> perm;
    Cost cost{};
};

// The genetic algorithm over permutations of start.size() genes, minimising
// `fitness(const int* perm) -> Cost` (any Cost with operator<): the first population is `start`
// and shuffles of it, then generations of tournament selection, order crossover, per-gene swap
// mutation and elitism, so the result is never worse than `start`. Deterministic for opt.seed.
template <class Cost, class Fitness>
GaBest<Cost> genetic_search(std::vector<int> start, const GaOptions& opt, Fitness&& fitness) {
    const int n = static_cast<int>(start.size());
    const int P = std::max(2, opt.population);
    std::mt19937_64 rng(opt.seed);
    auto below = [&rng](uint64_t k) -> uint64_t { return k <= 1 ? 0 : rng() % k; };
    std::vector<std::vector<int>> pop(static_cast<size_t>(P), start);
    for (int i = 1; i < P; ++i) {
        auto& c = pop[static_cast<size_t>(i)];
        for (int j = n - 1; j > 0; --j)
            std::swap(c[static_cast<size_t>(j)], c[below(static_cast<uint64_t>(j + 1))]);
    }
    std::vector<Cost> fit(static_cast<size_t>(P));
    for (int i = 0; i < P; ++i)
        fit[static_cast<size_t>(i)] = fitness(pop[static_cast<size_t>(i)].data());

    std::vector<int> order(static_cast<size_t>(P));
    std::vector<std::vector<int>> next;
    std::vector<Cost> next_fit;
    std::vector<uint8_t> used(static_cast<size_t>(n));
    auto tournament = [&]() -> const std::vector<int>& {
        size_t best = below(static_cast<uint64_t>(P));
        for (int t = 1; t < opt.tournament; ++t) {
            const size_t c = below(static_cast<uint64_t>(P));
            if (fit[c] < fit[best]) best = c;
        }
        return pop[best];
    };
    for (int gen = 0; gen < opt.generations; ++gen) {
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return fit[static_cast<size_t>(a)] < fit[static_cast<size_t>(b)];
        });
        next.clear();
        next_fit.clear();
        for (int e = 0; e < std::min(opt.elite, P); ++e) {
            next.push_back(pop[static_cast<size_t>(order[static_cast<size_t>(e)])]);
            next_fit.push_back(fit[static_cast<size_t>(order[static_cast<size_t>(e)])]);
        }
        while (static_cast<int>(next.size()) < P) {
            const std::vector<int>& a = tournament();
            const std::vector<int>& b = tournament();
            // Order crossover: a's slice [i, j] kept in place, the rest in b's order from j+1.
            size_t i = below(static_cast<uint64_t>(n));
            size_t j = below(static_cast<uint64_t>(n));
            if (i > j) std::swap(i, j);
            std::vector<int> child(static_cast<size_t>(n), -1);
            std::fill(used.begin(), used.end(), 0);
            for (size_t x = i; x <= j; ++x) {
                child[x] = a[x];
                used[static_cast<size_t>(a[x])] = 1;
            }
            size_t out = (j + 1) % static_cast<size_t>(n);
            for (size_t s = 0; s < static_cast<size_t>(n); ++s) {
                const int gene = b[(j + 1 + s) % static_cast<size_t>(n)];
                if (used[static_cast<size_t>(gene)]) continue;
                child[out] = gene;
                out = (out + 1) % static_cast<size_t>(n);
            }
            // Swap mutation, per gene.
            for (size_t x = 0; x < static_cast<size_t>(n); ++x) {
                const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
                if (u < opt.mutation) std::swap(child[x], child[below(static_cast<uint64_t>(n))]);
            }
            next_fit.push_back(fitness(child.data()));
            next.push_back(std::move(child));
        }
        pop.swap(next);
        fit.swap(next_fit);
    }
    size_t best = 0;
    for (size_t i = 1; i < fit.size(); ++i)
        if (fit[i] < fit[best]) best = i;
    return {pop[best], fit[best]};
}

// The identity permutation and its cost.
SearchResult identity_search(const WindowProblem& p);
// Genetic search. The identity is in the first population, and elitism keeps the best, so the
// result is never worse than no shuffle. Deterministic for a seed.
SearchResult ga_search(const WindowProblem& p, const GaOptions& opt);
// Every permutation (up to 10 blocks; throws Error beyond): the optimum.
SearchResult exhaustive_search(const WindowProblem& p);

}  // namespace sparsecim
