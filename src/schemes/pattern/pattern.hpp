// The `pattern` scheme (source deck 003): int8 PTQ, 3x3 pattern pruning with a per-layer pattern
// library and connectivity pruning, pattern-block mapping with an input preprocessing unit
// (gather + zero skipping) and an output indexing unit (scatter). See docs/schemes/pattern.md.
#pragma once

#include "schemes/scheme.hpp"

namespace sparsecim {

Scheme pattern_scheme();

}  // namespace sparsecim
