// The outputs of `sparsecim evaluate`: the terminal summary table and results.json
// (schema in docs/results-json.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/evaluate.hpp"

namespace sparsecim {

constexpr int kResultsSchemaVersion = 1;

std::string summary_table(const EvalResult& r);
// The options that shape the figures (results.json's "config" without the resolved hardware).
nlohmann::json options_json(const EvalOptions& o);
// Where a layer's activations came from, for tables: "trace d=0.42 b=0.31" (real, measured) or
// "MODELLED d=0.50 b=0.25" (the requested model).
std::string activation_label(const LayerResult& l);
// Everything but timings is deterministic for the same inputs; timings sit under "timing".
nlohmann::json results_json(const EvalResult& r);
// The text of results.json (2-space indent, trailing newline). Names from the model file that are
// not valid UTF-8 are written with U+FFFD in place of the bad bytes rather than failing.
std::string results_json_text(const EvalResult& r);

}  // namespace sparsecim
