// The report of a parameter sweep (experiment files' `sweep:`): from each unit's results.json,
// sweep.csv (one row per unit x scheme entry) and sweep.html (self-contained, inline SVG): top-1
// accuracy, energy and energy efficiency over dense against the swept value, and every non-dense
// entry's energy by component, per (model, hardware) group.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sparsecim {

struct SweepPoint {
    std::string group;              // the (model, hardware) unit the point belongs to
    std::string value;              // the swept parameter's value
    std::filesystem::path results;  // that run's results.json
};

// Reads every point's results.json (Error naming the file when missing or malformed) and writes
// `dir`/sweep.csv and `dir`/sweep.html atomically. Returns the path of sweep.html.
std::filesystem::path write_sweep_report(const std::string& experiment, const std::string& param,
                                         const std::vector<SweepPoint>& points,
                                         const std::filesystem::path& dir);

}  // namespace sparsecim
