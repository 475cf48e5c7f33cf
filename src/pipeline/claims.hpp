// A source document's headline claims, stated in an experiment file (`claims:`), so that the
// reproduction table (`sparsecim reproduce`, docs/reproduction.md) can set each claim beside the
// figure sparsecim measures for it. Schema in docs/experiments.md.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sparsecim {

struct Claim {
    std::string label;   // what is claimed, e.g. "energy efficiency over dense"
    std::string scheme;  // the scheme whose figure is measured
    // One of claim_metrics(): a vs-dense ratio (speedup, energy_efficiency, area_efficiency,
    // crossbar_efficiency, compression, sparsity_utilization), energy_efficiency_of (dense /
    // scheme energy summed over `components`), accuracy, accuracy_finetuned, accuracy_change,
    // accuracy_change_finetuned (scheme minus dense int top-1), figure_ratio (the scheme's
    // figures numerator / denominator).
    std::string metric;
    std::vector<std::string> components;
    std::string numerator, denominator;
    // A ratio metric's baseline: "matched" (vs_dense: dense on the scheme's cell bits and input
    // skipping, the default) or "run_dense" (vs_run_dense: the run's plain dense, the baseline a
    // deck that compares with an ordinary array quotes).
    std::string against = "matched";
    std::string source_value;  // the document's figure as it states it, e.g. "2.1-4.8x"
    std::string note;          // setup differences worth knowing
};

const std::vector<std::string>& claim_metrics();

// Parses `claims:` (a list of mappings); `schemes` are the experiment's schemes. Errors name the
// file and the field, e.g. "exp.yaml: claims[2].metric: unknown metric 'speed' (known: ...)".
std::vector<Claim> parse_claims(const YAML::Node& node, const std::string& source,
                                const std::vector<std::string>& schemes);

// The claim's measured value from one unit's results.json; nullopt when the results do not hold
// it (e.g. no finetuning was run, or the ratio is undefined).
std::optional<double> measure_claim(const Claim& claim, const nlohmann::json& results);

// The measured value formatted the way the metric reads: "3.41x", "87.2%", "-1.30 pp", or "n/a".
std::string format_claim_value(const Claim& claim, const std::optional<double>& value);

}  // namespace sparsecim
