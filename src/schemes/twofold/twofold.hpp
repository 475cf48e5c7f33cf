// Scheme `twofold` (deck 001, Karimzadeh): network-level sparsity by LFSR pruning, bit-level
// b-bit scaled two's complement quantization on 2-bit cells, energy by cell state.
#pragma once

#include "schemes/scheme.hpp"

namespace sparsecim {

Scheme twofold_scheme();

}  // namespace sparsecim
