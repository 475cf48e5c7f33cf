// Per-layer summary of a model's weight layers (what `sparsecim import` prints and what
// mapping-only analysis sizes its modelled traces by): weight shape, the K x N matrix a mapper
// sees, input shape, output positions and MACs per image, and weight sparsity. Shapes come from
// ONNX's static shape inference, so no op of the graph has to be executable (where it stops short
// on an executable graph, one float run on a zero input completes them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/conv_geom.hpp"
#include "model/graph.hpp"

namespace sparsecim {

struct LayerInfo {
    size_t node = 0;  // index into g.nodes
    std::string name;
    std::string op;
    Shape weight_shape;
    Shape input_shape;  // of the layer's data input, symbolic (batch) dimensions as 1
    int64_t K = 0, N = 0;
    int64_t positions = 0;  // input vectors per image: output pixels of a conv (or of a
                            // ConvTranspose's equivalent convolution), rows of a Gemm
    int64_t macs = 0;       // per image (a ConvTranspose: input pixels x Cin x Cout/group x taps)
    std::optional<ConvGeom> conv;  // the direct convolution of a Conv or ConvTranspose
    int64_t weights = 0;           // elements of the weight tensor
    int64_t zeros = 0;             // of them exactly zero
};

// Throws Error naming the layer when its input shape cannot be inferred statically.
std::vector<LayerInfo> summarize(const Graph& g);

}  // namespace sparsecim
