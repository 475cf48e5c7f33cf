// WeightMatrix statistics.
#include "model/weight_matrix.hpp"

namespace sparsecim {

int64_t WeightMatrix::nonzeros() const {
    int64_t nz = 0;
    for (int32_t v : w) nz += v != 0;
    return nz;
}

double WeightMatrix::sparsity() const {
    return sparsity(nonzeros());
}

double WeightMatrix::sparsity(int64_t nonzeros) const {
    const int64_t positions = weight_positions();
    if (positions <= 0) return 0.0;
    return 1.0 - static_cast<double>(nonzeros) / static_cast<double>(positions);
}

std::string groups_problem(const std::string& name, int64_t K, int64_t N, int64_t groups) {
    if (groups >= 1 && K % groups == 0 && N % groups == 0) return {};
    return name + ": " + std::to_string(groups) + " groups do not divide the " + std::to_string(K) +
           " x " + std::to_string(N) + " weight matrix";
}

}  // namespace sparsecim
