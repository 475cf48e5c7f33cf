// Scheme `csr` (deck 000, Wu et al.): int8 PTQ, row-block L2 pruning with pruning factor beta,
// column-shuffle remapping searched by a genetic algorithm, greedy OU-row compression, and the
// zero-skipping bit-serial pipeline. See docs/schemes/csr.md.
#pragma once

#include "schemes/scheme.hpp"

namespace sparsecim {

Scheme csr_scheme();

}  // namespace sparsecim
