// GraphModule: a Graph of the supported ops as a trainable LibTorch computation, in a plain C++
// header (LibTorch stays inside src/train/*_torch.cpp). Its parameters are the graph's constants
// that carry weights: Conv/Gemm weights and biases, constant MatMul and Add operands, and
// BatchNormalization scale and bias (mean and var are running statistics, updated in training
// mode with the node's momentum). `to_graph()` writes the current values back into the Graph.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "model/graph.hpp"

namespace sparsecim {

class GraphModule {
  public:
    // Throws Error naming the node for an op or attribute form the conversion does not support
    // (e.g. a non-constant Reshape shape, dilated AveragePool, MaxPool's indices output).
    explicit GraphModule(const Graph& g);
    ~GraphModule();
    GraphModule(GraphModule&&) noexcept;
    GraphModule& operator=(GraphModule&&) noexcept;

    // Inference-mode forward of a batch (N x C x H x W) through LibTorch: the first graph output.
    Tensor forward(const Tensor& images) const;
    // The graph with the module's current parameter and statistics values.
    Graph to_graph() const;
    // Names of the trainable constants, in a fixed order.
    std::vector<std::string> parameter_names() const;

    struct Impl;  // defined in train/torch_module.hpp (LibTorch inside)
    Impl& impl() { return *impl_; }
    const Impl& impl() const { return *impl_; }

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace sparsecim
