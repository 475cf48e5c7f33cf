// WeightMatrix: one weight layer flattened to 2-D, the input of every mapper. Rows are wordlines
// (K = Cin*kh*kw in input-major order c, ky, kx; or the input features of a Gemm/MatMul),
// columns are logical outputs (N output channels). Integer values plus a keep-mask, and the
// block-diagonal structure of a grouped or depthwise convolution (`groups`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sparsecim {

// Empty when `groups` (>= 1) divides both K and N of the K x N matrix of `name`, else what is
// wrong; shared by the weight matrix and the mapping made of it.
std::string groups_problem(const std::string& name, int64_t K, int64_t N, int64_t groups);

struct WeightMatrix {
    std::string name;  // the layer (node) it belongs to
    int64_t K = 0;
    int64_t N = 0;
    int w_bits = 8;             // values lie in [-(2^(w_bits-1)), 2^(w_bits-1) - 1]
    std::vector<int32_t> w;     // K*N, row-major: w[k*N + n]
    std::vector<uint8_t> keep;  // K*N, 1 = kept, 0 = pruned (value must then be 0)
    // Groups of a grouped (depthwise: groups = channels) convolution: only the diagonal blocks,
    // rows [g*K/groups, (g+1)*K/groups) x columns [g*N/groups, (g+1)*N/groups), are weights;
    // every other entry is a structural zero, no weight at all (value 0, keep 0). 1 = dense.
    int64_t groups = 1;

    WeightMatrix() = default;
    WeightMatrix(std::string n, int64_t k, int64_t cols, int bits)
        : name(std::move(n)),
          K(k),
          N(cols),
          w_bits(bits),
          w(static_cast<size_t>(k * cols), 0),
          keep(static_cast<size_t>(k * cols), 1) {}

    int32_t at(int64_t k, int64_t n) const { return w[static_cast<size_t>(k * N + n)]; }
    int32_t& at(int64_t k, int64_t n) { return w[static_cast<size_t>(k * N + n)]; }
    int64_t group_rows() const { return K / groups; }  // rows of one diagonal block
    int64_t group_cols() const { return N / groups; }  // columns of one diagonal block
    // Whether (k, n) is a weight position (inside its row's diagonal block).
    bool is_weight(int64_t k, int64_t n) const { return k / group_rows() == n / group_cols(); }
    int64_t weight_positions() const { return K * N / groups; }
    // Empty when `groups` divides K and N (K x N may be empty), else what is wrong.
    std::string groups_problem() const { return sparsecim::groups_problem(name, K, N, groups); }

    int64_t nonzeros() const;
    double sparsity() const;                  // fraction of the weight positions holding zero
    double sparsity(int64_t nonzeros) const;  // the same, from nonzeros() counted before
};

}  // namespace sparsecim
