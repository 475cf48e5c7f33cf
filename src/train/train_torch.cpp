// The training loop (see train.hpp for what one step does).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>

#include "core/error.hpp"
#include "train/torch_module.hpp"
#include "train/train.hpp"

namespace sparsecim {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string fmt_time(double s) {
    char buf[32];
    const long t = std::lround(std::max(0.0, s));
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    return buf;
}

struct TorchData {
    torch::Tensor x, y;
    int64_t n = 0;
};

TorchData to_torch_data(const Dataset& d, int64_t limit, const std::string& what) {
    if (d.size() == 0) throw Error(what + ": the data set '" + d.name + "' is empty");
    const int64_t n = limit > 0 ? std::min(limit, d.size()) : d.size();
    TorchData t;
    t.n = n;
    Shape s = d.images.shape;
    if (s.empty() || s[0] != d.size())
        throw Error(what + ": images " + shape_str(s) + " do not match " +
                    std::to_string(d.size()) + " labels");
    const int64_t per = d.images.size() / d.size();
    s[0] = n;
    t.x = to_torch(
        Tensor(s, std::vector<float>(d.images.data.begin(), d.images.data.begin() + n * per)));
    std::vector<int64_t> labels(d.labels.begin(), d.labels.begin() + n);
    t.y = torch::tensor(labels, torch::kInt64);
    return t;
}

double accuracy(GraphModule::Impl& m, const TorchData& d) {
    torch::NoGradGuard no_grad;
    const bool was = m.training;
    m.training = false;
    int64_t correct = 0;
    constexpr int64_t kBatch = 500;
    for (int64_t b0 = 0; b0 < d.n; b0 += kBatch) {
        const int64_t nb = std::min(kBatch, d.n - b0);
        const torch::Tensor pred = m.forward(d.x.narrow(0, b0, nb), true).argmax(1);
        correct += pred.eq(d.y.narrow(0, b0, nb)).sum().item<int64_t>();
    }
    m.training = was;
    return d.n ? static_cast<double>(correct) / static_cast<double>(d.n) : 0.0;
}

}  // namespace

double torch_accuracy(const Graph& g, const Dataset& test, int64_t count, int ste_bits) {
    GraphModule gm(g);
    gm.impl().ste_bits = ste_bits;
    return accuracy(gm.impl(), to_torch_data(test, count, "accuracy"));
}

void validate(const TrainOptions& opt) {
    auto bad = [](const std::string& option, const std::string& detail) {
        throw FieldError(Origin::Option, option, detail);
    };
    if (opt.epochs < 1) bad("epochs", "must be at least 1");
    if (opt.start_epoch < 1 || opt.start_epoch > opt.epochs)
        bad("start_epoch", "the checkpoint's next epoch " + std::to_string(opt.start_epoch) +
                               " is outside 1.." + std::to_string(opt.epochs));
    if (opt.batch < 1) bad("batch", "must be at least 1");
    if (opt.optimizer != "adam" && opt.optimizer != "sgd")
        bad("optimizer", "expected 'adam' or 'sgd', got '" + opt.optimizer + "'");
    if (opt.schedule != "cosine" && opt.schedule != "constant")
        bad("schedule", "expected 'cosine' or 'constant', got '" + opt.schedule + "'");
    if (opt.ste_bits < 0 || opt.ste_bits == 1 || opt.ste_bits > 16)
        bad("ste_bits", "must be 0 (off) or 2..16");
    if (opt.lr < 0.0) bad("lr", "must not be negative");
    if (opt.threads < 0) bad("threads", "must not be negative");
    if (opt.train_images < 0) bad("train_images", "must not be negative");
    if (opt.test_images < 0) bad("test_images", "must not be negative");
    if (opt.max_steps < 0) bad("max_steps", "must not be negative");
    if (!(opt.distill_alpha >= 0.0 && opt.distill_alpha <= 1.0))
        bad("distill_alpha", "must be in [0, 1]");
    if (!(opt.distill_temperature > 0.0)) bad("distill_temperature", "must be positive");
    if (opt.distill_alpha > 0.0 && !opt.teacher)
        bad("distill_alpha", "distillation needs a teacher model");
}

TrainResult train_graph(const Graph& g, const Dataset& train, const Dataset& test,
                        const TrainOptions& opt) {
    const auto t0 = Clock::now();
    validate(opt);
    check_masks(g, opt.masks);
    if (opt.threads > 0) torch::set_num_threads(opt.threads);
    torch::manual_seed(opt.seed);
    const bool tty = opt.progress && ::isatty(2);

    GraphModule gm(g);
    GraphModule::Impl& m = gm.impl();
    m.ste_bits = opt.ste_bits;

    // Masks as float tensors over the parameters they cover; masked weights start at zero.
    MaskSet mask_set = opt.masks;
    std::map<std::string, torch::Tensor> masks;
    auto set_masks = [&](const MaskSet& ms) {
        masks.clear();
        for (const auto& [name, keep] : ms) {
            std::vector<float> f(keep.begin(), keep.end());
            masks[name] = torch::tensor(f).reshape(m.values.at(name).sizes());
        }
    };
    auto apply_masks_now = [&] {
        torch::NoGradGuard no_grad;
        for (auto& [name, mt] : masks) m.values.at(name).masked_fill_(mt.eq(0), 0.0);
    };
    set_masks(mask_set);
    apply_masks_now();

    // The distillation teacher: float, inference mode (BatchNorm's running statistics), no grad.
    std::optional<GraphModule> teacher;
    if (opt.teacher && opt.distill_alpha > 0.0) {
        teacher.emplace(*opt.teacher);
        teacher->impl().ste_bits = 0;
        teacher->impl().training = false;
    }

    const TorchData tr = to_torch_data(train, opt.train_images, "train");
    const TorchData te =
        opt.test_images > 0 ? to_torch_data(test, opt.test_images, "test") : TorchData{};

    std::vector<torch::Tensor> params;
    for (const auto& p : m.params) params.push_back(m.values.at(p));
    const double lr0 = opt.lr > 0.0 ? opt.lr : (opt.optimizer == "adam" ? 1e-3 : 0.05);
    std::unique_ptr<torch::optim::Optimizer> optim;
    if (opt.optimizer == "adam")
        optim = std::make_unique<torch::optim::Adam>(
            params, torch::optim::AdamOptions(lr0).weight_decay(opt.weight_decay));
    else
        optim = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(lr0)
                                                                .momentum(opt.momentum)
                                                                .nesterov(opt.momentum > 0.0)
                                                                .weight_decay(opt.weight_decay));

    const int64_t steps_per_epoch = (tr.n + opt.batch - 1) / opt.batch;
    int64_t total_steps = steps_per_epoch * opt.epochs;
    if (opt.max_steps > 0) total_steps = std::min(total_steps, opt.max_steps);

    TrainResult res;
    std::mt19937_64 rng(opt.seed);
    std::vector<int64_t> order(static_cast<size_t>(tr.n));
    std::iota(order.begin(), order.end(), int64_t{0});
    int64_t step = 0;
    bool remasked = false;
    m.training = true;
    for (int epoch = 1; epoch <= opt.epochs && step < total_steps; ++epoch) {
        const auto te0 = Clock::now();
        std::shuffle(order.begin(), order.end(), rng);
        if (epoch < opt.start_epoch) {  // resumed: replay this epoch's random draws only
            for (int64_t b0 = 0; b0 < tr.n && step < total_steps; b0 += opt.batch, ++step)
                if (opt.augment)
                    for (int64_t i = 0; i < std::min(opt.batch, tr.n - b0); ++i) (void)rng();
            continue;
        }
        EpochLog log;
        log.epoch = epoch;
        double loss_sum = 0.0, pen_sum = 0.0;
        int64_t correct = 0, seen = 0;
        for (int64_t b0 = 0; b0 < tr.n && step < total_steps; b0 += opt.batch) {
            const int64_t nb = std::min(opt.batch, tr.n - b0);
            const torch::Tensor idx = torch::from_blob(order.data() + b0, {nb}, torch::kInt64);
            torch::Tensor x = tr.x.index_select(0, idx);
            const torch::Tensor y = tr.y.index_select(0, idx);
            if (opt.augment) {
                std::vector<uint8_t> flip(static_cast<size_t>(nb));
                for (auto& f : flip) f = static_cast<uint8_t>(rng() >> 63);
                const torch::Tensor fm =
                    torch::from_blob(flip.data(), {nb, 1, 1, 1}, torch::kUInt8).to(torch::kBool);
                x = torch::where(fm, x.flip({3}), x);
            }
            if (opt.remask &&
                (!remasked || (opt.remask_every > 0 && step % opt.remask_every == 0))) {
                remasked = true;
                m.training = false;
                MaskSet next = opt.remask(step, total_steps, gm.to_graph());
                m.training = true;
                check_masks(g, next);
                mask_set = std::move(next);
                set_masks(mask_set);
                apply_masks_now();
            }
            if (opt.project &&
                (m.projected.empty() || step % std::max<int64_t>(1, opt.project_every) == 0)) {
                m.training = false;
                const auto values = opt.project(gm.to_graph());
                m.training = true;
                m.projected.clear();
                for (const auto& [name, v] : values) {
                    const torch::Tensor& w = m.values.at(name);
                    if (static_cast<int64_t>(v.size()) != w.numel())
                        throw Error("project: '" + name + "' has " + std::to_string(v.size()) +
                                    " values for a weight of " + std::to_string(w.numel()));
                    m.projected[name] = torch::tensor(v).reshape(w.sizes());
                }
            }
            if (opt.schedule == "cosine") {
                const double lr = 0.5 * lr0 *
                                  (1.0 + std::cos(M_PI * static_cast<double>(step) /
                                                  static_cast<double>(total_steps)));
                for (auto& group : optim->param_groups()) group.options().set_lr(lr);
            }
            optim->zero_grad();
            const torch::Tensor logits = m.forward(x, true);
            if (logits.dim() != 2)
                throw Error("train: the model's output must be N x classes, got " +
                            shape_str(Shape(logits.sizes().begin(), logits.sizes().end())));
            const torch::Tensor ce = torch::nn::functional::cross_entropy(logits, y);
            torch::Tensor loss = ce;
            if (teacher) {
                const double T = opt.distill_temperature, a = opt.distill_alpha;
                torch::Tensor target;
                {
                    torch::NoGradGuard no_grad;
                    target = torch::softmax(teacher->impl().forward(x, true) / T, 1);
                }
                const torch::Tensor kl = torch::nn::functional::kl_div(
                    torch::log_softmax(logits / T, 1), target,
                    torch::nn::functional::KLDivFuncOptions().reduction(torch::kBatchMean));
                loss = (1.0 - a) * ce + (a * T * T) * kl;
            }
            loss.backward();
            double pen = 0.0;
            if (opt.regularizer) {
                for (const auto& name : m.weights) {
                    torch::Tensor& p = m.values.at(name);
                    const Tensor w = from_torch(p);
                    Tensor grad(w.shape, 0.0f);
                    pen += opt.regularizer(name, w, grad);
                    if (grad.shape != w.shape)
                        throw Error("regulariser: gradient of '" + name + "' has shape " +
                                    shape_str(grad.shape) + ", expected " + shape_str(w.shape));
                    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
                    p.mutable_grad().add_(to_torch(grad));
                }
            }
            for (auto& [name, mt] : masks)
                if (m.values.at(name).grad().defined()) m.values.at(name).mutable_grad().mul_(mt);
            optim->step();
            apply_masks_now();

            const double l = loss.item<double>();
            if (!std::isfinite(l))
                throw Error(opt.label + ": the loss diverged at step " + std::to_string(step + 1) +
                            " (try a smaller learning rate)");
            res.step_losses.push_back(l + pen);
            loss_sum += l;
            pen_sum += pen;
            correct += logits.argmax(1).eq(y).sum().item<int64_t>();
            seen += nb;
            ++step;
            ++log.steps;
            if (tty && (log.steps % 10 == 0 || step == total_steps)) {
                const double el = since(t0);
                std::fprintf(
                    stderr, "\r\033[K%s: epoch %d/%d step %lld/%lld loss %.4f acc %.1f%% ETA %s",
                    opt.label.c_str(), epoch, opt.epochs, static_cast<long long>(log.steps),
                    static_cast<long long>(steps_per_epoch),
                    loss_sum / static_cast<double>(log.steps),
                    100.0 * static_cast<double>(correct) / static_cast<double>(seen),
                    fmt_time(el / static_cast<double>(step) *
                             static_cast<double>(total_steps - step))
                        .c_str());
            }
        }
        log.loss = loss_sum / static_cast<double>(std::max<int64_t>(1, log.steps));
        log.penalty = pen_sum / static_cast<double>(std::max<int64_t>(1, log.steps));
        log.train_accuracy = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
        if (te.n > 0) log.test_accuracy = accuracy(m, te);
        log.seconds = since(te0);
        if (opt.progress) {
            const double el = since(t0);
            std::fprintf(stderr, "%s%s: epoch %d/%d loss %.4f", tty ? "\r\033[K" : "",
                         opt.label.c_str(), epoch, opt.epochs, log.loss);
            if (opt.regularizer) std::fprintf(stderr, " penalty %.4f", log.penalty);
            std::fprintf(stderr, " train %.2f%%", 100.0 * log.train_accuracy);
            if (log.test_accuracy) std::fprintf(stderr, " test %.2f%%", 100.0 * *log.test_accuracy);
            std::fprintf(
                stderr, " %.1f s ETA %s\n", log.seconds,
                fmt_time(el / static_cast<double>(step) * static_cast<double>(total_steps - step))
                    .c_str());
        }
        res.epochs.push_back(log);
        if (opt.on_epoch) {
            m.training = false;
            opt.on_epoch(epoch, gm.to_graph());
            m.training = true;
        }
    }
    m.training = false;
    res.graph = gm.to_graph();
    if (opt.ste_bits > 0) snap_weights_to_grid(res.graph, opt.ste_bits);
    if (opt.project) set_constants(res.graph, opt.project(res.graph));
    apply_masks(res.graph, mask_set);
    res.seconds = since(t0);
    return res;
}

}  // namespace sparsecim
