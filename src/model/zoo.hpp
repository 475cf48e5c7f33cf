// Built-in small test architectures for 1x28x28 inputs (MNIST-shaped), built in code with seeded
// synthetic weights: tiny-cnn, lenet, resnet-mini, concat-net. Input "input" [-1,1,28,28],
// output "logits" [N,10], opset 13. Weights come from std::mt19937_64 through a fixed, portable
// mapping (top 24 bits -> uniform [-1,1), Kaiming-uniform scale), so a seed gives the same bytes
// on every platform. BatchNorm nodes carry non-trivial seeded statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.hpp"

namespace sparsecim {

// Names accepted by make_zoo_model, in a fixed order.
std::vector<std::string> zoo_names();

// Builds the named architecture with weights drawn from `seed`. Throws Error for an unknown name
// (listing the known ones).
Graph make_zoo_model(const std::string& name, uint64_t seed);

}  // namespace sparsecim
