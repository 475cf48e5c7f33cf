// results.json (schema in docs/results-json.md): an EvalResult as JSON, derived from the result
// values alone, so the same file comes from a run, a sweep point or a re-rendered report.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "results/compare.hpp"
#include "results/results.hpp"

namespace sparsecim {

constexpr int kResultsSchemaVersion = 1;

// The settings that shape the figures (results.json's "config" without the resolved hardware).
nlohmann::json options_json(const EvalSettings& o);

// A comparison's ratios as results.json writes them (vs_dense): compression, speedup,
// energy_efficiency, area_efficiency, crossbar_efficiency (null when undefined).
nlohmann::json ratios_json(const Ratios& c);

// The priced fields of an entry or layer: energy_pj, energy_pj_by_component, area_mm2,
// area_um2_by_component, latency_ns.
void set_cost_fields(nlohmann::json& j, const Cost& c);

// Everything but timings is deterministic for the same inputs; timings sit under "timing".
// Without `layers`, the schemes have no "layers" arrays (a sweep record keeps none).
nlohmann::json results_json(const EvalResult& r, bool layers = true);

// The text of results.json (2-space indent, trailing newline). Names from the model file that are
// not valid UTF-8 are written with U+FFFD in place of the bad bytes rather than failing.
std::string results_json_text(const EvalResult& r);

}  // namespace sparsecim
