// Graph: the model IR every stage works on. A list of nodes in topological order over named
// tensors; constant tensors (weights, biases, shapes) live in `constants`. Only the ops a CNN needs
// are known (OpKind); the importer rejects anything else, naming the op, the node and the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.hpp"

namespace sparsecim {

enum class OpKind {
    Conv,
    Gemm,
    MatMul,
    BatchNormalization,
    Relu,
    Clip,
    MaxPool,
    AveragePool,
    GlobalAveragePool,
    Add,
    Concat,
    Flatten,
    Reshape,
    Identity,
    Softmax,
};

// ONNX op type name -> OpKind; nullopt for an op the IR does not know. Dropout maps to Identity.
std::optional<OpKind> op_kind_from_onnx(const std::string& op_type);
const char* op_name(OpKind kind);

using AttrValue =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;

struct Node {
    OpKind op = OpKind::Identity;
    std::string name;
    std::vector<std::string> inputs;  // tensor names; "" for an omitted optional input
    std::vector<std::string> outputs;
    std::map<std::string, AttrValue> attrs;

    int64_t attr_int(const std::string& key, int64_t fallback) const;
    float attr_float(const std::string& key, float fallback) const;
    std::string attr_string(const std::string& key, const std::string& fallback) const;
    std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback) const;
};

struct ValueInfo {
    std::string name;
    Shape shape;  // -1 for a symbolic dimension (batch)
};

struct Graph {
    std::string name;
    std::string source;  // file it came from (for messages)
    std::vector<ValueInfo> inputs;
    std::vector<std::string> outputs;
    std::vector<Node> nodes;
    std::map<std::string, Tensor> constants;
    int64_t opset = 13;  // default-domain ONNX opset the node semantics follow (Softmax, Clip)

    bool is_constant(const std::string& tensor) const { return constants.count(tensor) != 0; }
    const Tensor& constant(const std::string& tensor) const;
};

// A weight layer is a Conv, Gemm or MatMul whose weight operand is a constant.
bool is_weight_layer(const Graph& g, const Node& n);
// Name of the weight operand's constant tensor of a weight layer.
const std::string& weight_name(const Node& n);

}  // namespace sparsecim
