// Re-pricing a results.json: the counts and footprints it stores, priced again with other unit
// prices without re-simulating; and its prices and counts written as Accelergy tables and action
// counts (docs/accelergy.md).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cost/accelergy.hpp"
#include "cost/cost_model.hpp"
#include "hw/hw_config.hpp"

namespace sparsecim {

// The unit prices for an entry priced on `hw` (the run's hardware, or the entry's own "hw").
using PricesFor = std::function<PriceTable(const HwConfig& hw)>;

// A results.json read from `path`; throws Error naming the file when it cannot be read or is not
// JSON.
nlohmann::json read_results_json(const std::filesystem::path& path);

// `results` with every entry's and layer's energy and area fields, and the energy and area ratios
// of vs_dense and vs_run_dense, recomputed with `prices`; counts, cycles and latency stay. Throws
// Error "SOURCE: FIELD: PROBLEM" when the results lack what pricing needs.
nlohmann::json reprice_results(const nlohmann::json& results, const std::string& source,
                               const PricesFor& prices);

// The files of an Accelergy export of `results` by path relative to the export directory:
// ERT.yaml and ART.yaml (the prices the run used), bindings.yaml, and per entry (scheme or
// baseline) action_counts/<entry>/total.yaml, one <NN>_<layer>.yaml per layer, and
// instances.yaml (the instances of each ART component, per layer). Throws Error when two entries
// priced one table entry differently.
std::map<std::string, std::string> accelergy_export(const nlohmann::json& results,
                                                    const std::string& source,
                                                    const AccelergyBinding& binding);

// Renders accelergy_export first, then writes each file atomically under `dir`; returns their
// paths.
std::vector<std::filesystem::path> write_accelergy_export(const nlohmann::json& results,
                                                          const std::string& source,
                                                          const std::filesystem::path& dir);

}  // namespace sparsecim
