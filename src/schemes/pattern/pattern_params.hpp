// Parameters of the `pattern` scheme (--param pattern.KEY=VALUE), with their defaults. Parsing
// rejects unknown keys and bad values with an Error naming the parameter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "schemes/param_table.hpp"

namespace sparsecim {

enum class PlacementMethod { FirstFit, BestFit, Split, FirstFitSplit };

struct PatternParams {
    int k = 4;                  // non-zero entries of every pattern (1..9)
    int library_size = 8;       // patterns kept per layer; 0 = "auto" (smallest meeting retention)
    double retention = 0.9;     // auto library: fraction of the top-k masks' squared L2 norm kept
    double connectivity = 0.5;  // fraction of each layer's kernels removed (smallest L2 norm)
    // When set: per 3x3 layer, the connectivity fraction that makes the layer reach this
    // sparsity (overrides `connectivity`).
    std::optional<double> target_sparsity;
    PlacementMethod placement = PlacementMethod::FirstFitSplit;
    bool skip_zero = true;  // the input preprocessing unit skips all-zero OU bit-planes
    // Layers left dense (schemes/exempt.hpp): "ends" = the first and the last weight layer,
    // "none" = every layer pruned.
    std::string exempt = "ends";

    friend bool operator==(const PatternParams&, const PatternParams&) = default;
};

// One row per key: parsing, `sparsecim params pattern` and the docs read it.
const ParamTable<PatternParams>& pattern_param_table();

PatternParams parse_pattern_params(const nlohmann::json& params);

const char* placement_name(PlacementMethod m);
std::vector<PlacementMethod> all_placements();

}  // namespace sparsecim
