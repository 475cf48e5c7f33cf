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

Graph finetune_scheme(const Scheme& scheme, const Graph& trainable, const MaskSet& masks,
                      const SchemeContext& ctx, const SchemeContext& prep_ctx, const Tensor& calib,
                      const EvalOptions& opt) {
    TrainOptions t;
    t.epochs = opt.finetune_epochs;
    t.seed = opt.seed;
    t.lr = opt.finetune_lr;
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
    return tuned;
}

}  // namespace sparsecim
