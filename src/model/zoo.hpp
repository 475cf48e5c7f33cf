// Built-in architectures, built in code with seeded weights. Input "input", output "logits",
// opset 13.
//  - Test architectures for 1x28x28 (MNIST-shaped), untrained: tiny-cnn, lenet, resnet-mini,
//    concat-net (their weights are fixed by the tests: do not change their draws).
//  - Trainable 1x28x28 architectures (`sparsecim train` initialisation, BN at its initial state):
//    vgg-small (3x3 convs 16-16-M-32-32-M-64-M, FC 576-128-10), resnet20 (ResNet-20, 16/32/64
//    channels, 1x1 projection shortcuts at the stride-2 stage entries). lenet is trained too.
//  - Exact-shape networks of the source documents with SYNTHETIC weights (He-scaled Laplace per
//    layer: Laplace(0, b), b = sqrt(1/fan_in), std sqrt(2/fan_in); biases 0; BN omitted as it
//    folds into the convs), labelled as such in the graph name: resnet18, resnet50, vgg16
//    (3x224x224, 1000 classes), vgg16-cifar, resnet20-cifar (3x32x32, 10 classes), mobilenetv2
//    (torchvision MobileNetV2, 3x224x224: depthwise 3x3 convs, ReLU6 as Clip). They serve
//    scale and speed studies, not accuracy claims. Weights come from std::mt19937_64 through a
//    fixed, portable
// mapping (top 24 bits -> uniform [-1,1), Kaiming-uniform scale), so a seed gives the same bytes
// on every platform. BatchNorm nodes carry non-trivial seeded statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.hpp"

namespace sparsecim {

// The small untrained test architectures (tiny-cnn, lenet, resnet-mini, concat-net): what tests
// iterate over. Fixed: the tests of every scheme depend on this list and on their weights.
std::vector<std::string> zoo_names();
// The 1x28x28 architectures meant for `sparsecim train` (lenet, vgg-small, resnet20).
std::vector<std::string> zoo_trainable_names();
// The exact-shape networks with synthetic weights (resnet18, resnet50, vgg16, vgg16-cifar,
// resnet20-cifar, mobilenetv2).
std::vector<std::string> zoo_shape_names();
// Every name make_zoo_model accepts, in a fixed order.
std::vector<std::string> zoo_all_names();

// True for the architectures whose weights are synthetic (not meant to classify anything).
bool zoo_is_synthetic(const std::string& name);

// Builds the named architecture with weights drawn from `seed`. Throws Error for an unknown name
// (listing the known ones).
Graph make_zoo_model(const std::string& name, uint64_t seed);

}  // namespace sparsecim
