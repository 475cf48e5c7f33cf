// Results of an evaluation as plain values: the settings that shaped the figures, and per scheme
// and per layer what the mapping occupies, what the simulation counted, what it costs and how
// accurate it is. No callbacks, nothing left to parse: reports (report/) read these, the
// pipeline (pipeline/evaluate.hpp) fills them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cost/cost_model.hpp"
#include "hw/hw_config.hpp"
#include "infer/modelled_trace.hpp"
#include "quant/ptq.hpp"
#include "sim/stats.hpp"

namespace sparsecim {

// The settings of an evaluation that shape its figures (results.json's "config" apart from the
// resolved hardware). `hw_overrides` and `scheme_params` are kept as given, for the record only:
// the hardware they produced is EvalResult::hw.
struct EvalSettings {
    std::string experiment;                 // name of the experiment file it came from, if any
    std::vector<std::string> hw_overrides;  // "section.key=value"
    std::vector<std::string> schemes = {"dense"};
    // Scheme parameters, "scheme.key=value" (value parsed as JSON, else taken as a string).
    std::vector<std::string> scheme_params;
    int64_t images = 1;               // test images simulated bit-serially
    int64_t accuracy_images = 10000;  // test images for top-1 (0 = skip)
    // Where top-1 (and the simulated images) come from: "test" (the test set, for reporting) or
    // "val" (the last 10,000 training images, for choosing hyper-parameters; finetuning then
    // trains on the first 50,000 only).
    std::string accuracy_split = "test";
    int64_t calib_images = 256;  // training images for calibration
    // Test images run end to end through the simulator with the config's ADC (every weight layer
    // computed by its mapping), to measure the accuracy change the real ADC causes (0 = skip).
    int64_t adc_accuracy_images = 0;
    // Real devices (hw.nonideal()): that top-1 over this many Monte Carlo trials, each with its
    // own seed for stuck cells, variation and read noise (0: one); mappings are reused.
    int trials = 0;
    // ADC sizing: the first this many calibration images run through every scheme's mapping
    // (ideal cells and ADC) to find the largest column sum each layer converts, hence the fewest
    // ADC bits that keep its outputs exact on them (0: off).
    int64_t size_adc_images = 0;
    // With size_adc_images: also the fewest ADC bits per layer that keep top-1 on this many
    // validation images (the training set's held-out split, never the test set) within
    // size_adc_max_drop percentage points of the exact integer top-1 (0: off).
    int64_t size_adc_top1_images = 0;
    double size_adc_max_drop = 0.5;
    bool check_exact = false;  // also simulate with an ideal ADC and compare
    // Simulate counts only (Stats, hence energy, cycles and area, without output values; no
    // mismatch check). The same Stats as the full simulation, faster.
    bool counts_only = false;
    uint64_t seed = 1;
    QuantOptions quant;
    // Where each weight layer's input trace comes from: "traces" = the integer reference on the
    // test images (an error when the graph cannot run on them); "modelled" = synthetic inputs
    // from `activation_model` (mapping-only analysis, docs/model-import.md); "auto" = traces when
    // the graph runs on Fashion-MNIST images, modelled otherwise.
    std::string activations = "auto";
    ActivationModels activation_model;
    // With finetune_epochs > 0 (and accuracy_images > 0): per scheme, the model is finetuned with
    // the scheme's masks (zero integer weights of its QuantModel) and its regulariser (if any),
    // quantized again by the scheme, its int top-1 reported as finetuned_accuracy, and the
    // finetuned model evaluated as one more entry "<scheme>+ft" right after the scheme's (see
    // SchemeResult::finetuned_from). Finetuning trains the model with its BatchNorm layers kept
    // (batch statistics, learnable scale and shift) and folds them afterwards.
    int finetune_epochs = 0;
    int64_t finetune_images = 0;  // training images for finetuning (0 = all 60,000)
    double finetune_lr = 2e-3;    // Adam's peak learning rate, cosine-decayed to 0
    // Per scheme: its own peak learning rate instead of finetune_lr (a scheme that prunes little,
    // like sme, keeps its accuracy with a smaller step than a heavily pruned one).
    std::map<std::string, double> finetune_lr_scheme;
    // Per scheme: its own number of finetuning epochs instead of finetune_epochs (a heavily
    // pruned scheme needs longer to recover than a lightly pruned one). Applies only when
    // finetune_epochs > 0.
    std::map<std::string, int> finetune_epochs_scheme;
    // Knowledge distillation from the trained (dense, float) model: the loss is
    // (1 - a) x cross-entropy + a x T^2 x KL(teacher || student) on logits / T (Hinton et al.
    // 2015), a = finetune_distill (0 = off), T = finetune_temperature.
    double finetune_distill = 0.0;
    double finetune_temperature = 4.0;
    // false: the scheme "dense" is not finetuned (no "dense+ft" entry); its top-1 as trained is
    // the reference (sparsecim tune).
    bool finetune_dense = true;
    // "oneshot": the scheme's masks of the trained model from the first step; "gradual": the
    // scheme's masks are reached over the first half of the steps (cubic schedule of Zhu & Gupta
    // 2017, the scheme re-choosing what to prune from the current weights). oneshot is the
    // default: it scored higher on the validation split at a one-epoch budget
    // (docs/design-decisions.md).
    std::string finetune_prune = "oneshot";
    // The weight grid finetuning trains on (straight-through): "scheme" = the values the scheme's
    // own prepare step gives the current weights (twofold's per-layer b-bit grid, sme's windows
    // and crossbar budget, the int8 grid of the others), refreshed every step; "int8" = the
    // per-channel int8 grid for every scheme (the earlier recipe).
    std::string finetune_grid = "scheme";
    // A `sparsecim tune` output directory (its tune.json and models/<scheme>-tuned.onnx): each
    // scheme it tuned maps its tuned model with its chosen knob value instead of the run's model
    // (dense stays the run's model, the one that was tuned). "" = the bundled tuned set when the
    // model is the bundled default, else none; "none" = none. Resolved in EvalResult::options.
    std::string tuned;
};

// The finetuning epochs of `scheme`: its finetune_epochs_scheme entry, else finetune_epochs.
inline int finetune_epochs_of(const EvalSettings& o, const std::string& scheme) {
    const auto it = o.finetune_epochs_scheme.find(scheme);
    return it != o.finetune_epochs_scheme.end() ? it->second : o.finetune_epochs;
}

struct LayerResult {
    std::string name;
    std::string op;
    int64_t K = 0, N = 0;
    int64_t groups = 1;  // diagonal blocks of a grouped conv: K x N / groups weight positions
    double weight_sparsity = 0.0;  // zero weights over the weight positions
    int64_t positions = 0;
    // Whether the layer's input trace is real (integer reference on test images) or modelled;
    // `model` is what was asked for when modelled, `measured` what the trace holds (both kinds).
    bool modelled = false;
    ActivationModel model;
    ActivationStats measured;
    Footprint footprint;
    std::vector<int64_t> cell_states;       // stored cells by state
    std::map<std::string, double> figures;  // the scheme's own figures (Mapping::figures)
    std::vector<std::string> notes;         // the scheme's remarks (Mapping::notes)
    Stats stats;
    Cost cost;
    int64_t outputs_checked = 0;
    int64_t mismatches = 0;      // under the config's ADC
    double squared_error = 0.0;  // sum of (computed - reference)^2 of the outputs
    // With size_adc_images: the largest column sum the layer converted on those images.
    std::optional<int64_t> largest_sum;
    // adc.calibration profiled or percentile: the column sum the ADC's top code stood for, as
    // the calibration pass measured it.
    std::optional<double> adc_range;
    // With size_adc_top1_images: the ADC bits the top-1 search chose for this layer.
    std::optional<int> adc_bits_top1;
    std::optional<int64_t> ideal_mismatches;  // under an ideal ADC (with --check-exact)
};

struct SchemeResult {
    std::string name;
    std::string summary;
    // Non-empty: this entry is that scheme's model after finetuning (evaluate --finetune), named
    // "<scheme>+ft", quantized, mapped, simulated and priced again like any scheme.
    std::string finetuned_from;
    // Non-empty: the model this entry mapped instead of the run's (its tuned model, with the
    // knob value of `tuned_param`; EvalSettings::tuned).
    std::string model, tuned_param;
    std::vector<LayerResult> layers;
    Footprint footprint;
    std::vector<int64_t> cell_states;       // summed over layers
    std::map<std::string, double> figures;  // summed over layers
    Stats stats;
    Cost cost;
    double weight_sparsity = 0.0;
    int64_t outputs_checked = 0;
    int64_t mismatches = 0;
    double squared_error = 0.0;
    std::optional<int64_t> ideal_mismatches;
    std::optional<double> accuracy;            // int top-1 on the test images
    std::optional<double> finetuned_accuracy;  // the same after finetuning (finetune_epochs > 0)
    // On the first adc_accuracy_images test images: exact integer top-1 and top-1 with every
    // weight layer computed by the simulator under the config's ADC.
    std::optional<double> adc_exact_accuracy, adc_sim_accuracy;
    // With size_adc_top1_images: top-1 on those validation images, exact and through ADCs of
    // each layer's adc_bits_top1.
    std::optional<double> adc_top1_exact, adc_top1_sized;
    // On real devices (hw.nonideal()): the top-1 of each trial (EvalSettings::trials), each on
    // its own programming of the cells and read noise; adc_sim_accuracy is their mean.
    std::vector<double> trial_accuracy;
    // The entry this scheme's ratios are against: "dense" (the run's dense) or the name of one of
    // EvalResult::baselines, dense on the hardware and input-side features the scheme uses.
    // Empty: the run's dense.
    std::string baseline;
    // Scheme::uses_zero_weights: false when sparsity_utilization means nothing for the scheme.
    bool uses_zero_weights = true;
    // The hardware the entry was mapped and priced on, when it is not the run's (Scheme::hw_used:
    // sme's 1-bit cells, and their matched baseline).
    std::optional<HwConfig> hw;
};

struct EvalResult {
    std::string model;       // what was asked for
    std::string model_note;  // e.g. "untrained test model (no trained default bundled yet)"
    // The images top-1 and the simulation ran on: "fashion-mnist/test", "fashion-mnist/val" or
    // the user's .npy inputs (empty: modelled activations, no images).
    std::string data;
    HwConfig hw;
    EvalSettings options;
    std::optional<double> float_accuracy;
    // Why the activations are modelled (empty when every layer ran on real traces).
    std::string activations_note;
    std::vector<SchemeResult> schemes;
    // Matched dense baselines: the run's dense model mapped again on a scheme's own cell bits
    // (Scheme::hw_used) and with its zero-input skipping (Scheme::skips_zero_inputs), when these
    // differ from the run's. Named "dense[...]" after what differs; a scheme names its own in
    // SchemeResult::baseline.
    std::vector<SchemeResult> baselines;
    double seconds = 0.0;
};

}  // namespace sparsecim
