// Float reference inference of a Graph: every OpKind, NCHW float32, checked against the ONNX
// project's own node tests. The integer reference reuses this executor and overrides the weight
// layers (Conv/ConvTranspose/Gemm/MatMul with constant weights) through `WeightLayerFn`.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "core/tensor.hpp"
#include "model/graph.hpp"

namespace sparsecim {

using TensorMap = std::map<std::string, Tensor>;

// Computes a weight layer's output from its (float) input instead of the float kernel.
// `node_index` indexes g.nodes.
using WeightLayerFn = std::function<Tensor(size_t node_index, const Node& node, const Tensor& x)>;

// Runs the graph on `inputs` (by graph input name) and returns every graph output by name.
// With `weight_layer` set, every weight layer is computed by it. Throws Error naming the node.
TensorMap run_graph(const Graph& g, const TensorMap& inputs,
                    const WeightLayerFn& weight_layer = {});

// Evaluates one node given all its input tensors (constants included, "" inputs absent).
// An omitted optional input is a nullptr (or absent at the end). Uses opset-13 semantics.
std::vector<Tensor> eval_node(const Node& n, const std::vector<const Tensor*>& ins);
// The same under the semantics of default-domain `opset` (Softmax before 13 coerces to 2-D).
std::vector<Tensor> eval_node(const Node& n, const std::vector<const Tensor*>& ins, int64_t opset);

}  // namespace sparsecim
