// evaluate: the whole pipeline for one model and hardware config, every requested scheme against
// the same data: import -> (scheme) quantize+prune -> integer reference with traces -> map ->
// verify -> simulate -> price -> accuracy on the real test set.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/dataset.hpp"
#include "model/graph.hpp"
#include "pipeline/eval_cache.hpp"
#include "results/results.hpp"
#include "schemes/scheme.hpp"
#include "train/masks.hpp"
#include "train/train.hpp"

namespace sparsecim {

// Trains `g` (BatchNorm kept, not folded) as `t` says (evaluate fills every field: epochs,
// learning rate, masks or their schedule, weight grid, regulariser, training images) on the
// training set, returning the trained graph. Supplied by the caller (the CLI plugs in LibTorch's
// train_graph and the data), so the pipeline itself does not depend on LibTorch.
using FinetuneFn = std::function<Graph(const Graph& g, const TrainOptions& t)>;

// What evaluate() is asked to do: the settings recorded with the results, plus the inputs that
// are not results (where the model, hardware and data come from, threads, progress, the
// finetuning hook).
struct EvalOptions : EvalSettings {
    std::string model;    // ONNX file or zoo:NAME; empty = the bundled default
    std::string hw_path;  // empty = configs/hw/dense.yaml
    // "NAME=d1,d2,...": concrete dimensions of graph inputs (set_input_shapes).
    std::vector<std::string> input_shapes;
    DataSource data;  // Fashion-MNIST (Debian's, by default) or the user's .npy arrays
    bool progress = false;
    // Optional: told each stage as it starts ("csr: simulate 1 image(s)", ...), from the thread
    // that called evaluate().
    std::function<void(const std::string& stage)> on_progress;
    // Threads for mapping, simulation and top-1 (0 = all cores); the figures never depend on it.
    // Sweeps running points side by side give each point one.
    int threads = 0;
    // Modelled activations: the input bytes one batch of simulated images may hold. More images
    // are made batch by batch as they are simulated, so memory holds one batch; the traces and
    // the figures do not depend on it.
    int64_t modelled_batch_bytes = int64_t{512} << 20;
    FinetuneFn finetune;  // used with finetune_epochs > 0
    // Optional: gets each scheme's finetuned model (folded, before the scheme quantizes it).
    std::function<void(const std::string& scheme, const Graph& finetuned)> on_finetuned;
};

// The hardware of a run: `hw_path` (empty: configs/hw/dense.yaml), plus the periphery components
// of every registered scheme's preset (configs/hw/<scheme>.yaml) it does not define itself, so
// any scheme can be priced under any config; then the "section.key=value" overrides.
HwConfig resolve_hw(const std::string& hw_path, const std::vector<std::string>& overrides);

// Loads "zoo:NAME" or an ONNX file; empty -> the bundled default (with a note saying what it is).
// An ONNX file's BatchNorm layers are folded into their convs unless `fold_batchnorm` is false
// (for training); zoo graphs keep theirs either way.
Graph load_model(const std::string& spec, uint64_t seed, std::string* note = nullptr,
                 bool fold_batchnorm = true, const std::vector<std::string>& input_shapes = {});

// Fixes the dynamic dimensions of `g`'s inputs from "NAME=d1,d2,..." assignments: each names a
// graph input and gives every dimension; a dimension the model fixes must be given as it is. The
// first (batch) dimension stays dynamic when the model has it so (it is the number of images run
// at once; one where a single shape is needed). Throws FieldError "input_shape" on a malformed
// assignment, an unknown input, a wrong rank or a conflicting dimension.
void set_input_shapes(Graph& g, const std::vector<std::string>& input_shapes);

// With a `cache`, the stages shared with other evaluations through it (import, data, float and
// int top-1, quantization, traces, mapping and simulation) are taken from it or added to it;
// the result is the same either way.
EvalResult evaluate(const EvalOptions& opt, EvalCache* cache = nullptr);

// "" when `g` can run on images of shape `image` ([C, H, W]; every op known, one input of shape
// [N, C, H, W]), else a one-line reason naming the file and the first obstacle.
std::string why_not_executable(const Graph& g, const Shape& image = {1, 28, 28},
                               const std::string& images = "Fashion-MNIST images");

// The context scheme `name` runs with in an evaluation with settings `opt` on `hw`: that hardware,
// opt's quantization with hw's weight and activation bits, opt's seed and the scheme's own
// parameters from opt.scheme_params, checked by the scheme (throws its FieldError).
SchemeContext scheme_context(const std::string& name, const HwConfig& hw, const EvalSettings& opt);

// Parameters of one scheme from "scheme.key=value" assignments (others' are ignored). Throws
// Error naming the assignment when it is malformed.
nlohmann::json scheme_params_for(const std::string& scheme,
                                 const std::vector<std::string>& assignments);

}  // namespace sparsecim
