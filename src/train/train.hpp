// Training and finetuning of a Graph on Fashion-MNIST with LibTorch, behind a plain C++ API.
//
// One step: a shuffled mini-batch (optionally randomly mirrored left-right), forward in training
// mode (BatchNorm uses batch statistics and updates its running ones), cross-entropy on the
// logits (a final Softmax is skipped), backward, the regulariser's gradient added, gradients of
// masked-out weights zeroed, one optimizer step, masked-out weights set back to exactly zero.
// The learning rate follows a cosine schedule from `lr` to 0 over all steps (or stays constant).
// With `ste_bits` > 0 every weight layer computes with its weights fake-quantized to the
// symmetric per-output-channel grid of the post-training quantizer (scale = max|w| / qmax), the
// rounding's gradient passed straight through; the result graph is then snapped onto that grid.
// Deterministic for a seed, a thread count and a machine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "model/graph.hpp"
#include "model/idx.hpp"
#include "train/masks.hpp"

namespace sparsecim {

// A scheme's regulariser: called every step for each weight constant of a weight layer (`name`,
// its current float values in the constant's layout); returns the penalty it adds to the loss and
// adds d(penalty)/d(weight) into `grad` (same shape, zero on entry).
using RegularizerFn =
    std::function<double(const std::string& name, const Tensor& weight, Tensor& grad)>;

struct TrainOptions {
    int epochs = 1;
    uint64_t seed = 1;
    std::string optimizer = "adam";   // "adam" | "sgd" (SGD with Nesterov momentum)
    double lr = 0.0;                  // 0 = the optimizer's default: adam 1e-3, sgd 0.05
    double momentum = 0.9;            // sgd only
    double weight_decay = 0.0;        // L2, on every parameter
    std::string schedule = "cosine";  // "cosine" (lr -> 0 over all steps) | "constant"
    int64_t batch = 128;
    int threads = 0;              // torch::set_num_threads; 0 = leave LibTorch's default
    int64_t train_images = 0;     // 0 = the whole training set given
    int64_t test_images = 10000;  // evaluated after each epoch (0 = skip)
    int64_t max_steps = 0;        // stop after this many steps in total (0 = no limit)
    bool augment = false;         // mirror each training image left-right with probability 1/2
    MaskSet masks;                // weights held at exactly zero (see masks.hpp)
    int ste_bits = 0;             // > 0: quantization-aware with a straight-through estimator
    // Optional: quantization-aware on a grid of the caller's (a scheme's own): given the current
    // weights (BatchNorm as trained), the value each named weight constant computes with, in the
    // constant's layout. Called before the first step and every `project_every` steps; the
    // forward pass uses the values (straight-through gradient) instead of the ste_bits grid, and
    // the result graph's weights are set to project(result).
    std::function<std::map<std::string, std::vector<float>>(const Graph& g)> project;
    int64_t project_every = 1;
    RegularizerFn regularizer;  // optional
    // Optional distillation: with a teacher (a graph on the same inputs and classes, run in
    // inference mode in float), the loss is (1 - distill_alpha) x cross-entropy + distill_alpha
    // x T^2 x KL(softmax(teacher / T) || softmax(student / T)), T = distill_temperature.
    std::shared_ptr<const Graph> teacher;
    double distill_alpha = 0.0;
    double distill_temperature = 4.0;
    // Optional: masks that change during training (gradual pruning). Called before the first
    // step and then every `remask_every` steps with the step number, the total number of steps
    // and the current weights (BatchNorm as trained); the returned masks replace `masks` (the
    // weights they mask are set to zero) and hold until the next call. The result graph carries
    // the last masks.
    std::function<MaskSet(int64_t step, int64_t total_steps, const Graph& g)> remask;
    int64_t remask_every = 0;
    // Called after each finished epoch with its number and the weights so far (a checkpoint).
    std::function<void(int epoch, const Graph& g)> on_epoch;
    bool progress = true;  // progress on stderr
    // Resume: epochs before `start_epoch` are skipped (their shuffles and mirror draws replayed,
    // so the data order and the learning-rate schedule continue where they stopped). The
    // optimizer's state (Adam moments, momentum) starts afresh, so a resumed run is close to,
    // not bit-identical with, an uninterrupted one.
    int start_epoch = 1;
    std::string label = "train";  // prefix of the progress lines
};

struct EpochLog {
    int epoch = 0;
    int64_t steps = 0;
    double loss = 0.0;     // mean loss over the epoch's steps (cross-entropy, or distillation's)
    double penalty = 0.0;  // mean regulariser penalty
    double train_accuracy = 0.0;
    std::optional<double> test_accuracy;
    double seconds = 0.0;
};

struct TrainResult {
    Graph graph;  // the trained weights (snapped to the grid with ste_bits)
    std::vector<EpochLog> epochs;
    std::vector<double> step_losses;
    double seconds = 0.0;
};

// Throws Error naming the option (as its command-line flag) for a bad value.
void validate(const TrainOptions& opt);

TrainResult train_graph(const Graph& g, const Dataset& train, const Dataset& test,
                        const TrainOptions& opt);

// Top-1 of the graph through LibTorch on the first `count` images of `test` (all for 0), with
// weights fake-quantized when ste_bits > 0.
double torch_accuracy(const Graph& g, const Dataset& test, int64_t count = 0, int ste_bits = 0);

}  // namespace sparsecim
