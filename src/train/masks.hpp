// Weight masks for finetuning, in plain C++ (no LibTorch), so a scheme can hand its pruning masks
// to the trainer. A mask is per weight constant, in the constant's own layout (OIHW for Conv, as
// stored for Gemm/MatMul): 1 = the weight trains freely, 0 = the weight is held at exactly zero.
// Also the small Graph edits training needs: BatchNorm reset for training from scratch, and
// snapping weights onto the symmetric per-output-channel integer grid of the quantizer.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/graph.hpp"
#include "model/weight_layout.hpp"
#include "quant/quant_model.hpp"

namespace sparsecim {

// Constant name -> keep flag per element (same element count and order as the constant).
using MaskSet = std::map<std::string, std::vector<uint8_t>>;

// The weight constants of the weight layers (Conv/ConvTranspose/Gemm/MatMul weight operands), in
// graph order, each once.
std::vector<std::string> weight_constants(const Graph& g);

// Masks holding every weight that is exactly zero in `g` at zero (the pruned weights of a pruned
// model), for every weight constant.
MaskSet masks_from_zeros(const Graph& g);

// Masks from a scheme's QuantModel: a weight is kept where its integer value is non-zero and its
// keep flag is set (WeightMatrix K x N mapped back onto the constant's layout). `qm.graph` must
// be the graph the masks are applied to (same constants and shapes).
MaskSet masks_from_quant_model(const QuantModel& qm);

// The values a scheme's QuantModel computes with, per weight constant of `qm.graph` in its
// layout: integer weight x its column's scale (0 where the keep flag is clear).
std::map<std::string, std::vector<float>> weights_from_quant_model(const QuantModel& qm);

// Sets each named constant of `g` to its values (same element count; Error naming it if not).
void set_constants(Graph& g, const std::map<std::string, std::vector<float>>& values);

// Where each element of a weight layer's constant sits in its K x N matrix (MatrixLayout,
// weight_matrix_layout) is model/weight_layout.hpp's, shared with the quantizers.

// Throws Error naming the constant when a mask names no weight constant of `g` or has the wrong
// number of elements.
void check_masks(const Graph& g, const MaskSet& masks);

// Sets masked-out weights to exactly +0.
void apply_masks(Graph& g, const MaskSet& masks);

// Fraction of masked-out elements over all masks (0 for none).
double masked_fraction(const MaskSet& masks);

// Replaces every weight constant by its value on the symmetric per-output-channel grid of
// `w_bits` bits (scale = max|w| / (2^(w_bits-1) - 1), round half away from zero, as the
// post-training quantizer does), so quantizing the result again gives the same integers.
void snap_weights_to_grid(Graph& g, int w_bits);

// Resets every BatchNormalization to scale 1, bias 0, mean 0, var 1 (training from scratch).
void reset_batchnorm(Graph& g);

// Magnitude pruning: zeroes the `fraction` smallest-|w| weights of each weight constant (ties
// broken by position). fraction in [0, 1).
void prune_by_magnitude(Graph& g, double fraction);

}  // namespace sparsecim
