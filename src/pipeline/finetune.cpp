// Finetuning a scheme's model: gradual masks from the scheme's own prepare step, BatchNorm folded
// after training.
#include "pipeline/finetune.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <optional>

#include "core/error.hpp"
#include "import/onnx_io.hpp"
#include "model/idx.hpp"

namespace sparsecim {

double gradual_share(int64_t step, int64_t ramp_steps) {
    if (ramp_steps <= 0 || step >= ramp_steps) return 1.0;
    const double left =
        1.0 - static_cast<double>(std::max<int64_t>(0, step)) / static_cast<double>(ramp_steps);
    return 1.0 - left * left * left;
}

MaskSet relax_masks(const MaskSet& target, const Graph& g, double share) {
    MaskSet out = target;
    if (share >= 1.0) return out;
    for (auto& [name, keep] : out) {
        const Tensor& w = g.constant(name);
        if (w.data.size() != keep.size())
            throw Error("mask '" + name + "': " + std::to_string(keep.size()) +
                        " elements for a weight of " + std::to_string(w.data.size()));
        std::vector<size_t> masked;
        for (size_t i = 0; i < keep.size(); ++i)
            if (!keep[i]) masked.push_back(i);
        std::stable_sort(masked.begin(), masked.end(), [&](size_t a, size_t b) {
            return std::fabs(w.data[a]) < std::fabs(w.data[b]);
        });
        const auto hold = static_cast<size_t>(
            std::llround(std::max(0.0, share) * static_cast<double>(masked.size())));
        for (size_t j = hold; j < masked.size(); ++j) keep[masked[j]] = 1;
    }
    return out;
}

std::map<std::string, std::vector<float>> scheme_grid_values(const Scheme& scheme, const Graph& g,
                                                             const Tensor& calib,
                                                             const SchemeContext& prep_ctx) {
    Graph folded = g;
    fold_batchnorms(folded);
    std::map<std::string, std::vector<float>> values =
        weights_from_quant_model(scheme.prepare(folded, calib, prep_ctx));
    // Back into g's units: folding scaled each output channel (dim 0) of a conv's weight by
    // f = gamma / sqrt(var + eps); f is read off the channel's largest weight.
    for (auto it = values.begin(); it != values.end();) {
        auto src = g.constants.find(it->first);
        const Tensor& fw = folded.constant(it->first);
        if (src == g.constants.end() || src->second.data.size() != it->second.size()) {
            it = values.erase(it);  // a weight folding copied under a new name: not projected
            continue;
        }
        const Tensor& w = src->second;
        const int64_t channels = w.rank() >= 1 ? w.dim(0) : 1;
        const auto per = static_cast<size_t>(w.size() / std::max<int64_t>(1, channels));
        for (size_t o = 0; o * per < w.data.size(); ++o) {
            size_t at = o * per;
            for (size_t i = o * per; i < (o + 1) * per; ++i)
                if (std::fabs(w.data[i]) > std::fabs(w.data[at])) at = i;
            const double f =
                w.data[at] != 0.0f ? static_cast<double>(fw.data[at]) / w.data[at] : 1.0;
            for (size_t i = o * per; i < (o + 1) * per; ++i)
                it->second[i] = f != 0.0 ? static_cast<float>(it->second[i] / f) : 0.0f;
        }
        ++it;
    }
    return values;
}

Graph finetune_scheme(const Scheme& scheme, const Graph& trainable, const MaskSet& masks,
                      const SchemeContext& ctx, const SchemeContext& prep_ctx, const Tensor& calib,
                      const EvalOptions& opt) {
    TrainOptions t;
    t.epochs = finetune_epochs_of(opt, scheme.name);
    t.seed = opt.seed;
    const auto own_lr = opt.finetune_lr_scheme.find(scheme.name);
    t.lr = own_lr != opt.finetune_lr_scheme.end() ? own_lr->second : opt.finetune_lr;
    t.train_images = opt.finetune_images;
    // Scored on the validation split: train on the images before it only.
    if (opt.accuracy_split == "val" && t.train_images == 0) t.train_images = val_first(opt.data);
    t.test_images = 0;
    t.ste_bits = ctx.quant.w_bits;
    t.label = "finetune";
    t.progress = opt.progress;
    t.masks = masks;
    if (scheme.regularizer) t.regularizer = scheme.regularizer(trainable, masks, ctx);
    if (opt.finetune_distill > 0.0) {  // the teacher: the trained model, dense and in float
        t.teacher = std::make_shared<const Graph>(trainable);
        t.distill_alpha = opt.finetune_distill;
        t.distill_temperature = opt.finetune_temperature;
    }
    // The scheme's own grid: its prepare step on the current weights, every step. One calibration
    // image is enough: the weights a prepare step gives do not depend on activations.
    Tensor calib1 = calib;
    if (calib.rank() >= 1 && calib.dim(0) > 1) {
        Shape one = calib.shape;
        one[0] = 1;
        calib1 = Tensor(one, 0.0f);
        std::copy_n(calib.data.begin(), calib1.data.size(), calib1.data.begin());
    }
    if (opt.finetune_grid == "scheme")
        t.project = [&scheme, &prep_ctx, calib1](const Graph& cur) {
            return scheme_grid_values(scheme, cur, calib1, prep_ctx);
        };
    if (opt.finetune_prune == "gradual") {
        // Every remask runs the scheme's prepare on the folded current weights: its choice of
        // what to prune, relaxed to the schedule's share. Once the ramp is over the last full
        // mask holds.
        std::optional<MaskSet> full;
        t.remask = [&, full](int64_t step, int64_t total, const Graph& cur) mutable {
            if (full) return *full;
            Graph folded = cur;
            fold_batchnorms(folded);
            MaskSet target = masks_from_quant_model(scheme.prepare(folded, calib, prep_ctx));
            const double share = gradual_share(step, total / 2);
            if (share >= 1.0) {
                full = target;
                return target;
            }
            return relax_masks(target, cur, share);
        };
        // About 8 mask updates over the ramp (the first half of the steps), then the full mask.
        const int64_t images = t.train_images > 0 ? t.train_images : 60000;
        const int64_t steps = (images + t.batch - 1) / t.batch * t.epochs;
        t.remask_every = std::max<int64_t>(1, steps / 2 / 8);
    }
    Graph tuned = opt.finetune(trainable, t);
    fold_batchnorms(tuned);
    if (opt.finetune_grid == "scheme")  // exactly on the grid, in the folded units
        set_constants(tuned, weights_from_quant_model(scheme.prepare(tuned, calib1, prep_ctx)));
    return tuned;
}

}  // namespace sparsecim
