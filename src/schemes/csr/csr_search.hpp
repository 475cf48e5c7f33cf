// The column-shuffle search of one shuffle window (deck 000): which of the window's N_C column
// blocks share an OU. A block's zero pattern over the rows of a row band is a packed bitmask;
// the greedy compression keeps, per OU column group, the rows where any of its blocks is
// non-zero, raises short groups so that heights differ by less than P_WL (the deck's constraint),
// and the cost is (stored OU-rows, OU ops). A genetic algorithm (order crossover, swap mutation,
// tournament selection, elitism) and an exhaustive search minimise it over permutations.
#pragma once

#include <cstdint>
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

// The identity permutation and its cost.
SearchResult identity_search(const WindowProblem& p);
// Genetic search. The identity is in the first population, and elitism keeps the best, so the
// result is never worse than no shuffle. Deterministic for a seed.
SearchResult ga_search(const WindowProblem& p, const GaOptions& opt);
// Every permutation (up to 10 blocks; throws Error beyond): the optimum.
SearchResult exhaustive_search(const WindowProblem& p);

}  // namespace sparsecim
