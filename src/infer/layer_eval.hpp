// Float evaluation of one weight layer on a given input, its other operands (weight, bias) taken
// from the graph's constants: what calibration and shape inference hooks fall back to.
#pragma once

#include "core/tensor.hpp"
#include "model/graph.hpp"

namespace sparsecim {

Tensor eval_with_input(const Graph& g, const Node& n, const Tensor& x);

}  // namespace sparsecim
