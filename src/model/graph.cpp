// OpKind names and Node attribute accessors.
#include "model/graph.hpp"

#include "core/error.hpp"

namespace sparsecim {

namespace {
struct OpEntry {
    const char* onnx;
    OpKind kind;
};
constexpr OpEntry kOps[] = {
    {"Conv", OpKind::Conv},
    {"Gemm", OpKind::Gemm},
    {"MatMul", OpKind::MatMul},
    {"BatchNormalization", OpKind::BatchNormalization},
    {"Relu", OpKind::Relu},
    {"Clip", OpKind::Clip},
    {"MaxPool", OpKind::MaxPool},
    {"AveragePool", OpKind::AveragePool},
    {"GlobalAveragePool", OpKind::GlobalAveragePool},
    {"Add", OpKind::Add},
    {"Concat", OpKind::Concat},
    {"Flatten", OpKind::Flatten},
    {"Reshape", OpKind::Reshape},
    {"Identity", OpKind::Identity},
    {"Dropout", OpKind::Identity},
    {"Softmax", OpKind::Softmax},
    {"ConvTranspose", OpKind::ConvTranspose},
    {"Sigmoid", OpKind::Sigmoid},
    {"HardSigmoid", OpKind::HardSigmoid},
    {"HardSwish", OpKind::HardSwish},
    {"LeakyRelu", OpKind::LeakyRelu},
    {"PRelu", OpKind::PRelu},
    {"Mul", OpKind::Mul},
    {"Div", OpKind::Div},
    {"Sub", OpKind::Sub},
    {"Pad", OpKind::Pad},
    {"Resize", OpKind::Resize},
    {"Upsample", OpKind::Upsample},
    {"Transpose", OpKind::Transpose},
    {"Squeeze", OpKind::Squeeze},
    {"Unsqueeze", OpKind::Unsqueeze},
    {"ReduceMean", OpKind::ReduceMean},
    {"Shape", OpKind::ShapeOf},
    {"Gather", OpKind::Gather},
    {"Slice", OpKind::Slice},
    {"Cast", OpKind::Cast},
};
}  // namespace

std::optional<OpKind> op_kind_from_onnx(const std::string& op_type) {
    for (const auto& e : kOps)
        if (op_type == e.onnx) return e.kind;
    return std::nullopt;
}

const char* op_name(OpKind kind) {
    for (const auto& e : kOps)
        if (e.kind == kind) return e.onnx;
    return "?";
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
    auto it = attrs.find(key);
    if (it == attrs.end()) return fallback;
    if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
    throw Error("node '" + name + "': attribute '" + key + "' is not an integer");
}

float Node::attr_float(const std::string& key, float fallback) const {
    auto it = attrs.find(key);
    if (it == attrs.end()) return fallback;
    if (auto* v = std::get_if<float>(&it->second)) return *v;
    if (auto* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
    throw Error("node '" + name + "': attribute '" + key + "' is not a float");
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
    auto it = attrs.find(key);
    if (it == attrs.end()) return fallback;
    if (auto* v = std::get_if<std::string>(&it->second)) return *v;
    throw Error("node '" + name + "': attribute '" + key + "' is not a string");
}

std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
    auto it = attrs.find(key);
    if (it == attrs.end()) return fallback;
    if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
    throw Error("node '" + name + "': attribute '" + key + "' is not a list of integers");
}

std::string Node::type() const {
    if (op != OpKind::Unknown) return op_name(op);
    return domain.empty() || domain == "ai.onnx" ? op_type : domain + "." + op_type;
}

const Node* first_unsupported_node(const Graph& g) {
    for (const auto& n : g.nodes)
        if (n.op == OpKind::Unknown) return &n;
    return nullptr;
}

std::string unsupported_op_message(const Graph& g, const Node& n) {
    return (g.source.empty() ? "" : g.source + ": ") + "unsupported op '" + n.type() +
           "' in node '" + n.name + "'";
}

const Tensor& Graph::constant(const std::string& tensor) const {
    auto it = constants.find(tensor);
    if (it == constants.end()) throw Error(source + ": tensor '" + tensor + "' is not a constant");
    return it->second;
}

bool is_weight_layer(const Graph& g, const Node& n) {
    switch (n.op) {
        case OpKind::Conv:
        case OpKind::ConvTranspose:
        case OpKind::Gemm:
        case OpKind::MatMul:
            return n.inputs.size() >= 2 && g.is_constant(n.inputs[1]);
        default:
            return false;
    }
}

const std::string& weight_name(const Node& n) {
    return n.inputs.at(1);
}

}  // namespace sparsecim
