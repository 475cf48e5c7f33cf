// Scheme `sme` (source deck 002, Liu et al.): windowed power-of-two quantization, inter-crossbar
// bit slicing and bit-wise squeeze-out. See docs/schemes/sme.md.
#pragma once

#include "schemes/scheme.hpp"

namespace sparsecim {

Scheme sme_scheme();

}  // namespace sparsecim
