// WeightMatrix: one weight layer flattened to 2-D, the input of every mapper. Rows are wordlines
// (K = Cin*kh*kw in input-major order c, ky, kx; or the input features of a Gemm/MatMul),
// columns are logical outputs (N output channels). Integer values plus a keep-mask.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sparsecim {

struct WeightMatrix {
    std::string name;  // the layer (node) it belongs to
    int64_t K = 0;
    int64_t N = 0;
    int w_bits = 8;             // values lie in [-(2^(w_bits-1)), 2^(w_bits-1) - 1]
    std::vector<int32_t> w;     // K*N, row-major: w[k*N + n]
    std::vector<uint8_t> keep;  // K*N, 1 = kept, 0 = pruned (value must then be 0)

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
    int64_t nonzeros() const;
    double sparsity() const;  // fraction of zero values
};

}  // namespace sparsecim
