// Row-block L2 magnitude pruning.
#include "schemes/csr/csr_prune.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "schemes/param_table.hpp"

namespace sparsecim {

namespace {

struct Block {
    double norm2 = 0.0;
    uint32_t layer = 0;
    int64_t k = 0, j = 0;
};

// Zero weights among the weight positions (a grouped layer's structural zeros are no weights).
int64_t zeros_of(const WeightMatrix& w) {
    return w.weight_positions() - w.nonzeros();
}

// Appends every block of layer `li` that holds a non-zero weight.
void collect_blocks(const QuantLayer& L, uint32_t li, int beta, std::vector<Block>& out) {
    const WeightMatrix& w = L.weights;
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t j = 0; j * beta < w.N; ++j) {
            Block b;
            b.layer = li;
            b.k = k;
            b.j = j;
            bool any = false;
            for (int64_t n = j * beta; n < std::min<int64_t>(w.N, (j + 1) * beta); ++n) {
                const int32_t v = w.at(k, n);
                if (v == 0) continue;
                any = true;
                const double s = n < static_cast<int64_t>(L.w_scale.size())
                                     ? static_cast<double>(L.w_scale[static_cast<size_t>(n)])
                                     : 1.0;
                const double r = static_cast<double>(v) * s;
                b.norm2 += r * r;
            }
            if (any) out.push_back(b);
        }
}

// Zeros the smallest blocks of `blocks` until `zeros` reaches `target`.
void prune_until(QuantModel& qm, std::vector<Block>& blocks, int beta, int64_t zeros,
                 int64_t target, BlockPruneResult& res) {
    std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) {
        if (a.norm2 != b.norm2) return a.norm2 < b.norm2;
        if (a.layer != b.layer) return a.layer < b.layer;
        if (a.k != b.k) return a.k < b.k;
        return a.j < b.j;
    });
    for (const Block& b : blocks) {
        if (zeros >= target) break;
        WeightMatrix& w = qm.layers[b.layer].weights;
        for (int64_t n = b.j * beta; n < std::min<int64_t>(w.N, (b.j + 1) * beta); ++n) {
            if (w.at(b.k, n) != 0) {
                w.at(b.k, n) = 0;
                ++zeros;
                ++res.weights_zeroed;
            }
            w.keep[static_cast<size_t>(b.k * w.N + n)] = 0;
        }
        ++res.blocks_pruned;
    }
}

}  // namespace

BlockPruneResult prune_row_blocks(QuantModel& qm, int beta, double sparsity, bool global) {
    if (beta < 1) param_error("csr", "beta", "must be a positive integer");
    if (!(sparsity >= 0.0 && sparsity <= 1.0))
        param_error("csr", "sparsity", "must be a number in [0, 1]");
    BlockPruneResult res;
    auto target_of = [&](int64_t total) {
        return static_cast<int64_t>(std::ceil(sparsity * static_cast<double>(total) - 1e-9));
    };
    if (global) {
        std::vector<Block> blocks;
        int64_t zeros = 0, total = 0;
        for (size_t li = 0; li < qm.layers.size(); ++li) {
            if (qm.layers[li].exempt) continue;
            collect_blocks(qm.layers[li], static_cast<uint32_t>(li), beta, blocks);
            zeros += zeros_of(qm.layers[li].weights);
            total += qm.layers[li].weights.weight_positions();
        }
        prune_until(qm, blocks, beta, zeros, target_of(total), res);
        return res;
    }
    for (size_t li = 0; li < qm.layers.size(); ++li) {
        if (qm.layers[li].exempt) continue;
        std::vector<Block> blocks;
        collect_blocks(qm.layers[li], static_cast<uint32_t>(li), beta, blocks);
        const WeightMatrix& w = qm.layers[li].weights;
        prune_until(qm, blocks, beta, zeros_of(w), target_of(w.weight_positions()), res);
    }
    return res;
}

}  // namespace sparsecim
