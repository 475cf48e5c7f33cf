// The terminal outputs of `sparsecim evaluate`: the summary table (results.json itself is
// results/results_json.hpp).
#pragma once

#include <string>

#include "results/results.hpp"
#include "results/results_json.hpp"

namespace sparsecim {

std::string summary_table(const EvalResult& r);

// Where a layer's activations came from, for tables: "trace d=0.42 b=0.31" (real, measured) or
// "MODELLED d=0.50 b=0.25" (the requested model).
std::string activation_label(const LayerResult& l);

}  // namespace sparsecim
