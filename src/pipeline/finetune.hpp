// Finetuning a scheme's model so that it recovers its accuracy: trained with BatchNorm kept (and
// folded after), Adam with a cosine learning rate, weights on the int grid through a
// straight-through estimator, the scheme's regulariser, and the scheme's masks reached gradually
// (Zhu & Gupta 2017) instead of in one shot. The training itself is the caller's FinetuneFn.
#pragma once

#include <cstdint>

#include "model/graph.hpp"
#include "pipeline/evaluate.hpp"
#include "schemes/scheme.hpp"
#include "train/masks.hpp"

namespace sparsecim {

// The share of the target's pruned weights masked at `step` of a ramp of `ramp_steps` steps:
// 1 - (1 - step/ramp)^3 (the cubic schedule of Zhu & Gupta 2017), 1 from the ramp's end on.
double gradual_share(int64_t step, int64_t ramp_steps);

// `target` relaxed to `share` of its masked weights: in each weight tensor, of the positions the
// target masks, only the round(share x count) with the smallest |w| in `g` stay masked (ties:
// lower index first); share 1 gives `target`, share 0 masks nothing.
MaskSet relax_masks(const MaskSet& target, const Graph& g, double share);

// The values the scheme computes with for `g`'s weights (BatchNorm kept): scheme.prepare on the
// folded graph, dequantized (integer x scale), divided back by each conv channel's BatchNorm
// factor, per weight constant in its layout. The finetuning grid of opt.finetune_grid "scheme".
std::map<std::string, std::vector<float>> scheme_grid_values(const Scheme& scheme, const Graph& g,
                                                             const Tensor& calib,
                                                             const SchemeContext& prep_ctx);

// The scheme's model finetuned from `trainable` (BatchNorm kept) and folded: the masks come from
// scheme.prepare on the current weights (so the scheme's own structure is what is pruned), ramped
// up over the first half of the steps when opt.finetune_prune is "gradual", or those of `masks`
// from the start when "oneshot". `calib` are the calibration images prepare sees.
Graph finetune_scheme(const Scheme& scheme, const Graph& trainable, const MaskSet& masks,
                      const SchemeContext& ctx, const SchemeContext& prep_ctx, const Tensor& calib,
                      const EvalOptions& opt);

}  // namespace sparsecim
