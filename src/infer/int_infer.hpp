// Integer reference inference: every weight layer computed as an exact int32 accumulation of
// integer weights times integer inputs (the input quantized with the layer's calibrated scale),
// then rescaled to float for the ops between weight layers. Records, when asked, each weight
// layer's integer input vectors and int32 accumulators: the ground truth of the simulator.
#pragma once

#include <functional>
#include <vector>

#include "core/tensor.hpp"
#include "infer/trace.hpp"
#include "quant/quant_model.hpp"

namespace sparsecim {

// Runs the quantized model on a batch (N x C x H x W) and returns its first graph output.
// With `traces` non-null, one LayerTrace per layer of qm.layers is filled (appended to when the
// vector already holds traces of earlier batches).
// With `accumulate` set, it computes each weight layer's int32 accumulators in place of the exact
// integer matmul: it gets the layer index and a trace holding the layer's inputs (no outputs) and
// fills `acc` (positions * N). The simulator plugs in here to run inference through real ADCs.
using LayerAccumulate =
    std::function<void(size_t layer, const LayerTrace& inputs, std::vector<int32_t>& acc)>;
Tensor run_int(const QuantModel& qm, const Tensor& images,
               std::vector<LayerTrace>* traces = nullptr,
               const LayerAccumulate& accumulate = nullptr);

// acc[p][n] = sum_k x[p][k] * w[k][n], exact (int64 sums, Error on int32 overflow); the P rows
// of x (P * w.K values) are a layer's integer input vectors.
void int_matmul(const std::vector<int32_t>& x, int64_t P, const WeightMatrix& w,
                std::vector<int32_t>& acc);

// Runs the float graph on a batch and returns its first output.
Tensor run_float(const Graph& g, const Tensor& images);

// Index of the largest logit per row of a (batch x classes) tensor.
std::vector<int32_t> argmax_rows(const Tensor& logits);

// Quantizes a real value to the layer's integer input grid.
int32_t quantize_input(float v, const QuantLayer& layer);

}  // namespace sparsecim
