// `sparsecim sweep SWEEP.yaml`: every unit (point) of an experiment with axes, evaluated through
// one shared EvalCache (points reuse each other's import, data, quantization, traces and
// mappings), on a thread pool or over MPI ranks (sweep_mpi.cpp), each finished point appended to
// OUT/sweep.jsonl as one line. Schema and examples: docs/sweeps.md.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pipeline/eval_cache.hpp"
#include "pipeline/experiment.hpp"

namespace sparsecim {

// Throws Error "FILE: finetune_epochs: ..." when the experiment finetunes (a `run`-only feature).
void check_sweepable(const Experiment& ex);

// The record of point `i` (a sweep.jsonl line, and what the sweep report reads, whichever driver
// ran the point: `sweep` or `run`): index, id, group, coords (field -> value), fingerprint,
// seconds (results.json's timing.wall_seconds), and `results` (`results`, a results.json, without
// the per-layer arrays and timings).
nlohmann::json sweep_record(const Experiment& ex, size_t i, nlohmann::json results,
                            const std::string& fingerprint);

// One point evaluated (options.threads = `threads`, sharing `cache`) as its sweep_record.
nlohmann::json run_sweep_point(const Experiment& ex, size_t i, EvalCache& cache, int threads);

// OUT/sweep.jsonl: one JSON line per finished point, appended with one write() each (a crash
// leaves at most one partial last line, which a resume drops). With `resume`, the lines of an
// earlier run whose point still exists with the same fingerprint are kept (the file is rewritten
// atomically with them) and those points count as done; otherwise the file starts empty.
class SweepLog {
  public:
    SweepLog(const Experiment& ex, bool resume);
    bool done(size_t i) const { return !records_.at(i).is_null(); }
    size_t done_count() const;
    // Records point rec["index"] and appends its line; a point already done is ignored (returns
    // false), so a point run twice (a straggler re-run elsewhere) is written once.
    bool append(nlohmann::json rec);
    // The records of every done point, in point order, moved out (a 2,000-point sweep's records
    // are megabytes of JSON): for the end of the sweep, after which the log holds none.
    std::vector<nlohmann::json> take_records();
    std::filesystem::path path() const { return path_; }

  private:
    std::filesystem::path path_;
    std::vector<nlohmann::json> records_;  // by point index; null = not done
    mutable std::mutex mu_;
};

// The stderr progress line: done/total, points per second, ETA (only on a terminal).
class SweepProgress {
  public:
    SweepProgress(size_t total, size_t done);
    void tick(const std::string& id);
    void finish() const;

  private:
    size_t total_, done_, started_with_;
    bool on_;
    double t0_;
    std::mutex mu_;
};

// Hands out the points a log has not done, one at a time, to workers (threads or MPI ranks, any
// int ids). Points that differ only in cost-only fields (energies, areas) form a share group:
// they share one mapping and simulation, so a worker keeps to its group while it has points, and
// a free worker takes the next untouched group; when none is left it takes points from the back
// of the group with the most left. Thread-safe.
class PointBoard {
  public:
    PointBoard(const Experiment& ex, const SweepLog& log);
    // The next point for `who`; with `stragglers`, when no new point is left, a point still held
    // by other workers and not done (fewest holders first, never one `who` holds). npos: none.
    size_t next(int who, bool stragglers = false);
    // `who` no longer runs point i (finished or gone).
    void release(size_t i, int who);

  private:
    const SweepLog& log_;
    std::mutex mu_;
    std::vector<std::deque<size_t>> groups_;  // points not handed out, by share group
    size_t fresh_ = 0;                        // groups_[fresh_...] untouched
    std::map<int, size_t> current_;           // worker -> its group
    std::map<size_t, std::set<int>> out_;     // point -> workers running it
};

struct SweepOptions {
    int threads = 0;  // total threads (0 = all cores): min(threads, points) points at once
    bool resume = false;
    bool reuse = true;  // false: every point gets a fresh cache (as if run one by one)
};

// What every sweep driver (threads or MPI) does before its log opens: an interrupt keeps the
// finished points and says how to continue (`again` + " --resume"); a resumed run removes the
// temporary files a cut left in ex.out.
void begin_resumable_sweep(const Experiment& ex, bool resume, const std::string& again);

// Runs the points `log` has not done on a thread pool, appending each to `log`.
void run_sweep_threads(const Experiment& ex, SweepLog& log, const SweepOptions& opt,
                       EvalCache& cache);

// Points run at once and threads per point for a budget of `threads` (0 = all cores).
void split_threads(int threads, size_t points, int& workers, int& per_point);

// The axis fields of `ex`, in order (sweep.csv's axis columns).
std::vector<std::string> axis_fields(const Experiment& ex);

// The sweep's exit code from its records: 1 when a check_exact point found a scheme not exact
// under an ideal ADC, else 0.
int sweep_exit_code(const std::vector<nlohmann::json>& records);

}  // namespace sparsecim
