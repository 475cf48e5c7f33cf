// Where each element of a weight layer's weight constant sits in the layer's K x N matrix (the
// WeightMatrix every mapper starts from). One definition, so quantization, pruning and masks all
// flatten Conv, ConvTranspose, Gemm and MatMul weights the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/graph.hpp"

namespace sparsecim {

// pos[i] = k * N + n for element i of the weight constant (in its own row-major order):
// - Conv, weight O x I/group x kh x kw: row k = (c, ky, kx) with c the input channel, column o;
//   grouped convs are block-diagonal (rows of other groups' channels are not in any pos).
// - ConvTranspose, weight I x O/group x kh x kw: the equivalent direct convolution
//   (conv_transpose_as_conv): element (c, o, ky, kx) is row (c, kh-1-ky, kw-1-kx), column
//   group(c) * O/group + o; block-diagonal like a grouped Conv.
// - Gemm B: (k, n), honouring transB; MatMul B (K x N): (k, n).
struct MatrixLayout {
    int64_t K = 0, N = 0;
    int64_t groups = 1;  // the conv's group: K x N is block-diagonal in `groups` blocks
    std::vector<int64_t> pos;
};
// Throws Error naming the node for a weight of another rank than weight_matrix_rank(n), or
// channels a group does not divide. With `positions` false, `pos` stays empty (the shape alone).
MatrixLayout weight_matrix_layout(const Graph& g, const Node& n, bool positions = true);

// The rank a weight layer's constant has in the K x N layout: 4 for Conv and ConvTranspose (2-D
// convolutions), 2 for Gemm and MatMul.
size_t weight_matrix_rank(const Node& n);

}  // namespace sparsecim
