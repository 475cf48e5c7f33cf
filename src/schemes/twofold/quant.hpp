// twofold's bit-level quantization (deck 001): one scale per layer, s = max |W| over the layer's
// kept weights; W_q = round(W / s * (2^(b-1) - 1)), an integer in [-(2^(b-1)-1), 2^(b-1)-1]
// stored in b-bit two's complement. The real weight is W_q * s / (2^(b-1) - 1): that is every
// column's w_scale, so the integer reference inference computes with exactly these integers.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/quant_model.hpp"

namespace sparsecim {

// Fills layer.weights (K x N, w_bits = bits, keep = `keep`, pruned values 0), layer.w_scale and
// layer.bias from `fm`. `keep` is K*N (1 = kept). Throws Error for bits outside 2..16.
void scaled_quantize(const FloatMatrix& fm, const std::vector<uint8_t>& keep, int bits,
                     QuantLayer& layer);

// The b-bit two's complement code of w (its low b bits), and its number of ones.
uint32_t twos_code(int32_t w, int bits);
int code_ones(int32_t w, int bits);

}  // namespace sparsecim
