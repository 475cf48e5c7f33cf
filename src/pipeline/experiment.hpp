// Experiment files: `sparsecim run EXPERIMENT.yaml` runs every (model, hardware) unit of an
// experiment with all its schemes through evaluate() and writes a report per unit. Schema in
// docs/experiments.md. Paths inside the file (ONNX models, hardware YAML, data) are relative to
// the experiment file; the output folder is relative to the working directory.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/claims.hpp"
#include "pipeline/evaluate.hpp"

namespace sparsecim {

// One axis of a sweep: a field of the configuration and its values. A field is a hardware key
// ("ou.rows", "components.NAME.energy_pj": as `--set`), a scheme parameter ("csr.beta": as
// `--param`), or `schemes` (each value a scheme, run after dense).
struct SweepAxis {
    std::string field;
    std::string label;  // how the field appears in unit ids (the field; `sweep:` drops the scheme)
    std::vector<std::string> values;
};

struct ExperimentUnit {
    // Stable, from the model and hardware names and the unit's axis values, e.g.
    // "tiny-cnn__csr" or "tiny-cnn__csr__ou.rows=8__csr.beta=2".
    std::string id;
    std::string group;  // "<model>__<hw>": the unit without its axis values
    // (field, value) of every axis (or listed point field) that sets something in this unit.
    std::vector<std::pair<std::string, std::string>> coords;
    EvalOptions options;
    std::filesystem::path out;  // where this unit's report goes
};

struct Experiment {
    std::string name;
    std::string description;
    std::string stand_in;       // which available model stands in for the source's network
    std::vector<Claim> claims;  // the source document's headline figures (docs/reproduction.md)
    std::filesystem::path source;
    std::filesystem::path out;
    std::vector<ExperimentUnit> units;
    // Optional sweep: `sweep:` (one scheme parameter), `axes:` (a grid over any fields) or
    // `points:` (a listed set of points). Every (model, hardware) unit runs once per point;
    // `sparsecim run` and `sparsecim sweep` then write the same sweep.csv and sweep.html over the
    // points (`sweep` also sweep.jsonl; docs/sweeps.md).
    // With `points:`, one axis per field named by any point; empty: no sweep.
    std::vector<SweepAxis> axes;
};

// What the figures of a unit depend on, as a hex digest: its options (results.json's config), the
// model spec and the bytes of the model and hardware files, the data folder, the tool version.
// Reads those files (a file that cannot be read is an Error naming it).
std::string unit_fingerprint(const ExperimentUnit& u);

// The record of a run, OUT/experiment.json: one entry per unit (id, folder, status, the
// fingerprint it ran with, its exit code), rewritten atomically as soon as a unit's report files
// are written, so an interrupted run loses at most the unit in progress. `run --resume` skips
// the units recorded as done whose fingerprint still matches and whose results.json exists.
class RunLog {
  public:
    // A fresh log (every unit pending); with `resume`, the finished units of an existing
    // OUT/experiment.json are taken over (a missing log just means nothing is finished yet; an
    // unreadable one is an Error naming it).
    RunLog(const Experiment& ex, bool resume);
    // Whether unit `i` finished in an earlier run with this fingerprint (and its results.json is
    // there); then `exit_code` gets its recorded exit code.
    bool finished(size_t i, const std::string& fingerprint, int& exit_code) const;
    // Records unit `i` as done and rewrites the log.
    void finish(size_t i, const std::string& fingerprint, int exit_code);
    const nlohmann::json& json() const { return log_; }

  private:
    const Experiment& ex_;
    nlohmann::json log_;
    nlohmann::json previous_;  // units of the log being resumed, by id
};

// Parses and validates an experiment (unknown keys, wrong types, unknown schemes, missing
// files are Errors naming the file and the field). `out_override` replaces the file's `out`.
Experiment load_experiment(const std::filesystem::path& path,
                           const std::filesystem::path& out_override = {});
// The same from the file's text; `path` names it in errors and anchors its relative paths.
Experiment parse_experiment(const std::string& yaml_text, const std::filesystem::path& path,
                            const std::filesystem::path& out_override = {});

}  // namespace sparsecim
