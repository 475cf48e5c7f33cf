// Greedy compression cost of a shuffle window and the searches over its permutations.
#include "schemes/csr/csr_search.hpp"

#include <algorithm>
#include <bit>
#include <numeric>
#include <string>

#include "core/error.hpp"

namespace sparsecim {

namespace {

// Evaluates permutations of one problem with preallocated scratch space: the fitness function
// of the searches (packed bitmasks, OR + popcount).
class Evaluator {
  public:
    explicit Evaluator(const WindowProblem& p) : p_(p) {
        const int g = p.groups();
        first_.resize(static_cast<size_t>(g));
        last_.resize(static_cast<size_t>(g));
        for (int i = 0; i < g; ++i) {
            first_[static_cast<size_t>(i)] = i * p.ou_cols / p.beta;
            last_[static_cast<size_t>(i)] = ((i + 1) * p.ou_cols - 1) / p.beta;
        }
        heights_.resize(static_cast<size_t>(g));
    }

    WindowCost operator()(const int* perm) {
        ++evaluations;
        const int g = p_.groups();
        const int words = p_.words;
        int64_t hmax = 0;
        for (int i = 0; i < g; ++i) {
            int64_t h = 0;
            for (int w = 0; w < words; ++w) {
                uint64_t acc = 0;
                for (int pos = first_[static_cast<size_t>(i)]; pos <= last_[static_cast<size_t>(i)];
                     ++pos)
                    acc |= p_.masks[static_cast<size_t>(perm[pos] * words + w)];
                h += std::popcount(acc);
            }
            heights_[static_cast<size_t>(i)] = h;
            hmax = std::max(hmax, h);
        }
        WindowCost c;
        const int64_t floor_h = p_.balance ? std::max<int64_t>(0, hmax - (p_.ou_rows - 1)) : 0;
        for (int64_t h : heights_) {
            h = std::max(h, floor_h);
            c.stored_rows += h;
            c.ou_ops += (h + p_.ou_rows - 1) / p_.ou_rows;
        }
        return c;
    }

    int64_t evaluations = 0;

  private:
    const WindowProblem& p_;
    std::vector<int> first_, last_;
    std::vector<int64_t> heights_;
};

std::vector<int> identity(int n) {
    std::vector<int> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

// True when no permutation can change the cost: at most one group, blocks at least as wide as
// a group (each group then sees exactly one block's rows), or all blocks alike.
bool trivial(const WindowProblem& p) {
    if (p.groups() <= 1 || p.beta >= p.ou_cols) return true;
    for (int b = 1; b < p.blocks; ++b)
        if (!std::equal(p.masks.begin() + b * p.words, p.masks.begin() + (b + 1) * p.words,
                        p.masks.begin()))
            return false;
    return true;
}

}  // namespace

void check_problem(const WindowProblem& p) {
    if (p.blocks < 1 || p.beta < 1 || p.ou_cols < 1 || p.ou_rows < 1 || p.words < 0)
        throw Error("csr window: blocks, beta, P_BL and P_WL must be positive");
    if ((p.blocks * p.beta) % p.ou_cols != 0)
        throw Error("csr window: " + std::to_string(p.blocks) + " blocks of " +
                    std::to_string(p.beta) + " columns do not fill whole OUs of " +
                    std::to_string(p.ou_cols) + " columns");
    if (p.masks.size() != static_cast<size_t>(p.blocks) * static_cast<size_t>(p.words))
        throw Error("csr window: mask size disagrees with blocks x words");
}

std::vector<uint64_t> group_row_masks(const WindowProblem& p, const std::vector<int>& perm) {
    check_problem(p);
    const int g = p.groups();
    std::vector<uint64_t> out(static_cast<size_t>(g) * static_cast<size_t>(p.words), 0);
    for (int i = 0; i < g; ++i)
        for (int pos = i * p.ou_cols / p.beta; pos <= ((i + 1) * p.ou_cols - 1) / p.beta; ++pos)
            for (int w = 0; w < p.words; ++w)
                out[static_cast<size_t>(i * p.words + w)] |=
                    p.masks[static_cast<size_t>(perm.at(static_cast<size_t>(pos)) * p.words + w)];
    return out;
}

void balance_heights(std::vector<int64_t>& heights, int ou_rows) {
    if (heights.empty()) return;
    const int64_t hmax = *std::max_element(heights.begin(), heights.end());
    const int64_t floor_h = std::max<int64_t>(0, hmax - (ou_rows - 1));
    for (int64_t& h : heights) h = std::max(h, floor_h);
}

std::vector<int64_t> compressed_heights(const WindowProblem& p, const std::vector<int>& perm) {
    const std::vector<uint64_t> m = group_row_masks(p, perm);
    std::vector<int64_t> h(static_cast<size_t>(p.groups()), 0);
    for (int i = 0; i < p.groups(); ++i)
        for (int w = 0; w < p.words; ++w)
            h[static_cast<size_t>(i)] += std::popcount(m[static_cast<size_t>(i * p.words + w)]);
    if (p.balance) balance_heights(h, p.ou_rows);
    return h;
}

WindowCost window_cost(const WindowProblem& p, const std::vector<int>& perm) {
    check_problem(p);
    if (perm.size() != static_cast<size_t>(p.blocks))
        throw Error("csr window: permutation size disagrees with the block count");
    Evaluator eval(p);
    return eval(perm.data());
}

SearchResult identity_search(const WindowProblem& p) {
    SearchResult r;
    r.perm = identity(p.blocks);
    r.cost = window_cost(p, r.perm);
    r.evaluations = 1;
    return r;
}

SearchResult ga_search(const WindowProblem& p, const GaOptions& opt) {
    check_problem(p);
    if (trivial(p) || opt.generations == 0) return identity_search(p);
    Evaluator eval(p);
    GaBest<WindowCost> best = genetic_search<WindowCost>(
        identity(p.blocks), opt, [&](const int* perm) { return eval(perm); });
    SearchResult r;
    r.perm = std::move(best.perm);
    r.cost = best.cost;
    r.evaluations = eval.evaluations;
    return r;
}

SearchResult exhaustive_search(const WindowProblem& p) {
    check_problem(p);
    if (p.blocks > 10)
        throw Error("csr window: exhaustive search is limited to 10 blocks (got " +
                    std::to_string(p.blocks) + "); use search=ga");
    Evaluator eval(p);
    std::vector<int> perm = identity(p.blocks);
    SearchResult r;
    r.perm = perm;
    r.cost = eval(perm.data());
    while (std::next_permutation(perm.begin(), perm.end())) {
        const WindowCost c = eval(perm.data());
        if (c < r.cost) {
            r.cost = c;
            r.perm = perm;
        }
    }
    r.evaluations = eval.evaluations;
    return r;
}

}  // namespace sparsecim
