// QuantModel: a Graph whose weight layers carry integer weights (a WeightMatrix per layer), the
// per-output-channel weight scales, the float bias, and the calibrated input scale. The integer
// reference inference (infer/int_infer.hpp) runs it; every scheme's quantizer produces one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "model/graph.hpp"
#include "model/weight_matrix.hpp"

namespace sparsecim {

struct QuantLayer {
    size_t node = 0;  // index into graph.nodes
    std::string name;
    WeightMatrix weights;        // integer, K x N
    std::vector<float> w_scale;  // per output column: real weight = w * w_scale[n]
    std::vector<float> bias;     // per output column, float
    float in_scale = 1.0f;       // real input = x_int * in_scale
    bool in_signed = false;      // inputs int a_bits (else uint a_bits)
    int a_bits = 8;
    // Kernel height and width of a Conv or ConvTranspose (rows of `weights` are (c, ky, kx) of
    // the direct convolution); 0 for Gemm/MatMul.
    int64_t kernel_h = 0, kernel_w = 0;
    // Left dense by the scheme's exemption of the first and last layers (schemes/exempt.hpp):
    // not pruned, and mapped without pruning metadata.
    bool exempt = false;
};

struct QuantModel {
    Graph graph;
    std::vector<QuantLayer> layers;  // in graph order
    std::vector<int> layer_of_node;  // graph node index -> layer index, -1 for other nodes

    const QuantLayer* layer_for_node(size_t node) const {
        if (node >= layer_of_node.size() || layer_of_node[node] < 0) return nullptr;
        return &layers[static_cast<size_t>(layer_of_node[node])];
    }
};

// The float weights of a weight layer flattened to K x N (row-major) as in WeightMatrix, placed by
// weight_matrix_layout: Conv OIHW -> rows (c, ky, kx), grouped convs block-diagonal; ConvTranspose
// -> its equivalent direct convolution's (flipped kernel); Gemm B -> (K, N) honouring transB and
// alpha; MatMul B (K, N). Throws Error naming the node for a form the integer path cannot take.
struct FloatMatrix {
    int64_t K = 0, N = 0;
    std::vector<float> w;           // K*N
    std::vector<uint8_t> in_block;  // K*N: 1 where the weight exists (0 outside a group's block)
    std::vector<float> bias;        // N (zeros when the layer has none)
    int64_t groups = 1;             // the diagonal blocks (WeightMatrix::groups)
};
// With `values` false, only K, N and groups are filled (the same checks run): the shape of a
// layer without copying its weights.
FloatMatrix float_weight_matrix(const Graph& g, const Node& n, bool values = true);

}  // namespace sparsecim
