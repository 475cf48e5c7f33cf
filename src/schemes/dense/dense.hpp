// The dense baseline scheme: per-channel symmetric PTQ, no pruning, dense mapping.
#pragma once

#include "schemes/scheme.hpp"

namespace sparsecim {

Scheme dense_scheme();

}  // namespace sparsecim
