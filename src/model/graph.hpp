// Graph: the model IR every stage works on. A list of nodes in topological order over named
// tensors; constant tensors (weights, biases, shapes) live in `constants`. The ops inference can
// run are OpKinds; any other op is kept as OpKind::Unknown with its ONNX type, so the weight layers
// of any graph can still be mapped (inference names the op, the node and the file instead).
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
    ConvTranspose,
    Sigmoid,
    HardSigmoid,
    HardSwish,
    LeakyRelu,
    PRelu,
    Mul,
    Div,
    Sub,
    Pad,
    Resize,
    Upsample,
    Transpose,
    Squeeze,
    Unsqueeze,
    ReduceMean,
    ShapeOf,  // ONNX Shape
    Gather,
    Slice,
    Cast,
    Unknown,  // an op inference cannot run (Node::op_type holds its ONNX type)
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
    // For OpKind::Unknown: the ONNX op type and domain ("" = default) as written in the file.
    std::string op_type, domain;
    // Its (first) output has an integer ONNX element type, as import traces it from the graph
    // inputs', initializers' and Casts' types: Div then truncates, as integer division does.
    bool integer_output = false;

    // The op's name for messages: the ONNX type as written for an Unknown op, else op_name(op).
    std::string type() const;

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

// The first node inference cannot run (an Unknown op), or nullptr.
const Node* first_unsupported_node(const Graph& g);
// "SOURCE: unsupported op 'T' in node 'N'": the error inference gives for an Unknown node.
std::string unsupported_op_message(const Graph& g, const Node& n);

// A weight layer is a Conv, ConvTranspose, Gemm or MatMul whose weight operand is a constant.
bool is_weight_layer(const Graph& g, const Node& n);
// Name of the weight operand's constant tensor of a weight layer.
const std::string& weight_name(const Node& n);

}  // namespace sparsecim
