// GraphModule::Impl, the LibTorch side of GraphModule. Include only from src/train/*_torch.cpp.
#pragma once

#include <torch/torch.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "train/graph_module.hpp"

namespace sparsecim {

torch::Tensor to_torch(const Tensor& t);
Tensor from_torch(const torch::Tensor& t);

struct GraphModule::Impl {
    Graph graph;                                  // structure; constants refreshed by write_back
    std::map<std::string, torch::Tensor> values;  // every constant of the graph as a tensor
    std::vector<std::string> params;              // trainable constants, graph order
    std::vector<std::string> weights;             // weight operands of weight layers, graph order
    std::map<std::string, int64_t> weight_axis;   // weight -> output-channel axis
    bool training = false;
    int ste_bits = 0;  // > 0: weights fake-quantized per output channel, straight-through
    // Weights whose forward value is given (a scheme's own grid, TrainOptions::project): they
    // compute with it and pass their gradient straight through; ste_bits does not apply to them.
    std::map<std::string, torch::Tensor> projected;

    explicit Impl(const Graph& g);
    // Runs the graph; with `logits` set, stops before a final Softmax (for the training loss).
    torch::Tensor forward(const torch::Tensor& x, bool logits = false);
    void write_back();  // values -> graph.constants

  private:
    torch::Tensor weight_value(const std::string& name);
    std::vector<torch::Tensor> eval(const Node& n, const std::vector<torch::Tensor>& ins);
};

}  // namespace sparsecim
