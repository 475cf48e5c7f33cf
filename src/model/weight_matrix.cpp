// WeightMatrix statistics.
#include "model/weight_matrix.hpp"

namespace sparsecim {

int64_t WeightMatrix::nonzeros() const {
    int64_t nz = 0;
    for (int32_t v : w) nz += v != 0;
    return nz;
}

double WeightMatrix::sparsity() const {
    if (w.empty()) return 0.0;
    return 1.0 - static_cast<double>(nonzeros()) / static_cast<double>(w.size());
}

}  // namespace sparsecim
