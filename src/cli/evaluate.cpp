// `sparsecim evaluate`: every scheme on one model, reported; and the finetuning and report
// steps `run` shares with it.
#include <cstdio>
#include <iostream>
#include <type_traits>

#include "cli/commands.hpp"
#include "infer/modelled_trace.hpp"
#include "model/idx.hpp"
#include "report/eval_report.hpp"
#include "report/html_report.hpp"
#include "results/reprice.hpp"
#include "schemes/scheme.hpp"
#ifdef SPARSECIM_HAVE_TORCH
#include "train/torch_plugin.hpp"
#endif

namespace sparsecim::cli {

template <typename T>
void add_per_scheme_option(CLI::App* app, const std::string& flag, const std::string& what,
                           std::map<std::string, T>& into, const std::string& help) {
    app->add_option_function<std::vector<std::string>>(
           flag,
           [&into, flag, what](const std::vector<std::string>& items) {
               for (const std::string& item : items) {
                   const size_t eq = item.find('=');
                   T value{};
                   try {
                       if (eq == std::string::npos || eq == 0) throw std::invalid_argument(item);
                       size_t used = 0;
                       const std::string text = item.substr(eq + 1);
                       if constexpr (std::is_integral_v<T>)
                           value = static_cast<T>(std::stoi(text, &used));
                       else
                           value = static_cast<T>(std::stod(text, &used));
                       if (used != text.size()) throw std::invalid_argument(item);
                   } catch (const std::logic_error&) {
                       throw CLI::ValidationError(
                           flag, "expected SCHEME=" + what + ", got '" + item + "'");
                   }
                   into[item.substr(0, eq)] = value;
               }
           },
           "SCHEME=" + what + ": " + help + " (repeatable)")
        ->take_all();
}
template void add_per_scheme_option(CLI::App*, const std::string&, const std::string&,
                                    std::map<std::string, int>&, const std::string&);
template void add_per_scheme_option(CLI::App*, const std::string&, const std::string&,
                                    std::map<std::string, double>&, const std::string&);

void add_finetune_recipe(CLI::App* app, EvalOptions& ev) {
    app->add_option("--finetune-lr", ev.finetune_lr,
                    "Adam's peak learning rate of finetuning, cosine-decayed to 0")
        ->check(CLI::Range(1e-7, 0.999));
    add_per_scheme_option(app, "--finetune-lr-scheme", "LR", ev.finetune_lr_scheme,
                          "that scheme's peak learning rate instead of --finetune-lr");
    app->add_option("--finetune-distill", ev.finetune_distill,
                    "weight a of distillation from the trained dense float model in the "
                    "finetuning loss: (1-a) cross-entropy + a T^2 KL(teacher || student) (0: off)")
        ->check(CLI::Range(0.0, 1.0));
    app->add_option("--finetune-temperature", ev.finetune_temperature,
                    "temperature T of --finetune-distill")
        ->check(CLI::Range(1e-3, 100.0));
    app->add_option("--finetune-prune", ev.finetune_prune,
                    "oneshot (the scheme's masks of the trained model from the first step) | "
                    "gradual (reached over the first half of finetuning, Zhu & Gupta's cubic "
                    "schedule)")
        ->check(CLI::IsMember({"gradual", "oneshot"}));
    app->add_option("--finetune-grid", ev.finetune_grid,
                    "the weight grid finetuning trains on: scheme (the scheme's own prepare step "
                    "on the current weights, every step) | int8 (per-channel int8 for every "
                    "scheme)")
        ->check(CLI::IsMember({"scheme", "int8"}));
}

void add_input_shape_option(CLI::App* app, std::vector<std::string>& input_shapes) {
    app->add_option("--input-shape", input_shapes,
                    "NAME=d1,d2,...: fix a graph input's dynamic dimensions (repeatable; the "
                    "batch stays the number of images)");
}

void add_data_options(CLI::App* app, DataSource& data) {
    app->add_option("--data", data.dir, "Fashion-MNIST directory");
    app->add_option("--inputs", data.inputs,
                    "your own test images instead of Fashion-MNIST: .npy [N,C,H,W], float32/64 or "
                    "uint8 (scaled to [0, 1]); calibration takes its last --calib-images unless "
                    "--train-inputs is given");
    app->add_option("--labels", data.labels, "the labels of --inputs: .npy [N], int32/int64");
    app->add_option("--train-inputs", data.train_inputs,
                    "your own training images (.npy) for calibration, finetuning and the "
                    "validation split (its last sixth)");
    app->add_option("--train-labels", data.train_labels, "the labels of --train-inputs (.npy)");
    app->add_option("--mean", data.mean,
                    "per-channel mean subtracted from .npy images (comma-separated, or one)")
        ->delimiter(',');
    app->add_option("--std", data.stdev,
                    "per-channel std the .npy images are divided by (comma-separated, or one)")
        ->delimiter(',');
}

// Plugs LibTorch finetuning into an evaluation when it asks for it (finetune_epochs > 0); without
// LibTorch such a request is an error.
void attach_finetuner(EvalOptions& ev) {
    if (ev.finetune_epochs <= 0) return;
#ifdef SPARSECIM_HAVE_TORCH
    ev.finetune = [data = ev.data](const Graph& g, const TrainOptions& t) {
        return torch_functions()
            .train_graph(g, load_split(data, "train", t.train_images), Dataset{}, t)
            .graph;
    };
#else
    throw Error(
        "finetune_epochs: this build has no LibTorch (install libtorch-dev with "
        "scripts/install-deps.sh and configure with -DSPARSECIM_TORCH=ON)");
#endif
}

// Writes the report files of one evaluation, prints its summary (or the JSON with --json), and
// returns 1 when --check-exact found a scheme that is not exact.
int report_run(const EvalResult& r, const std::filesystem::path& out, bool json) {
    const auto path = write_report_files(r, out);
    if (json)
        std::cout << results_json_text(r);
    else
        std::cout << summary_table(r) << "report: " << (out / "report.html").string()
                  << "  results: " << path.string() << "\n";
    std::fprintf(stderr, "evaluate: %.2f s\n", r.seconds);
    int rc = 0;
    if (r.options.check_exact)
        for (const auto& s : r.schemes)
            if (s.ideal_mismatches.value_or(0) != 0) {
                std::fprintf(stderr,
                             "sparsecim: error: scheme '%s' is not exact under an ideal ADC "
                             "(%lld outputs differ)\n",
                             s.name.c_str(), static_cast<long long>(*s.ideal_mismatches));
                rc = 1;
            }
    return rc;
}

Command add_evaluate(CLI::App& app) {
    struct Args {
        EvalOptions ev;
        std::string schemes = "all", out = "sparsecim-out", accelergy, device;
        bool json = false;
        std::vector<std::string> density, bit_density;
    };
    auto a = std::make_shared<Args>();
    EvalOptions& ev = a->ev;
    ev.accuracy_images = 1000;
    ev.adc_accuracy_images = 100;
    auto* eva = app.add_subcommand("evaluate", "Run every scheme on a model and report");
    eva->add_option("--model", ev.model, "ONNX file or zoo:NAME (default: the bundled model)");
    add_input_shape_option(eva, ev.input_shapes);
    eva->add_option("--hw", ev.hw_path, "hardware YAML (default: configs/hw/dense.yaml)");
    eva->add_option("--set", ev.hw_overrides, "override a hardware field, e.g. --set ou.rows=8");
    eva->add_option("--schemes", a->schemes,
                    "comma-separated schemes, or `all` (default: every scheme, dense first)");
    eva->add_option("--param", ev.scheme_params, "scheme parameter, e.g. --param csr.beta=4");
    eva->add_option("--tuned", ev.tuned,
                    "a `sparsecim tune` output directory: each scheme it tuned maps its tuned "
                    "model at its chosen value | none (default: the bundled tuned set with the "
                    "bundled model, else none)");
    eva->add_option("--images", ev.images, "test images simulated bit-serially");
    eva->add_option("--accuracy-images", ev.accuracy_images, "test images for top-1 (0: skip)");
    eva->add_option("--accuracy-split", ev.accuracy_split,
                    "test | val: score top-1 on the test set or on the validation split (the last "
                    "10,000 training images; finetuning then uses the first 50,000)")
        ->check(CLI::IsMember({"test", "val"}));
    eva->add_option("--calib-images", ev.calib_images, "training images for calibration");
    eva->add_option("--device", a->device,
                    "real RRAM cells: a preset (mild, harsh: configs/device/) or a YAML of "
                    "`device:` fields, applied before --set (docs/nonideal.md)");
    eva->add_option("--size-adc", ev.size_adc_images,
                    "ADC sizing: run N calibration images through each mapping and report per "
                    "layer the fewest ADC bits that keep its outputs exact, and the ADC energy "
                    "saved (0: off)");
    eva->add_option("--size-adc-top1", ev.size_adc_top1_images,
                    "with --size-adc: also the fewest ADC bits per layer that keep top-1 on N "
                    "validation images within --size-adc-max-drop pp of exact (0: off)");
    eva->add_option("--size-adc-max-drop", ev.size_adc_max_drop,
                    "the top-1 drop in percentage points --size-adc-top1 allows (default 0.5)");
    eva->add_option("--trials", ev.trials,
                    "with real devices: Monte Carlo trials of the top-1 through the simulated "
                    "devices and ADC, each with its own seed (mean and std per scheme)");
    eva->add_option("--adc-accuracy-images", ev.adc_accuracy_images,
                    "test images run end to end through the simulated ADC (0: skip)");
    eva->add_option("--calibration", ev.quant.calibration, "max | percentile");
    eva->add_option("--seed", ev.seed, "seed for every random choice");
    add_data_options(eva, ev.data);
    eva->add_option("--out", a->out, "output directory (results.json)");
    eva->add_flag("--json", a->json, "print results.json to stdout instead of the table");
    eva->add_option("--export-accelergy", a->accelergy,
                    "also write the run's prices (ERT, ART, bindings) and per-layer action counts "
                    "in Accelergy's formats into this directory (docs/accelergy.md)");
    eva->add_option(
        "--finetune", ev.finetune_epochs,
        "also report top-1 after finetuning EPOCHS with each scheme's masks (LibTorch)");
    eva->add_option("--finetune-images", ev.finetune_images,
                    "training images for --finetune (0: all 60000)");
    add_per_scheme_option(eva, "--finetune-epochs-scheme", "EPOCHS", ev.finetune_epochs_scheme,
                          "that scheme's finetuning epochs instead of --finetune's");
    add_finetune_recipe(eva, ev);
    eva->add_flag("--check-exact", ev.check_exact,
                  "also simulate with an ideal ADC; exit 1 if any output differs");
    eva->add_flag("--counts-only", ev.counts_only,
                  "simulate costs only: no output values computed or checked (faster)");
    eva->add_option("--activations", ev.activations,
                    "auto (traces when the graph runs on Fashion-MNIST, else modelled) | traces "
                    "| modelled");
    eva->add_option("--activation-density", a->density,
                    "modelled activations: fraction of non-zero inputs, X or LAYER=X (default "
                    "0.5)");
    eva->add_option("--bit-density", a->bit_density,
                    "modelled activations: fraction of 1 bits of a non-zero input, X or "
                    "LAYER=X (default 0.25)");
    return {eva, [a] {
                EvalOptions& opt = a->ev;
                opt.schemes.clear();
                if (a->schemes == "all")
                    for (const Scheme& sc : scheme_registry()) opt.schemes.push_back(sc.name);
                else
                    opt.schemes = split_list(a->schemes);
                if (opt.schemes.empty()) throw Error("--schemes: no scheme named");
                for (const auto& v : a->density)
                    set_activation_option(opt.activation_model, "activation_density", v);
                for (const auto& v : a->bit_density)
                    set_activation_option(opt.activation_model, "bit_density", v);
                if (!a->device.empty()) {
                    const auto d = device_overrides(a->device);
                    opt.hw_overrides.insert(opt.hw_overrides.begin(), d.begin(), d.end());
                }
                opt.progress = true;
                attach_finetuner(opt);
                const EvalResult r = evaluate(opt);
                if (!a->accelergy.empty())
                    write_accelergy_export(results_json(r), "results", a->accelergy);
                return report_run(r, a->out, a->json);
            }};
}

}  // namespace sparsecim::cli
