// Experiment files: `sparsecim run EXPERIMENT.yaml` runs every (model, hardware) unit of an
// experiment with all its schemes through evaluate() and writes a report per unit. Schema in
// docs/experiments.md. Paths inside the file (ONNX models, hardware YAML, data) are relative to
// the experiment file; the output folder is relative to the working directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/claims.hpp"
#include "pipeline/evaluate.hpp"

namespace sparsecim {

struct ExperimentUnit {
    std::string id;  // stable, from the model and hardware names, e.g. "tiny-cnn__csr"
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
};

// Parses and validates an experiment (unknown keys, wrong types, unknown schemes, missing
// files are Errors naming the file and the field). `out_override` replaces the file's `out`.
Experiment load_experiment(const std::filesystem::path& path,
                           const std::filesystem::path& out_override = {});

}  // namespace sparsecim
