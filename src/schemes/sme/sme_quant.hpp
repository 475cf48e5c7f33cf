// SME's quantizer: every weight magnitude becomes a sum of powers of two whose exponents lie in S
// consecutive integers (a window of S bits that starts at the leading one), the nearest such
// value on the int8 per-channel PTQ grid. The sign is kept apart (sign and magnitude), so the
// magnitude's bit planes carry the sparsity the mapper squeezes out.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "model/graph.hpp"
#include "quant/ptq.hpp"
#include "quant/quant_model.hpp"
#include "schemes/sme/sme_params.hpp"

namespace sparsecim {

// Whether the set bits of `m` lie within S consecutive positions (0 counts as representable).
bool sme_representable(uint32_t m, int S);

// The representable magnitudes 0 .. 2^mag_bits - 1, ascending.
std::vector<uint32_t> sme_levels(int S, int mag_bits);

// The representable magnitude nearest to v >= 0 among `levels` (ascending, from sme_levels);
// a tie goes to the larger one (as round-half-away-from-zero does), v above the top level
// saturates to it.
uint32_t sme_nearest(double v, const std::vector<uint32_t>& levels);
// Same, building the levels of (S, mag_bits) on the fly.
uint32_t sme_round(double v, int S, int mag_bits);

// Re-quantizes one layer of an int8 PTQ model in place with window S: the real weight (its float
// weight `fm` for source "float", the int8 weight times its scale for "int8") divided by the
// layer's per-channel PTQ scale (scale "channel", kept) or by one scale for the layer (scale
// "layer": max |w| / (2^(w_bits-1) - 1), replacing w_scale) is rounded to the nearest level.
// Bias and input calibration are kept; zeros (pruned or outside a group's block) stay zero.
void sme_requantize_layer(QuantLayer& layer, const FloatMatrix& fm, const SmeParams& p);

// Lossy squeeze-out (sme.budget > 0): per crossbar group of p.group_rows rows x p.group_outputs
// columns of `w`, while its non-empty (row, bit plane) pairs exceed budget x group_rows, the pair
// whose set bits carry the least squared weight (sum of (2^plane x scale[n])^2) has its bits
// cleared. The bits of each scale group's largest |w| are kept. Returns the pairs cleared.
int64_t sme_drop_to_budget(WeightMatrix& w, const std::vector<float>& scale, const SmeParams& p);

// The scheme's prepare step: int8 per-channel PTQ (quantize()), then every weight layer
// re-quantized by sme_requantize_layer.
QuantModel sme_quantize(const Graph& g, const Tensor& calib, const QuantOptions& opt,
                        const SmeParams& p);

}  // namespace sparsecim
