// LayerTrace: what one weight layer saw during integer reference inference: per output position
// (image x output pixel for a conv, image for a Gemm) its integer input vector and the exact
// int32 accumulators it produced. The simulator replays the inputs and must reproduce the outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sparsecim {

struct LayerTrace {
    std::string layer;
    int64_t K = 0, N = 0;
    int a_bits = 8;
    bool in_signed = false;  // inputs are two's complement a_bits (else unsigned)
    int64_t positions = 0;
    std::vector<int32_t> inputs;   // positions * K
    std::vector<int32_t> outputs;  // positions * N

    const int32_t* input(int64_t p) const { return inputs.data() + p * K; }
    const int32_t* output(int64_t p) const { return outputs.data() + p * N; }
};

}  // namespace sparsecim
