// Per-layer summary of a model's weight layers (what `sparsecim import` prints): weight shape,
// the K x N matrix a mapper sees, MACs per image, and weight sparsity. Shapes come from one
// float inference on a zero image.
#pragma once

#include <string>
#include <vector>

#include "model/graph.hpp"

namespace sparsecim {

struct LayerInfo {
    std::string name;
    std::string op;
    Shape weight_shape;
    int64_t K = 0, N = 0;
    int64_t macs = 0;     // per image
    int64_t weights = 0;  // elements of the weight tensor
    int64_t zeros = 0;    // of them exactly zero
};

std::vector<LayerInfo> summarize(const Graph& g);

}  // namespace sparsecim
