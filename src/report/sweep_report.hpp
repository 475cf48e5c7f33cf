// The report of a parameter sweep (experiment files' `sweep:`): from each unit's results.json,
// sweep.csv (one row per unit x scheme entry) and sweep.html (self-contained, inline SVG): top-1
// accuracy, energy and energy efficiency over dense against the swept value, and every non-dense
// entry's energy by component, per (model, hardware) group.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/sweep.hpp"

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

// The report of `sparsecim sweep` from its sweep.jsonl records (in point order): `dir`/sweep.csv
// (one row per point x scheme entry: id, group, a column per axis field in `axes`, then the
// figures) and `dir`/sweep.html (Pareto plots over every point and scheme entry: energy against
// area, top-1 against energy, speedup against index storage, the Pareto-optimal entries marked,
// and their table; then per group energy and area efficiency, speedup and top-1 against the
// points, one bar per scheme). Written atomically. Returns the path of sweep.html.
std::filesystem::path write_sweep_results(const std::string& name,
                                          const std::vector<std::string>& axes,
                                          const std::vector<nlohmann::json>& records,
                                          const std::filesystem::path& dir);

// Which of `points` (each a vector of objectives, all minimised) no other point dominates (no
// worse in every objective, better in one). A point with a NaN objective is never optimal.
std::vector<bool> pareto_optimal(const std::vector<std::vector<double>>& points);

// Ends a sweep: writes sweep.csv and sweep.html from the log's records, prints the path on
// stdout and on stderr the summary (points run and kept, wall time, points per second, how they
// ran, and per pipeline stage how often `cache` computed and reused it); returns the exit code.
int finish_sweep(const Experiment& ex, const SweepLog& log, size_t kept, double seconds,
                 const std::string& how, const EvalCache& cache);

}  // namespace sparsecim
