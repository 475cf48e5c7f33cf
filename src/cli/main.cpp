// The `sparsecim` command: import, accuracy, evaluate, run, zoo. Every failure becomes one line on
// stderr ("sparsecim: error: ...") and exit code 2; --check-exact failures exit 1.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/onnx_io.hpp"
#include "model/summary.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/experiment.hpp"
#include "report/eval_report.hpp"
#include "report/html_report.hpp"
#include "report/text_table.hpp"
#include "schemes/scheme.hpp"

using namespace sparsecim;

namespace {

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ',') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else if (c != ' ') {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

int cmd_import(const std::string& file) {
    const Graph g = import_onnx(file);
    const auto layers = summarize(g);
    TextTable t;
    t.header = {"layer", "op", "weight shape", "K x N", "MACs/image", "weight sparsity"};
    int64_t macs = 0, weights = 0, zeros = 0;
    for (const auto& l : layers) {
        t.rows.push_back(
            {l.name, l.op, shape_str(l.weight_shape),
             std::to_string(l.K) + " x " + std::to_string(l.N), fmt_int(l.macs),
             fmt_pct(l.weights ? static_cast<double>(l.zeros) / static_cast<double>(l.weights)
                               : 0.0)});
        macs += l.macs;
        weights += l.weights;
        zeros += l.zeros;
    }
    t.rows.push_back(
        {"total (" + std::to_string(layers.size()) + " weight layers)", "",
         fmt_int(weights) + " weights", "", fmt_int(macs),
         fmt_pct(weights ? static_cast<double>(zeros) / static_cast<double>(weights) : 0.0)});
    std::cout << file << ": " << g.nodes.size() << " nodes, input "
              << (g.inputs.empty() ? "?" : shape_str(g.inputs[0].shape)) << "\n"
              << t.render();
    return 0;
}

int cmd_accuracy(const std::string& model, int64_t images, int64_t calib, uint64_t seed,
                 const std::string& calibration) {
    EvalOptions opt;
    opt.model = model;
    opt.images = 1;
    opt.accuracy_images = images;
    opt.calib_images = calib;
    opt.seed = seed;
    opt.quant.calibration = calibration;
    opt.schemes = {"dense"};
    opt.progress = true;
    const EvalResult r = evaluate(opt);
    std::cout << "model: " << r.model << "\n";
    if (!r.model_note.empty()) std::cout << "note:  " << r.model_note << "\n";
    std::cout << "Fashion-MNIST test images: " << images << "\n"
              << "float top-1: " << fmt_pct(r.float_accuracy.value_or(0.0)) << "\n"
              << "int8  top-1: " << fmt_pct(r.schemes.at(0).accuracy.value_or(0.0)) << "\n";
    return 0;
}

// Writes the report files of one evaluation, prints its summary (or the JSON with --json), and
// returns 1 when --check-exact found a scheme that is not exact.
int report_run(const EvalResult& r, const std::filesystem::path& out, bool json) {
    const auto path = write_report_files(r, out);
    if (json)
        std::cout << results_json(r).dump(2) << "\n";
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

int cmd_run(const std::string& file, const std::string& out, bool json) {
    const Experiment ex = load_experiment(file, out);
    nlohmann::json index = {{"experiment", ex.name},
                            {"description", ex.description},
                            {"source", ex.source.string()},
                            {"units", nlohmann::json::array()}};
    int rc = 0;
    for (size_t i = 0; i < ex.units.size(); ++i) {
        const ExperimentUnit& u = ex.units[i];
        std::fprintf(stderr, "run %s: unit %zu/%zu %s\n", ex.name.c_str(), i + 1, ex.units.size(),
                     u.id.c_str());
        EvalOptions opt = u.options;
        opt.progress = true;
        rc = std::max(rc, report_run(evaluate(opt), u.out, json));
        // The index records every finished unit as soon as it is written.
        index["units"].push_back({{"id", u.id}, {"dir", u.out.string()}});
        if (ex.units.size() > 1)
            write_file_atomic(ex.out / "experiment.json", index.dump(2) + "\n");
    }
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sparsecim: sparse DNNs on RRAM compute-in-memory crossbars"};
    app.set_version_flag("--version", SPARSECIM_VERSION);
    app.require_subcommand(1);

    std::string import_file;
    auto* imp = app.add_subcommand("import", "Import an ONNX model and print its weight layers");
    imp->add_option("file", import_file, "ONNX model file")->required();

    std::string acc_model;
    int64_t acc_images = 10000, acc_calib = 256;
    uint64_t acc_seed = 1;
    std::string acc_calibration = "max";
    auto* acc = app.add_subcommand("accuracy", "Float and int8 top-1 on Fashion-MNIST");
    acc->add_option("--model", acc_model, "ONNX file or zoo:NAME (default: the bundled model)");
    acc->add_option("--images", acc_images, "test images (max 10000)");
    acc->add_option("--calib-images", acc_calib, "training images for calibration");
    acc->add_option("--calibration", acc_calibration, "max | percentile");
    acc->add_option("--seed", acc_seed, "seed for zoo models");

    EvalOptions ev;
    std::string ev_schemes = "all", ev_out = "sparsecim-out";
    ev.accuracy_images = 1000;
    ev.adc_accuracy_images = 100;
    auto* eva = app.add_subcommand("evaluate", "Run every scheme on a model and report");
    eva->add_option("--model", ev.model, "ONNX file or zoo:NAME (default: the bundled model)");
    eva->add_option("--hw", ev.hw_path, "hardware YAML (default: configs/hw/dense.yaml)");
    eva->add_option("--set", ev.hw_overrides, "override a hardware field, e.g. --set ou.rows=8");
    eva->add_option("--schemes", ev_schemes,
                    "comma-separated schemes, or `all` (default: every scheme, dense first)");
    eva->add_option("--param", ev.scheme_params, "scheme parameter, e.g. --param csr.beta=4");
    eva->add_option("--images", ev.images, "test images simulated bit-serially");
    eva->add_option("--accuracy-images", ev.accuracy_images, "test images for top-1 (0: skip)");
    eva->add_option("--calib-images", ev.calib_images, "training images for calibration");
    eva->add_option("--adc-accuracy-images", ev.adc_accuracy_images,
                    "test images run end to end through the simulated ADC (0: skip)");
    eva->add_option("--calibration", ev.quant.calibration, "max | percentile");
    eva->add_option("--seed", ev.seed, "seed for every random choice");
    eva->add_option("--data", ev.data_dir, "Fashion-MNIST directory");
    eva->add_option("--out", ev_out, "output directory (results.json)");
    bool ev_json = false;
    eva->add_flag("--json", ev_json, "print results.json to stdout instead of the table");
    eva->add_flag("--check-exact", ev.check_exact,
                  "also simulate with an ideal ADC; exit 1 if any output differs");

    std::string run_file, run_out;
    bool run_json = false;
    auto* run = app.add_subcommand("run", "Run an experiment file (models x hardware x schemes)");
    run->add_option("experiment", run_file, "experiment YAML (see docs/experiments.md)")
        ->required();
    run->add_option("--out", run_out, "output folder (default: the file's `out`)");
    run->add_flag("--json", run_json, "print each unit's results.json instead of its table");

    std::string zoo_name, zoo_out;
    uint64_t zoo_seed = 1;
    auto* zoo = app.add_subcommand("zoo", "Write a built-in architecture as ONNX");
    zoo->add_option("name", zoo_name, "architecture")->required();
    zoo->add_option("--out", zoo_out, "output .onnx file")->required();
    zoo->add_option("--seed", zoo_seed, "weight seed");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "sparsecim: error: %s (see --help)\n", e.what());
        return 2;
    }

    try {
        if (imp->parsed()) return cmd_import(import_file);
        if (acc->parsed())
            return cmd_accuracy(acc_model, acc_images, acc_calib, acc_seed, acc_calibration);
        if (zoo->parsed()) {
            export_onnx(make_zoo_model(zoo_name, zoo_seed), zoo_out);
            std::cout << "wrote " << zoo_out << "\n";
            return 0;
        }
        if (run->parsed()) return cmd_run(run_file, run_out, run_json);
        if (eva->parsed()) {
            ev.schemes.clear();
            if (ev_schemes == "all")
                for (const Scheme& sc : scheme_registry()) ev.schemes.push_back(sc.name);
            else
                ev.schemes = split_list(ev_schemes);
            if (ev.schemes.empty()) throw Error("--schemes: no scheme named");
            ev.progress = true;
            return report_run(evaluate(ev), ev_out, ev_json);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sparsecim: error: %s\n", e.what());
        return 2;
    }
    return 2;
}
