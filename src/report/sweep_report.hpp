// The report of a sweep (an experiment file with `sweep:`, `axes:` or `points:`, run by
// `sparsecim sweep` or `sparsecim run`): sweep.csv and sweep.html (self-contained, inline SVG)
// from the points' records (pipeline/sweep.hpp's sweep_record).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/sweep.hpp"

namespace sparsecim {

// The one sweep report, from the points' records (in point order): `dir`/sweep.csv (one row per
// point x scheme entry: id, group, a column per axis field in `axes`, then the figures, cell
// counts by state and energy by component) and `dir`/sweep.html (Pareto plots over every point
// and scheme entry: energy against area, top-1 against energy, speedup against index storage,
// the Pareto-optimal entries marked, and their table; then per group energy and area efficiency,
// speedup, top-1 and energy against the points, one bar per scheme, and each non-dense entry's
// energy by component, stacked). Written atomically. Returns the path of sweep.html.
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
int finish_sweep(const Experiment& ex, SweepLog& log, size_t kept, double seconds,
                 const std::string& how, const EvalCache& cache);

}  // namespace sparsecim
