// Post-training quantization (the dense baseline's quantizer): weights symmetric per output
// channel to w_bits; each weight layer's input calibrated on images to uint a_bits when it never
// goes negative (after ReLU), else int a_bits, by max or percentile of |x|.
#pragma once

#include <string>

#include "core/tensor.hpp"
#include "model/graph.hpp"
#include "quant/quant_model.hpp"

namespace sparsecim {

struct QuantOptions {
    int w_bits = 8;
    int a_bits = 8;
    std::string calibration = "max";  // "max" or "percentile"
    double percentile = 99.99;        // for "percentile": this percentile of |x|
};

// Input statistics of each weight layer, gathered by float inference on calibration images. With
// no images (an empty tensor: the graph is not executed, activations are modelled) every layer
// gets min 0, scale_max 1: unsigned inputs.
struct InputStats {
    float min = 0.0f;
    float scale_max = 0.0f;  // max |x| or its percentile, per the options
};
std::vector<InputStats> calibrate_inputs(const Graph& g, const Tensor& images,
                                         const QuantOptions& opt);

// Symmetric per-column quantization of a float matrix to w_bits (keeps in_block zeros as pruned).
void quantize_weights_symmetric(const FloatMatrix& fm, int w_bits, QuantLayer& layer);
// Fills in_scale / in_signed of a layer from its calibrated statistics.
void set_input_scale(const InputStats& s, int a_bits, QuantLayer& layer);

QuantModel quantize(const Graph& g, const Tensor& calib_images, const QuantOptions& opt);

}  // namespace sparsecim
