// `sparsecim train` and `sparsecim finetune` (LibTorch): a model trained or finetuned on
// Fashion-MNIST, written as ONNX.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "import/onnx_io.hpp"
#include "model/idx.hpp"
#include "pipeline/evaluate.hpp"
#include "train/masks.hpp"
#ifdef SPARSECIM_HAVE_TORCH
#include "train/torch_plugin.hpp"
#endif

namespace sparsecim::cli {

namespace {

// Options shared by `train` and `finetune`.
struct TrainCli {
    std::string model, out, optimizer = "adam", schedule = "cosine";
    int epochs = 1;
    uint64_t seed = 1;
    double lr = 0.0, weight_decay = 0.0, prune = 0.0, distill_alpha = 0.0,
           distill_temperature = 4.0;
    int64_t batch = 128, train_images = 0, test_images = 10000, max_steps = 0;
    int threads = 0, w_bits = 8;
    bool augment = false, resume = false;
    DataSource data;
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
    add_data_options(c, o.data);
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
    torch_functions().validate(t);
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
    const Dataset train = load_split(c.data, "train", c.train_images);
    const Dataset test = load_split(c.data, "test", c.test_images);
    const TrainResult r = torch_functions().train_graph(g, train, test, t);
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
    t.distill_alpha = c.distill_alpha;
    t.distill_temperature = c.distill_temperature;
    Graph g = load_model(c.model, c.seed);
    // The distillation teacher: the model as given, before pruning.
    if (c.distill_alpha > 0.0) t.teacher = std::make_shared<const Graph>(g);
    torch_functions().validate(t);
    if (c.prune > 0.0) prune_by_magnitude(g, c.prune);
    t.masks = masks_from_zeros(g);
    const Dataset train = load_split(c.data, "train", c.train_images);
    const Dataset test = load_split(c.data, "test", c.test_images);
    std::printf("masks: %.2f%% of the weights held at zero\n", 100.0 * masked_fraction(t.masks));
    if (c.test_images > 0) {
        std::printf("before: float top-1 %.2f%%",
                    100.0 * torch_functions().torch_accuracy(g, test, 0, 0));
        if (c.w_bits > 0)
            std::printf(", int%d-weight top-1 %.2f%%", c.w_bits,
                        100.0 * torch_functions().torch_accuracy(g, test, 0, c.w_bits));
        std::printf(" (%lld test images)\n", static_cast<long long>(test.size()));
        std::fflush(stdout);
    }
    const TrainResult r = torch_functions().train_graph(g, train, test, t);
    export_onnx(r.graph, c.out);
    if (c.test_images > 0)
        std::printf("after:  float top-1 %.2f%% (weights on the int%d grid)\n",
                    100.0 * torch_functions().torch_accuracy(r.graph, test, 0, 0), c.w_bits);
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

}  // namespace

std::vector<Command> add_training(CLI::App& app) {
    auto tr = std::make_shared<TrainCli>();
    auto* trn =
        app.add_subcommand("train", "Train a model on Fashion-MNIST (LibTorch), write ONNX");
    trn->add_option("--model", tr->model, "zoo:NAME (its seeded initial weights) or an ONNX file")
        ->required();
    add_train_options(trn, *tr);

    auto ft = std::make_shared<TrainCli>();
    ft->lr = 0.0;
    auto* fin = app.add_subcommand(
        "finetune", "Finetune with pruned (zero) weights held at zero and int8 STE, write ONNX");
    fin->add_option("--model", ft->model, "ONNX file or zoo:NAME")->required();
    fin->add_option("--prune", ft->prune,
                    "first zero this fraction of each layer's weights by magnitude (0: none)");
    fin->add_option("--w-bits", ft->w_bits,
                    "quantization-aware: weights on the symmetric per-channel grid (0: off)");
    fin->add_option("--distill-alpha", ft->distill_alpha,
                    "weight a of distillation from the model as given (before --prune): loss = "
                    "(1-a) cross-entropy + a T^2 KL(teacher || student) (0: off)");
    fin->add_option("--distill-temperature", ft->distill_temperature,
                    "temperature T of --distill-alpha");
    add_train_options(fin, *ft);
    return {{trn, [tr] { return cmd_train(*tr); }}, {fin, [ft] { return cmd_finetune(*ft); }}};
}

}  // namespace sparsecim::cli
