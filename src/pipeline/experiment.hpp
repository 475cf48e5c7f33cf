// Experiment files: `sparsecim run EXPERIMENT.yaml` runs every (model, hardware) unit of an
// experiment with all its schemes through evaluate() and writes a report per unit. Schema in
// docs/experiments.md. Paths inside the file (ONNX models, hardware YAML, data) are relative to
// the experiment file; the output folder is relative to the working directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/evaluate.hpp"

namespace sparsecim {

struct ExperimentUnit {
    std::string id;           // stable, from the model and hardware names, e.g. "tiny-cnn__csr"
    std::string sweep_value;  // the swept parameter's value in this unit (with a sweep)
    EvalOptions options;
    std::filesystem::path out;  // where this unit's report goes
};

struct Experiment {
    std::string name;
    std::string description;
    std::filesystem::path source;
    std::filesystem::path out;
    std::vector<ExperimentUnit> units;
    // Optional sweep of one scheme parameter ("scheme.key"): every (model, hardware) unit runs
    // once per value; `sparsecim run` then writes sweep.html / sweep.csv over the values.
    std::string sweep_param;
    std::vector<std::string> sweep_values;
};

// Parses and validates an experiment (unknown keys, wrong types, unknown schemes, missing
// files are Errors naming the file and the field). `out_override` replaces the file's `out`.
Experiment load_experiment(const std::filesystem::path& path,
                           const std::filesystem::path& out_override = {});

}  // namespace sparsecim
