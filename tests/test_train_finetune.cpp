// Training and finetuning on real Fashion-MNIST, kept to a few hundred small steps: the loss
// falls, masked (pruned) weights stay exactly zero, STE finetuning leaves the weights on the int8
// per-channel grid, the regulariser hook acts, a seed makes a run repeatable, bad masks are
// errors naming the weight.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/finetune.hpp"
#include "quant/ptq.hpp"
#include "schemes/scheme.hpp"
#include "train/masks.hpp"
#include "train/train.hpp"

using namespace sparsecim;

namespace {

const Dataset& train_set() {
    static const Dataset d = load_fashion_mnist("train", 4096);
    return d;
}
const Dataset& test_set() {
    static const Dataset d = load_fashion_mnist("test", 500);
    return d;
}

TrainOptions quick(int64_t steps) {
    TrainOptions o;
    o.epochs = 100;
    o.max_steps = steps;
    o.batch = 32;
    o.threads = 1;
    o.test_images = 0;
    o.progress = false;
    o.seed = 7;
    return o;
}

double mean(const std::vector<double>& v, size_t from, size_t to) {
    return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from),
                           v.begin() + static_cast<std::ptrdiff_t>(to), 0.0) /
           static_cast<double>(to - from);
}

}  // namespace

TEST(Finetune, LossFallsMaskedWeightsStayZeroWeightsOnGrid) {
    Graph g = make_zoo_model("lenet", 3);
    prune_by_magnitude(g, 0.6);
    TrainOptions o = quick(300);
    o.masks = masks_from_zeros(g);
    o.ste_bits = 8;
    o.test_images = 500;
    EXPECT_NEAR(masked_fraction(o.masks), 0.6, 0.01);
    const TrainResult r = train_graph(g, train_set(), test_set(), o);
    ASSERT_EQ(r.step_losses.size(), 300u);
    const double first = mean(r.step_losses, 0, 30), last = mean(r.step_losses, 270, 300);
    EXPECT_LT(last, 0.6 * first) << first << " -> " << last;
    ASSERT_TRUE(r.epochs.back().test_accuracy.has_value());
    EXPECT_GT(*r.epochs.back().test_accuracy, 0.6);  // chance is 0.1
    // Every masked weight is exactly zero; the others moved.
    int64_t moved = 0;
    for (const auto& [name, keep] : o.masks) {
        const Tensor& w = r.graph.constant(name);
        const Tensor& w0 = g.constant(name);
        for (size_t i = 0; i < keep.size(); ++i) {
            if (!keep[i]) {
                EXPECT_EQ(w.data[i], 0.0f) << name << "[" << i << "]";
            }
            moved += keep[i] && w.data[i] != w0.data[i];
        }
    }
    EXPECT_GT(moved, 1000);
    // On the 8-bit grid: snapping again changes nothing, and PTQ keeps the pruned zeros.
    Graph again = r.graph;
    snap_weights_to_grid(again, 8);
    for (const auto& name : weight_constants(r.graph))
        for (size_t i = 0; i < again.constant(name).data.size(); ++i)
            EXPECT_NEAR(again.constant(name).data[i], r.graph.constant(name).data[i],
                        1e-6f * std::max(1.0f, std::fabs(r.graph.constant(name).data[i])));
    const QuantModel qm = quantize(r.graph, test_set().images, QuantOptions{});
    const MaskSet from_q = masks_from_quant_model(qm);
    for (const auto& [name, keep] : o.masks)
        for (size_t i = 0; i < keep.size(); ++i)
            if (!keep[i]) {
                EXPECT_EQ(from_q.at(name)[i], 0) << name;
            }
}

TEST(Finetune, RegularizerHookIsCalledAndActs) {
    const Graph g = make_zoo_model("tiny-cnn", 3);
    auto norm = [](const Graph& m) {
        double s = 0.0;
        for (const auto& name : weight_constants(m))
            for (float v : m.constant(name).data) s += static_cast<double>(v) * v;
        return s;
    };
    TrainOptions plain = quick(40);
    const TrainResult a = train_graph(g, train_set(), test_set(), plain);
    TrainOptions reg = quick(40);
    std::map<std::string, int> calls;
    reg.regularizer = [&](const std::string& name, const Tensor& w, Tensor& grad) {
        ++calls[name];
        double p = 0.0;
        for (size_t i = 0; i < w.data.size(); ++i) {
            p += 0.5 * w.data[i] * w.data[i];
            grad.data[i] += 0.5f * 2.0f * w.data[i];
        }
        return 0.5 * p;
    };
    const TrainResult b = train_graph(g, train_set(), test_set(), reg);
    EXPECT_EQ(calls.size(), weight_constants(g).size());
    for (const auto& [name, n] : calls) EXPECT_EQ(n, 40) << name;
    EXPECT_LT(norm(b.graph), 0.9 * norm(a.graph));
}

TEST(Finetune, SameSeedSameWeights) {
    const Graph g = make_zoo_model("tiny-cnn", 4);
    TrainOptions o = quick(15);
    o.augment = true;
    const TrainResult a = train_graph(g, train_set(), test_set(), o);
    const TrainResult b = train_graph(g, train_set(), test_set(), o);
    EXPECT_EQ(a.step_losses, b.step_losses);
    for (const auto& [name, t] : a.graph.constants)
        EXPECT_EQ(t.data, b.graph.constant(name).data) << name;
    o.seed = 8;
    const TrainResult c = train_graph(g, train_set(), test_set(), o);
    EXPECT_NE(a.step_losses, c.step_losses);
}

TEST(Finetune, BadMasksAreErrorsNamingTheWeight) {
    const Graph g = make_zoo_model("tiny-cnn", 1);
    TrainOptions o = quick(1);
    o.masks["conv1.weight"] = std::vector<uint8_t>(5, 1);
    try {
        train_graph(g, train_set(), test_set(), o);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("conv1.weight"), std::string::npos) << e.what();
    }
    o.masks.clear();
    o.masks["bn1.mean"] = std::vector<uint8_t>(8, 1);
    EXPECT_THROW(train_graph(g, train_set(), test_set(), o), Error);
}

// Distillation: a student identical to its teacher starts at zero KL (LeNet has no BatchNorm, so
// training and inference mode agree), and a student trained on the teacher's soft targets alone
// (alpha = 1: the labels carry no weight) learns the task from the teacher.
TEST(Finetune, DistillationLearnsFromTheTeacherAlone) {
    TrainOptions pre = quick(300);
    const TrainResult trained =
        train_graph(make_zoo_model("lenet", 3), train_set(), test_set(), pre);
    TrainOptions same = quick(1);
    same.teacher = std::make_shared<const Graph>(trained.graph);
    same.distill_alpha = 1.0;
    same.lr = 1e-12;
    const TrainResult twin = train_graph(trained.graph, train_set(), test_set(), same);
    ASSERT_EQ(twin.step_losses.size(), 1u);
    EXPECT_NEAR(twin.step_losses[0], 0.0, 1e-5);

    TrainOptions kd = quick(300);
    kd.teacher = same.teacher;
    kd.distill_alpha = 1.0;
    kd.distill_temperature = 2.0;
    kd.test_images = 500;
    const TrainResult student =
        train_graph(make_zoo_model("lenet", 11), train_set(), test_set(), kd);
    ASSERT_TRUE(student.epochs.back().test_accuracy.has_value());
    EXPECT_GT(*student.epochs.back().test_accuracy, 0.6);  // chance is 0.1

    TrainOptions orphan = quick(1);
    orphan.distill_alpha = 0.5;  // no teacher
    try {
        train_graph(trained.graph, train_set(), test_set(), orphan);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("distill_alpha"), std::string::npos) << e.what();
    }
    kd.distill_alpha = 1.5;
    EXPECT_THROW(train_graph(trained.graph, train_set(), test_set(), kd), Error);
}

TEST(Masks, QuantModelMasksFollowTheWeightLayout) {
    // Gemm (transB) and grouped/strided convs: the K x N keep flags map back onto the constants.
    Graph g = make_zoo_model("resnet-mini", 1);
    prune_by_magnitude(g, 0.5);
    const QuantModel qm = quantize(g, test_set().images, QuantOptions{});
    const MaskSet a = masks_from_zeros(g), b = masks_from_quant_model(qm);
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, keep] : a) {
        // A weight that rounds to 0 in int8 is masked by the QuantModel even when it is non-zero.
        for (size_t i = 0; i < keep.size(); ++i)
            if (!keep[i]) {
                EXPECT_EQ(b.at(name)[i], 0) << name;
            }
        EXPECT_GT(std::count(b.at(name).begin(), b.at(name).end(), uint8_t{1}), 0) << name;
    }
}

// A run resumed from its epoch-1 checkpoint replays the data order and the schedule: with an
// optimizer that keeps no state (SGD without momentum) it ends on the uninterrupted run's weights.
TEST(Finetune, ResumedRunContinuesDataOrderAndSchedule) {
    const Graph g = make_zoo_model("tiny-cnn", 2);
    TrainOptions o = quick(0);
    o.epochs = 3;
    o.train_images = 320;
    o.optimizer = "sgd";
    o.momentum = 0.0;
    o.augment = true;
    std::vector<int> seen;
    Graph after1;
    o.on_epoch = [&](int epoch, const Graph& cur) {
        seen.push_back(epoch);
        if (epoch == 1) after1 = cur;
    };
    const TrainResult full = train_graph(g, train_set(), test_set(), o);
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));

    seen.clear();
    o.start_epoch = 2;
    const TrainResult resumed = train_graph(after1, train_set(), test_set(), o);
    EXPECT_EQ(seen, (std::vector<int>{2, 3}));
    ASSERT_EQ(resumed.epochs.size(), 2u);
    EXPECT_EQ(resumed.epochs.front().epoch, 2);
    const size_t per_epoch = full.step_losses.size() / 3;
    EXPECT_EQ(resumed.step_losses,
              std::vector<double>(full.step_losses.begin() + static_cast<std::ptrdiff_t>(per_epoch),
                                  full.step_losses.end()));
    for (const auto& [name, t] : full.graph.constants)
        EXPECT_EQ(t.data, resumed.graph.constant(name).data) << name;

    o.start_epoch = 4;
    EXPECT_THROW(train_graph(g, train_set(), test_set(), o), Error);
}

// The remask hook: called before the first step and every remask_every steps with the current
// weights; its masks hold from then on, and the result carries the last ones.
TEST(Finetune, RemaskReplacesTheMasksDuringTraining) {
    const Graph g = make_zoo_model("lenet", 3);
    TrainOptions o = quick(40);
    o.remask_every = 10;
    std::vector<int64_t> calls;
    o.remask = [&](int64_t step, int64_t total, const Graph& cur) {
        calls.push_back(step);
        EXPECT_EQ(total, 40);
        Graph pruned = cur;
        prune_by_magnitude(pruned, 0.2 * static_cast<double>(calls.size()));
        return masks_from_zeros(pruned);
    };
    const TrainResult r = train_graph(g, train_set(), test_set(), o);
    EXPECT_EQ(calls, (std::vector<int64_t>{0, 10, 20, 30}));
    EXPECT_NEAR(masked_fraction(masks_from_zeros(r.graph)), 0.8, 0.01);
}

namespace {

// One epoch of `images` training images on one thread, as `evaluate --finetune` runs it;
// `tweak` may edit the trainer's options first.
EvalOptions short_finetune(int64_t images, double lr, uint64_t seed,
                           std::function<void(TrainOptions&)> tweak = {}) {
    EvalOptions opt;
    opt.finetune_epochs = 1;
    opt.finetune_images = images;
    opt.finetune_lr = lr;
    opt.seed = seed;
    opt.finetune = [tweak](const Graph& g, const TrainOptions& t) {
        TrainOptions q = t;
        q.threads = 1;
        q.progress = false;
        if (tweak) tweak(q);
        return train_graph(g, load_fashion_mnist("train", t.train_images), Dataset{}, q).graph;
    };
    return opt;
}

// The scheme's model finetuned from `trainable` (BatchNorm kept) with the masks its prepare step
// gives the folded model, as evaluate does; `ctx` gets the scheme's parameters.
Graph finetune_with_its_masks(const std::string& name, const nlohmann::json& params,
                              const Graph& trainable, const Tensor& calib, const EvalOptions& opt,
                              SchemeContext& ctx) {
    const Scheme& scheme = find_scheme(name);
    ctx.params = params;
    Graph folded = trainable;
    fold_batchnorms(folded);
    const MaskSet masks = masks_from_quant_model(scheme.prepare(folded, calib, ctx));
    return finetune_scheme(scheme, trainable, masks, ctx, ctx, calib, opt);
}

}  // namespace

// The finetuning contract: after gradual finetuning with BatchNorm kept (and folded after), the
// scheme's own prune and quantize steps change no weight of the finetuned model: its integer
// weights equal plain int8 quantization of the same model, at the scheme's sparsity.
TEST(Finetune, AfterFinetuningTheSchemesPruneStepChangesNoWeight) {
    const EvalOptions opt = short_finetune(1024, 2e-3, 3);
    const Graph trainable = make_zoo_model("vgg-small", 3);  // BatchNorm kept
    const Tensor calib = load_fashion_mnist("train", 32).images;
    // pattern prunes the 3x3 convs only (a third of vgg-small's weights): half their kernels and
    // 5 of 9 entries of the others, so about a quarter of the whole.
    for (const auto& [name, params, min_sparsity] :
         std::vector<std::tuple<std::string, nlohmann::json, double>>{
             {"csr", {{"sparsity", 0.7}}, 0.69}, {"pattern", {{"connectivity", 0.5}}, 0.22}}) {
        const Scheme& scheme = find_scheme(name);
        SchemeContext ctx;
        const Graph tuned = finetune_with_its_masks(name, params, trainable, calib, opt, ctx);
        const QuantModel by_scheme = scheme.prepare(tuned, calib, ctx);
        const QuantModel plain = quantize(tuned, calib, ctx.quant);
        ASSERT_EQ(by_scheme.layers.size(), plain.layers.size());
        int64_t zeros = 0, all = 0;
        for (size_t l = 0; l < plain.layers.size(); ++l) {
            EXPECT_EQ(by_scheme.layers[l].weights.w, plain.layers[l].weights.w)
                << name << " layer " << plain.layers[l].name;
            for (int32_t v : plain.layers[l].weights.w) zeros += v == 0;
            all += static_cast<int64_t>(plain.layers[l].weights.w.size());
        }
        EXPECT_GT(static_cast<double>(zeros) / static_cast<double>(all), min_sparsity) << name;
    }
}

// finetune_grid "scheme": the forward pass computes with the values the scheme's own prepare
// step gives (twofold's per-layer b-bit grid with its LFSR mask, sme's windows with a crossbar
// budget), so the finetuned model is on that grid: preparing it again changes no weight, and
// the forward values the trainer saw equal what the chip computes with.
TEST(Finetune, OnTheSchemesOwnGridItsPrepareStepChangesNoWeight) {
    int64_t projections = 0;
    EvalOptions opt = short_finetune(512, 1e-3, 5, [&projections](TrainOptions& q) {
        EXPECT_TRUE(static_cast<bool>(q.project));
        q.project = [&projections, inner = q.project](const Graph& cur) {
            ++projections;
            return inner(cur);
        };
    });
    opt.finetune_grid = "scheme";
    const Graph trainable = make_zoo_model("vgg-small", 3);  // BatchNorm kept
    const Tensor calib = load_fashion_mnist("train", 16).images;
    for (const auto& [name, params] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"twofold", {{"sparsity", 0.5}, {"bits", 6}}}, {"sme", {{"budget", 2}}}}) {
        const Scheme& scheme = find_scheme(name);
        SchemeContext ctx;
        projections = 0;
        const Graph tuned = finetune_with_its_masks(name, params, trainable, calib, opt, ctx);
        EXPECT_GE(projections, 4) << name << ": every step and the result";
        const auto values = weights_from_quant_model(scheme.prepare(tuned, calib, ctx));
        ASSERT_FALSE(values.empty());
        int64_t off_int8 = 0;
        for (const auto& [wname, v] : values) {
            const Tensor& w = tuned.constant(wname);
            ASSERT_EQ(v.size(), w.data.size()) << wname;
            for (size_t i = 0; i < v.size(); ++i)
                ASSERT_NEAR(v[i], w.data[i], 1e-6 * std::max(1.0f, std::fabs(w.data[i])))
                    << name << " " << wname << " [" << i << "]";
        }
        // Not the int8 grid: quantizing per channel to 8 bits moves some weights of this grid.
        const QuantModel plain = quantize(tuned, calib, ctx.quant);
        const QuantModel own = scheme.prepare(tuned, calib, ctx);
        for (size_t l = 0; l < plain.layers.size(); ++l)
            for (size_t i = 0; i < plain.layers[l].weights.w.size(); ++i)
                off_int8 += plain.layers[l].weights.w[i] != own.layers[l].weights.w[i];
        EXPECT_GT(off_int8, 0) << name;
    }
}
