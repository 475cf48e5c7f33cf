// The `sparsecim` command: import, accuracy, evaluate, run, sweep, reproduce, zoo, params, train,
// finetune.
// Every failure becomes one line on stderr ("sparsecim: error: ...") and exit code 2; --check-exact
// failures exit 1.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/experiment.hpp"
#include "pipeline/sweep.hpp"
#ifdef SPARSECIM_HAVE_MPI
#include "pipeline/sweep_mpi.hpp"
#endif
#include "report/eval_report.hpp"
#include "report/html_report.hpp"
#include "report/reproduction.hpp"
#include "report/sweep_report.hpp"
#include "report/text_table.hpp"
#include "schemes/scheme.hpp"
#include "train/masks.hpp"
#ifdef SPARSECIM_HAVE_TORCH
#include "train/train.hpp"
#endif

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
    const Graph g = file.rfind("zoo:", 0) == 0 ? load_model(file, 1) : import_onnx(file);
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
    if (const std::string why = why_not_executable(g); !why.empty())
        std::cout << "inference cannot run on Fashion-MNIST (" << why
                  << "):\nevaluate maps these layers with modelled activations "
                     "(docs/model-import.md)\n";
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
    opt.activations = "traces";  // accuracy needs the graph to run
    opt.progress = true;
    const EvalResult r = evaluate(opt);
    std::cout << "model: " << r.model << "\n";
    if (!r.model_note.empty()) std::cout << "note:  " << r.model_note << "\n";
    std::cout << "Fashion-MNIST test images: " << images << "\n"
              << "float top-1: " << fmt_pct(r.float_accuracy.value_or(0.0)) << "\n"
              << "int8  top-1: " << fmt_pct(r.schemes.at(0).accuracy.value_or(0.0)) << "\n";
    return 0;
}

// Plugs LibTorch finetuning into an evaluation when it asks for it (finetune_epochs > 0); without
// LibTorch such a request is an error.
void attach_finetuner(EvalOptions& ev) {
    if (ev.finetune_epochs <= 0) return;
#ifdef SPARSECIM_HAVE_TORCH
    ev.finetune = [data = ev.data_dir](const Graph& g, const TrainOptions& t) {
        const auto dir = data.empty() ? fashion_mnist_dir() : std::filesystem::path(data);
        return train_graph(g, load_fashion_mnist("train", t.train_images, dir), Dataset{}, t).graph;
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

// Runs every unit of an experiment, recording each in OUT/experiment.json as soon as its report
// files are written; with `resume`, units an earlier (interrupted) run finished are skipped.
int cmd_run(const std::string& file, const std::string& out, bool json, bool resume) {
    const Experiment ex = load_experiment(file, out);
    install_interrupt_cleanup(
        "sparsecim: interrupted; the finished units are kept, continue with: "
        "sparsecim run " +
        file + (out.empty() ? "" : " --out " + out) + " --resume\n");
    if (resume) {
        remove_stale_temp_files(ex.out);
        for (const auto& u : ex.units) remove_stale_temp_files(u.out);
    }
    RunLog log(ex, resume);
    int rc = 0;
    for (size_t i = 0; i < ex.units.size(); ++i) {
        const ExperimentUnit& u = ex.units[i];
        const std::string fingerprint = unit_fingerprint(u);
        int unit_rc = 0;
        if (resume && log.finished(i, fingerprint, unit_rc)) {
            std::fprintf(stderr, "run %s: unit %zu/%zu %s: finished earlier, kept (--resume)\n",
                         ex.name.c_str(), i + 1, ex.units.size(), u.id.c_str());
            if (json) std::cout << read_file(u.out / "results.json");
        } else {
            std::fprintf(stderr, "run %s: unit %zu/%zu %s\n", ex.name.c_str(), i + 1,
                         ex.units.size(), u.id.c_str());
            EvalOptions opt = u.options;
            opt.progress = true;
            attach_finetuner(opt);
            unit_rc = report_run(evaluate(opt), u.out, json);
        }
        rc = std::max(rc, unit_rc);
        log.finish(i, fingerprint, unit_rc);
    }
    if (!ex.sweep_param.empty()) {
        std::vector<SweepPoint> points;
        for (const ExperimentUnit& u : ex.units)
            points.push_back({u.group, u.sweep_value, u.out / "results.json"});
        std::cout << "sweep: "
                  << write_sweep_report(ex.name, ex.sweep_param, points, ex.out).string() << "\n";
    }
    return rc;
}

// Runs every point of a sweep file through one shared cache, on a thread pool or (started by
// mpirun with several ranks, in an MPI build) over the ranks; writes sweep.jsonl as points
// finish, then sweep.csv and sweep.html.
int cmd_sweep(const std::string& file, const std::string& out, SweepOptions opt) {
    const std::string again = "sparsecim sweep " + file + (out.empty() ? "" : " --out " + out);
#ifdef SPARSECIM_HAVE_MPI
    if (mpi_launched()) return run_sweep_mpi(file, out, opt, again, finish_sweep);
#endif
    const Experiment ex = load_experiment(file, out);
    check_sweepable(ex);
    install_interrupt_cleanup(
        "sparsecim: interrupted; the finished points are kept in sweep.jsonl, continue with: " +
        again + " --resume\n");
    if (opt.resume) remove_stale_temp_files(ex.out);
    const auto t0 = std::chrono::steady_clock::now();
    SweepLog log(ex, opt.resume);
    const size_t kept = log.done_count();
    EvalCache cache;
    run_sweep_threads(ex, log, opt, cache);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int workers = 1, per_point = 1;
    split_threads(opt.threads, ex.units.size() - kept, workers, per_point);
    return finish_sweep(ex, log, kept, s,
                        std::to_string(workers) + " at once" + (opt.reuse ? "" : ", no reuse"),
                        cache);
}

int cmd_reproduce(const std::vector<std::string>& files, const std::string& out) {
    std::vector<Experiment> exps;
    for (const auto& f : files) exps.push_back(load_experiment(f));
    const std::string md = reproduction_markdown(exps);
    if (out.empty()) {
        std::cout << md;
    } else {
        write_file_atomic(out, md);
        std::cout << "wrote " << out << "\n";
    }
    return 0;
}

// One table of `sparsecim params`: aligned text, or a Markdown table with --markdown.
std::string params_table(const std::string& title, const std::vector<ParamInfo>& rows,
                         bool markdown) {
    const std::vector<std::string> header = {"key",     "type",  "unit",
                                             "default", "range", "description"};
    auto cells = [](const ParamInfo& p) {
        return std::vector<std::string>{p.key,          p.type,  p.unit,
                                        p.default_text, p.range, p.description};
    };
    if (!markdown) {
        // Every column left-aligned (TextTable right-aligns numbers, which splits the default
        // and range columns between two edges).
        std::vector<std::vector<std::string>> lines = {header};
        for (const ParamInfo& p : rows) lines.push_back(cells(p));
        std::vector<size_t> width(header.size(), 0);
        for (const auto& l : lines)
            for (size_t i = 0; i < l.size(); ++i) width[i] = std::max(width[i], l[i].size());
        std::string out = title + "\n";
        for (const auto& l : lines) {
            std::string line;
            for (size_t i = 0; i < l.size(); ++i)
                line +=
                    i + 1 < l.size() ? l[i] + std::string(width[i] - l[i].size() + 2, ' ') : l[i];
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out += line + "\n";
        }
        return out;
    }
    auto md_row = [](const std::vector<std::string>& c) {
        std::string line = "|";
        for (const std::string& cell : c) {
            std::string esc;
            for (char ch : cell) esc += ch == '|' ? std::string("\\|") : std::string(1, ch);
            line += " " + esc + " |";
        }
        return line + "\n";
    };
    std::string out = "## " + title + "\n\n" + md_row(header) + "|";
    for (size_t i = 0; i < header.size(); ++i) out += "---|";
    out += "\n";
    for (const ParamInfo& p : rows) out += md_row(cells(p));
    return out;
}

// One scheme's parameters; "" when it has none.
std::string scheme_params_table(const Scheme& sc, bool markdown) {
    const std::vector<ParamInfo> rows = sc.params ? sc.params() : std::vector<ParamInfo>{};
    if (rows.empty()) return "";
    return params_table(sc.name + " (--param " + sc.name + ".KEY=VALUE)", rows, markdown);
}

// `sparsecim params [SCHEME]`: the hardware fields and every scheme's parameters, or one scheme's.
int cmd_params(const std::string& scheme, bool markdown) {
    if (!scheme.empty()) {
        const Scheme& sc = find_scheme(scheme);
        const std::string t = scheme_params_table(sc, markdown);
        std::cout << (t.empty() ? sc.name + ": no parameters\n" : t);
        return 0;
    }
    std::vector<ParamInfo> hw;
    for (const HwKeyInfo& k : hw_config_keys())
        hw.push_back({k.key, k.type, k.unit, k.default_value, "", k.description});
    std::cout << params_table("hardware (YAML section.key, or --set section.key=VALUE)", hw,
                              markdown);
    for (const Scheme& sc : scheme_registry())
        if (const std::string t = scheme_params_table(sc, markdown); !t.empty())
            std::cout << "\n" << t;
    return 0;
}

// Options shared by `train` and `finetune`.
struct TrainCli {
    std::string model, out, data_dir, optimizer = "adam", schedule = "cosine";
    int epochs = 1;
    uint64_t seed = 1;
    double lr = 0.0, weight_decay = 0.0, prune = 0.0;
    int64_t batch = 128, train_images = 0, test_images = 10000, max_steps = 0;
    int threads = 0, w_bits = 8;
    bool augment = false, resume = false;
};

void add_train_options(CLI::App* c, TrainCli& o) {
    c->add_option("--epochs", o.epochs, "passes over the training set");
    c->add_option("--seed", o.seed, "seed: zoo weights, shuffling, augmentation");
    c->add_option("--optimizer", o.optimizer, "adam | sgd (Nesterov momentum 0.9)");
    c->add_option("--lr", o.lr, "peak learning rate (default: adam 1e-3, sgd 0.05)");
    c->add_option("--schedule", o.schedule, "cosine (to 0 over all steps) | constant");
    c->add_option("--weight-decay", o.weight_decay, "L2 weight decay");
    c->add_option("--batch", o.batch, "mini-batch size");
    c->add_option("--threads", o.threads, "LibTorch threads (0: all cores)");
    c->add_option("--train-images", o.train_images, "use the first N training images (0: all)");
    c->add_option("--test-images", o.test_images, "test images scored after each epoch");
    c->add_option("--max-steps", o.max_steps, "stop after N steps in total (0: no limit)");
    c->add_flag("--augment", o.augment, "mirror training images left-right at random");
    c->add_flag("--resume", o.resume,
                "continue from OUT.ckpt.onnx (written after every epoch) if it exists");
    c->add_option("--data", o.data_dir, "Fashion-MNIST directory");
    c->add_option("--out", o.out, "output .onnx file")->required();
}

#ifdef SPARSECIM_HAVE_TORCH
TrainOptions train_options(const TrainCli& c, const std::string& label) {
    TrainOptions t;
    t.epochs = c.epochs;
    t.seed = c.seed;
    t.optimizer = c.optimizer;
    t.lr = c.lr;
    t.schedule = c.schedule;
    t.weight_decay = c.weight_decay;
    t.batch = c.batch;
    t.threads = c.threads;
    t.train_images = c.train_images;
    t.test_images = c.test_images;
    t.max_steps = c.max_steps;
    t.augment = c.augment;
    t.label = label;
    return t;
}

void report_training(const TrainResult& r, const std::string& out) {
    for (const EpochLog& e : r.epochs) {
        std::printf("epoch %d: loss %.4f train %.2f%%", e.epoch, e.loss, 100.0 * e.train_accuracy);
        if (e.test_accuracy) std::printf(" test %.2f%%", 100.0 * *e.test_accuracy);
        std::printf(" (%.1f s)\n", e.seconds);
    }
    std::printf("total %.1f s; wrote %s\n", r.seconds, out.c_str());
}

// A checkpoint after every epoch: OUT.ckpt.onnx (the weights, BatchNorm unfolded) and
// OUT.ckpt (the number of the last finished epoch), each written to a temporary name and renamed,
// so a cut leaves either the previous checkpoint or the new one. Removed once OUT is written.
struct Checkpoint {
    std::string onnx, epoch_file;
    explicit Checkpoint(const std::string& out)
        : onnx(out + ".ckpt.onnx"), epoch_file(out + ".ckpt") {}
    int last_epoch() const {
        std::ifstream in(epoch_file);
        int e = 0;
        if (!in || !(in >> e) || e < 1 || !std::filesystem::exists(onnx)) return 0;
        return e;
    }
    void save(int epoch, const Graph& g) const {
        export_onnx(g, onnx + ".tmp");
        std::filesystem::rename(onnx + ".tmp", onnx);
        write_file_atomic(epoch_file, std::to_string(epoch) + "\n");
    }
    void remove() const {
        std::filesystem::remove(onnx);
        std::filesystem::remove(epoch_file);
    }
};

int cmd_train(const TrainCli& c) {
    if (c.model.empty()) throw Error("--model: required (zoo:NAME or an ONNX file)");
    TrainOptions t = train_options(c, "train");
    validate(t);
    const Checkpoint ckpt(c.out);
    const int done = c.resume ? ckpt.last_epoch() : 0;
    Graph g;
    if (done > 0) {
        ImportOptions io;
        io.fold_batchnorm = false;
        g = import_onnx(ckpt.onnx, io);
        t.start_epoch = done + 1;
        std::fprintf(stderr, "train: resuming after epoch %d from %s\n", done, ckpt.onnx.c_str());
    } else {
        g = load_model(c.model, c.seed);
        if (c.model.rfind("zoo:", 0) == 0) reset_batchnorm(g);  // from scratch; a file continues
    }
    t.on_epoch = [&](int epoch, const Graph& cur) { ckpt.save(epoch, cur); };
    const auto dir = c.data_dir.empty() ? fashion_mnist_dir() : std::filesystem::path(c.data_dir);
    const Dataset train = load_fashion_mnist("train", c.train_images, dir);
    const Dataset test = load_fashion_mnist("test", c.test_images, dir);
    const TrainResult r = train_graph(g, train, test, t);
    export_onnx(r.graph, c.out);
    ckpt.remove();
    report_training(r, c.out);
    return 0;
}

int cmd_finetune(const TrainCli& c) {
    if (c.model.empty()) throw Error("--model: required (an ONNX file or zoo:NAME)");
    if (!(c.prune >= 0.0 && c.prune < 1.0)) throw Error("--prune: must be in [0, 1)");
    TrainOptions t = train_options(c, "finetune");
    t.ste_bits = c.w_bits;
    if (t.lr == 0.0) t.lr = t.optimizer == "adam" ? 5e-4 : 0.01;
    validate(t);
    Graph g = load_model(c.model, c.seed);
    if (c.prune > 0.0) prune_by_magnitude(g, c.prune);
    t.masks = masks_from_zeros(g);
    const auto dir = c.data_dir.empty() ? fashion_mnist_dir() : std::filesystem::path(c.data_dir);
    const Dataset train = load_fashion_mnist("train", c.train_images, dir);
    const Dataset test = load_fashion_mnist("test", c.test_images, dir);
    std::printf("masks: %.2f%% of the weights held at zero\n", 100.0 * masked_fraction(t.masks));
    if (c.test_images > 0) {
        std::printf("before: float top-1 %.2f%%", 100.0 * torch_accuracy(g, test));
        if (c.w_bits > 0)
            std::printf(", int%d-weight top-1 %.2f%%", c.w_bits,
                        100.0 * torch_accuracy(g, test, 0, c.w_bits));
        std::printf(" (%lld test images)\n", static_cast<long long>(test.size()));
        std::fflush(stdout);
    }
    const TrainResult r = train_graph(g, train, test, t);
    export_onnx(r.graph, c.out);
    if (c.test_images > 0)
        std::printf("after:  float top-1 %.2f%% (weights on the int%d grid)\n",
                    100.0 * torch_accuracy(r.graph, test), c.w_bits);
    report_training(r, c.out);
    return 0;
}
#else
[[noreturn]] void no_torch(const char* cmd) {
    throw Error(std::string(cmd) +
                ": this build has no LibTorch (install libtorch-dev with scripts/install-deps.sh "
                "and configure with -DSPARSECIM_TORCH=ON)");
}
int cmd_train(const TrainCli&) {
    no_torch("train");
}
int cmd_finetune(const TrainCli&) {
    no_torch("finetune");
}
#endif

// The command-line flag of a library option (EvalOptions/TrainOptions field name).
std::string flag_of(const std::string& option) {
    static const std::map<std::string, std::string> renamed = {
        {"finetune_epochs", "--finetune"}, {"start_epoch", "--resume"}, {"ste_bits", "--w-bits"}};
    if (auto it = renamed.find(option); it != renamed.end()) return it->second;
    std::string flag = "--" + option;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

// An error as the command line words it: a FieldError's option, scheme parameter or hardware
// override by the flag that sets it (and the options its text mentions by theirs).
std::string cli_message(const std::exception& e) {
    const auto* fe = dynamic_cast<const FieldError*>(&e);
    if (!fe) return e.what();
    std::string detail = fe->detail();
    for (const std::string& other : fe->mentions()) {
        const std::string flag = flag_of(other);
        for (size_t at = detail.find(other); at != std::string::npos;
             at = detail.find(other, at + flag.size()))
            detail.replace(at, other.size(), flag);
    }
    switch (fe->origin()) {
        case Origin::Option:
            return flag_of(fe->name()) + ": " + detail;
        case Origin::SchemeParam:
            return "--param " + fe->name() + ": " + detail;
        case Origin::HwOverride:
            return "--set " + fe->name() + ": " + detail;
    }
    return e.what();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sparsecim: sparse DNNs on RRAM compute-in-memory crossbars"};
    app.set_version_flag("--version", SPARSECIM_VERSION);
    app.require_subcommand(1);

    std::string import_file;
    auto* imp = app.add_subcommand("import", "Import an ONNX model and print its weight layers");
    imp->add_option("file", import_file, "ONNX model file or zoo:NAME (seed 1)")->required();

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
    eva->add_option("--accuracy-split", ev.accuracy_split,
                    "test | val: score top-1 on the test set or on the validation split (the last "
                    "10,000 training images; finetuning then uses the first 50,000)")
        ->check(CLI::IsMember({"test", "val"}));
    eva->add_option("--calib-images", ev.calib_images, "training images for calibration");
    eva->add_option("--adc-accuracy-images", ev.adc_accuracy_images,
                    "test images run end to end through the simulated ADC (0: skip)");
    eva->add_option("--calibration", ev.quant.calibration, "max | percentile");
    eva->add_option("--seed", ev.seed, "seed for every random choice");
    eva->add_option("--data", ev.data_dir, "Fashion-MNIST directory");
    eva->add_option("--out", ev_out, "output directory (results.json)");
    bool ev_json = false;
    eva->add_flag("--json", ev_json, "print results.json to stdout instead of the table");
    eva->add_option(
        "--finetune", ev.finetune_epochs,
        "also report top-1 after finetuning EPOCHS with each scheme's masks (LibTorch)");
    eva->add_option("--finetune-images", ev.finetune_images,
                    "training images for --finetune (0: all 60000)");
    eva->add_option("--finetune-lr", ev.finetune_lr,
                    "Adam's peak learning rate for --finetune, cosine-decayed to 0")
        ->check(CLI::Range(1e-7, 0.999));
    eva->add_option("--finetune-prune", ev.finetune_prune,
                    "oneshot (the scheme's masks of the trained model from the first step) | "
                    "gradual (reached over the first half of finetuning, Zhu & Gupta's cubic "
                    "schedule)")
        ->check(CLI::IsMember({"gradual", "oneshot"}));
    eva->add_flag("--check-exact", ev.check_exact,
                  "also simulate with an ideal ADC; exit 1 if any output differs");
    eva->add_flag("--counts-only", ev.counts_only,
                  "simulate costs only: no output values computed or checked (faster)");
    std::vector<std::string> ev_density, ev_bit_density;
    eva->add_option("--activations", ev.activations,
                    "auto (traces when the graph runs on Fashion-MNIST, else modelled) | traces "
                    "| modelled");
    eva->add_option("--activation-density", ev_density,
                    "modelled activations: fraction of non-zero inputs, X or LAYER=X (default "
                    "0.5)");
    eva->add_option("--bit-density", ev_bit_density,
                    "modelled activations: fraction of 1 bits of a non-zero input, X or "
                    "LAYER=X (default 0.25)");

    std::string run_file, run_out;
    bool run_json = false;
    auto* run = app.add_subcommand("run", "Run an experiment file (models x hardware x schemes)");
    run->add_option("experiment", run_file, "experiment YAML (see docs/experiments.md)")
        ->required();
    run->add_option("--out", run_out, "output folder (default: the file's `out`)");
    run->add_flag("--json", run_json, "print each unit's results.json instead of its table");
    bool run_resume = false;
    run->add_flag("--resume", run_resume,
                  "keep the units an earlier, interrupted run of the same file finished "
                  "(OUT/experiment.json) and run only the rest");

    std::string sw_file, sw_out;
    SweepOptions sw_opt;
    bool sw_no_reuse = false;
    auto* swp = app.add_subcommand(
        "sweep", "Run a design-space sweep (axes over any config field), in parallel or over MPI");
    swp->add_option("sweep", sw_file, "sweep YAML (see docs/sweeps.md)")->required();
    swp->add_option("--out", sw_out, "output folder (default: the file's `out`)");
    swp->add_option("--threads", sw_opt.threads,
                    "threads in all (0: all cores); that many points run at once");
    swp->add_flag("--resume", sw_opt.resume,
                  "keep the points an earlier run finished (OUT/sweep.jsonl), run the rest");
    swp->add_flag("--no-reuse", sw_no_reuse,
                  "share nothing between points (to measure what reuse saves)");

    std::string zoo_name, zoo_out;
    uint64_t zoo_seed = 1;
    std::vector<std::string> rep_files;
    std::string rep_out;
    auto* rep = app.add_subcommand(
        "reproduce", "Set the source documents' claims beside the figures of finished runs");
    rep->add_option("experiments", rep_files, "experiment YAML files already run")->required();
    rep->add_option("--out", rep_out, "write the Markdown here (default: stdout)");

    auto* zoo = app.add_subcommand("zoo", "Write a built-in architecture as ONNX");
    zoo->add_option("name", zoo_name, "architecture")->required();
    zoo->add_option("--out", zoo_out, "output .onnx file")->required();
    zoo->add_option("--seed", zoo_seed, "weight seed");

    std::string prm_scheme;
    bool prm_markdown = false;
    auto* prm = app.add_subcommand(
        "params", "List the hardware fields and every scheme's --param keys, or one scheme's");
    prm->add_option("scheme", prm_scheme, "only this scheme's parameters");
    prm->add_flag("--markdown", prm_markdown, "print Markdown tables");

    TrainCli tr;
    auto* trn =
        app.add_subcommand("train", "Train a model on Fashion-MNIST (LibTorch), write ONNX");
    trn->add_option("--model", tr.model, "zoo:NAME (its seeded initial weights) or an ONNX file")
        ->required();
    add_train_options(trn, tr);

    TrainCli ft;
    ft.lr = 0.0;
    auto* fin = app.add_subcommand(
        "finetune", "Finetune with pruned (zero) weights held at zero and int8 STE, write ONNX");
    fin->add_option("--model", ft.model, "ONNX file or zoo:NAME")->required();
    fin->add_option("--prune", ft.prune,
                    "first zero this fraction of each layer's weights by magnitude (0: none)");
    fin->add_option("--w-bits", ft.w_bits,
                    "quantization-aware: weights on the symmetric per-channel grid (0: off)");
    add_train_options(fin, ft);

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

    // An interrupted command removes its half-written temporary files (results and models are
    // written to a temporary file and renamed into place, so finished files stay complete).
    install_interrupt_cleanup("sparsecim: interrupted\n");
    try {
        if (imp->parsed()) return cmd_import(import_file);
        if (acc->parsed())
            return cmd_accuracy(acc_model, acc_images, acc_calib, acc_seed, acc_calibration);
        if (zoo->parsed()) {
            export_onnx(make_zoo_model(zoo_name, zoo_seed), zoo_out);
            std::cout << "wrote " << zoo_out << "\n";
            return 0;
        }
        if (prm->parsed()) return cmd_params(prm_scheme, prm_markdown);
        if (run->parsed()) return cmd_run(run_file, run_out, run_json, run_resume);
        if (rep->parsed()) return cmd_reproduce(rep_files, rep_out);
        if (swp->parsed()) {
            sw_opt.reuse = !sw_no_reuse;
            return cmd_sweep(sw_file, sw_out, sw_opt);
        }
        if (trn->parsed()) return cmd_train(tr);
        if (fin->parsed()) return cmd_finetune(ft);
        if (eva->parsed()) {
            ev.schemes.clear();
            if (ev_schemes == "all")
                for (const Scheme& sc : scheme_registry()) ev.schemes.push_back(sc.name);
            else
                ev.schemes = split_list(ev_schemes);
            if (ev.schemes.empty()) throw Error("--schemes: no scheme named");
            for (const auto& v : ev_density)
                set_activation_option(ev.activation_model, "activation_density", v);
            for (const auto& v : ev_bit_density)
                set_activation_option(ev.activation_model, "bit_density", v);
            ev.progress = true;
            attach_finetuner(ev);
            return report_run(evaluate(ev), ev_out, ev_json);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sparsecim: error: %s\n", cli_message(e).c_str());
        return 2;
    }
    return 2;
}
