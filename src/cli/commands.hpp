// The subcommands of `sparsecim`, one file each (src/cli/<command>.cpp). Each add_* registers its
// subcommand and options on the app and returns what runs it once the command line is parsed;
// main.cpp only lists them, parses and reports errors.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "pipeline/evaluate.hpp"

namespace sparsecim::cli {

struct Command {
    CLI::App* sub = nullptr;
    std::function<int()> run;  // its exit code
};

Command add_import(CLI::App& app);
Command add_accuracy(CLI::App& app);
Command add_evaluate(CLI::App& app);
Command add_run(CLI::App& app);
Command add_sweep(CLI::App& app);
Command add_reproduce(CLI::App& app);
Command add_zoo(CLI::App& app);
Command add_params(CLI::App& app);
Command add_tune(CLI::App& app);
Command add_infer(CLI::App& app);
Command add_price(CLI::App& app);
std::vector<Command> add_training(CLI::App& app);  // train and finetune

// --input-shape NAME=d1,d2,... (repeatable) into `input_shapes` (set_input_shapes).
void add_input_shape_option(CLI::App* app, std::vector<std::string>& input_shapes);

// Where the data comes from: --data (a Fashion-MNIST directory) or the user's .npy arrays
// (--inputs, --labels, --train-inputs, --train-labels, --mean, --std), into `data`.
void add_data_options(CLI::App* app, DataSource& data);

// The finetuning recipe's options (--finetune-lr, -distill, -temperature, -prune) into `ev`.
void add_finetune_recipe(CLI::App* app, EvalOptions& ev);
// A repeatable SCHEME=VALUE option filling a per-scheme map (int or double values); a malformed
// item is a usage error naming the flag.
template <typename T>
void add_per_scheme_option(CLI::App* app, const std::string& flag, const std::string& what,
                           std::map<std::string, T>& into, const std::string& help);

// Plugs LibTorch finetuning into an evaluation when it asks for it (finetune_epochs > 0).
void attach_finetuner(EvalOptions& ev);
// Writes the report files of one evaluation, prints its summary (or the JSON), and returns 1
// when check_exact found a scheme that is not exact.
int report_run(const EvalResult& r, const std::filesystem::path& out, bool json);

// An error as the command line words it (a FieldError by the flag that sets its value).
std::string cli_message(const std::exception& e);

}  // namespace sparsecim::cli
