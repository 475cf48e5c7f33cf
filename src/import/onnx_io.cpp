// ONNX import/export through libonnx's generated protobuf classes: ModelProto <-> Graph,
// TensorProto -> Tensor (every numeric dtype held as float), and BatchNorm folding into Conv.
#include "import/onnx_io.hpp"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "infer/float_infer.hpp"

namespace sparsecim {

namespace {

using onnx::TensorProto;

// IEEE half -> float (for FLOAT16 tensors, which the node tests do not need but cost nothing).
float half_to_float(uint16_t h) {
    const uint32_t sign = (h >> 15) & 1u;
    const int32_t exp = (h >> 10) & 0x1f;
    const uint32_t mant = h & 0x3ffu;
    float v;
    if (exp == 0)
        v = std::ldexp(static_cast<float>(mant), -24);
    else if (exp == 31)
        v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else
        v = std::ldexp(static_cast<float>(mant | 0x400u), exp - 25);
    return sign ? -v : v;
}

template <typename T>
std::vector<float> decode_raw(const std::string& raw, size_t count, const std::string& where) {
    if (raw.size() != count * sizeof(T))
        throw Error(where + ": raw_data has " + std::to_string(raw.size()) + " bytes, dims need " +
                    std::to_string(count * sizeof(T)));
    std::vector<float> out(count);
    for (size_t i = 0; i < count; ++i) {
        T v;
        std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
        out[i] = static_cast<float>(v);
    }
    return out;
}

template <typename Field, typename Conv>
std::vector<float> decode_field(const Field& f, size_t count, const std::string& where,
                                const char* field_name, Conv conv) {
    if (static_cast<size_t>(f.size()) != count)
        throw Error(where + ": " + field_name + " has " + std::to_string(f.size()) +
                    " values but dims need " + std::to_string(count));
    std::vector<float> out(count);
    for (size_t i = 0; i < count; ++i) out[i] = conv(f.Get(static_cast<int>(i)));
    return out;
}

// numel() with `where` (file and tensor) in front of its error: a negative dimension or more
// elements than one tensor may have, found before anything is allocated.
int64_t checked_numel(const Shape& shape, const std::string& where) {
    try {
        return numel(shape);
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    }
}

// `where` starts with the file path and names the tensor.
Tensor tensor_from_proto(const TensorProto& t, const std::string& where) {
    Shape shape(t.dims().begin(), t.dims().end());
    const size_t count = static_cast<size_t>(checked_numel(shape, where));
    if (t.data_location() == TensorProto::EXTERNAL)
        throw Error(where + ": external tensor data is not supported");
    const int dt = t.data_type();
    auto same = [](auto v) { return static_cast<float>(v); };
    std::vector<float> data;
    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        switch (dt) {
            case TensorProto::FLOAT:
                data = decode_raw<float>(raw, count, where);
                break;
            case TensorProto::DOUBLE:
                data = decode_raw<double>(raw, count, where);
                break;
            case TensorProto::INT64:
                data = decode_raw<int64_t>(raw, count, where);
                break;
            case TensorProto::INT32:
                data = decode_raw<int32_t>(raw, count, where);
                break;
            case TensorProto::INT16:
                data = decode_raw<int16_t>(raw, count, where);
                break;
            case TensorProto::INT8:
                data = decode_raw<int8_t>(raw, count, where);
                break;
            case TensorProto::UINT64:
                data = decode_raw<uint64_t>(raw, count, where);
                break;
            case TensorProto::UINT32:
                data = decode_raw<uint32_t>(raw, count, where);
                break;
            case TensorProto::UINT16:
                data = decode_raw<uint16_t>(raw, count, where);
                break;
            case TensorProto::UINT8:
            case TensorProto::BOOL:
                data = decode_raw<uint8_t>(raw, count, where);
                break;
            case TensorProto::FLOAT16: {
                auto bits = decode_raw<uint16_t>(raw, count, where);
                data.resize(count);
                for (size_t i = 0; i < count; ++i)
                    data[i] = half_to_float(static_cast<uint16_t>(bits[i]));
                break;
            }
            default:
                throw Error(where + ": unsupported data type " +
                            TensorProto::DataType_Name(static_cast<TensorProto::DataType>(dt)));
        }
    } else {
        switch (dt) {
            case TensorProto::FLOAT:
                data = decode_field(t.float_data(), count, where, "float_data", same);
                break;
            case TensorProto::DOUBLE:
                data = decode_field(t.double_data(), count, where, "double_data", same);
                break;
            case TensorProto::INT64:
                data = decode_field(t.int64_data(), count, where, "int64_data", same);
                break;
            case TensorProto::UINT64:
            case TensorProto::UINT32:
                data = decode_field(t.uint64_data(), count, where, "uint64_data", same);
                break;
            case TensorProto::INT32:
            case TensorProto::INT16:
            case TensorProto::INT8:
            case TensorProto::UINT16:
            case TensorProto::UINT8:
            case TensorProto::BOOL:
                data = decode_field(t.int32_data(), count, where, "int32_data", same);
                break;
            case TensorProto::FLOAT16:
                data = decode_field(t.int32_data(), count, where, "int32_data", [](int32_t v) {
                    return half_to_float(static_cast<uint16_t>(v));
                });
                break;
            default:
                throw Error(where + ": unsupported data type " +
                            TensorProto::DataType_Name(static_cast<TensorProto::DataType>(dt)));
        }
    }
    return Tensor(std::move(shape), std::move(data));
}

AttrValue attr_from_proto(const onnx::AttributeProto& a, const std::string& where) {
    using A = onnx::AttributeProto;
    switch (a.type()) {
        case A::INT:
            return a.i();
        case A::FLOAT:
            return a.f();
        case A::STRING:
            return a.s();
        case A::INTS:
            return std::vector<int64_t>(a.ints().begin(), a.ints().end());
        case A::FLOATS:
            return std::vector<float>(a.floats().begin(), a.floats().end());
        case A::GRAPH:
        case A::GRAPHS:
            throw Error(where + ": attribute '" + a.name() +
                        "' holds a subgraph; nested graphs (If/Loop/Scan bodies) are not "
                        "supported");
        default:
            throw Error(where + ": attribute '" + a.name() + "' has unsupported type " +
                        A::AttributeType_Name(a.type()));
    }
}

bool attr_supported(const onnx::AttributeProto& a) {
    using A = onnx::AttributeProto;
    return a.type() == A::INT || a.type() == A::FLOAT || a.type() == A::STRING ||
           a.type() == A::INTS || a.type() == A::FLOATS;
}

std::string node_label(const onnx::NodeProto& n, int index) {
    return n.name().empty() ? "#" + std::to_string(index) : n.name();
}

// The tensor a Constant node produces (attribute value, value_float(s), value_int(s)).
Tensor constant_node_value(const onnx::NodeProto& n, const std::string& where) {
    for (const auto& a : n.attribute()) {
        const std::string& k = a.name();
        if (k == "value") return tensor_from_proto(a.t(), where + " tensor '" + a.t().name() + "'");
        if (k == "value_float") return Tensor({}, std::vector<float>{a.f()});
        if (k == "value_int") return Tensor({}, std::vector<float>{static_cast<float>(a.i())});
        if (k == "value_floats") {
            std::vector<float> v(a.floats().begin(), a.floats().end());
            const int64_t count = static_cast<int64_t>(v.size());  // before v is moved from
            return Tensor({count}, std::move(v));
        }
        if (k == "value_ints") {
            std::vector<float> v;
            for (int64_t i : a.ints()) v.push_back(static_cast<float>(i));
            const int64_t count = static_cast<int64_t>(v.size());  // before v is moved from
            return Tensor({count}, std::move(v));
        }
    }
    throw Error(where +
                ": Constant has no supported value attribute (value, value_float(s), "
                "value_int(s))");
}

// The element type of what a Constant node produces.
int32_t constant_node_type(const onnx::NodeProto& n) {
    for (const auto& a : n.attribute()) {
        if (a.name() == "value") return a.t().data_type();
        if (a.name() == "value_int" || a.name() == "value_ints") return TensorProto::INT64;
        if (a.name() == "value_float" || a.name() == "value_floats") return TensorProto::FLOAT;
    }
    return TensorProto::UNDEFINED;
}

std::string unique_name(const Graph& g, const std::string& base) {
    std::string name = base;
    for (int i = 1; g.constants.count(name) != 0; ++i) name = base + "_" + std::to_string(i);
    return name;
}

size_t count_uses(const Graph& g, const std::string& tensor) {
    size_t uses = 0;
    for (const auto& n : g.nodes)
        for (const auto& in : n.inputs)
            if (in == tensor) ++uses;
    for (const auto& o : g.outputs)
        if (o == tensor) ++uses;
    return uses;
}

}  // namespace

// Folds BatchNormalization into the Conv producing its input where that is exact.
void fold_batchnorms(Graph& g) {
    std::set<std::string> dropped;  // constants the folding may have made unused
    for (size_t bi = 0; bi < g.nodes.size();) {
        const Node& bn = g.nodes[bi];
        bool folded = false;
        if (bn.op == OpKind::BatchNormalization && bn.outputs.size() == 1 &&
            bn.inputs.size() == 5 && bn.attr_int("training_mode", 0) == 0) {
            bool stats_const = true;
            for (size_t k = 1; k < 5; ++k) stats_const = stats_const && g.is_constant(bn.inputs[k]);
            size_t ci = 0;
            while (ci < bi &&
                   !(g.nodes[ci].outputs.size() == 1 && g.nodes[ci].outputs[0] == bn.inputs[0]))
                ++ci;
            if (stats_const && ci < bi && is_weight_layer(g, g.nodes[ci]) &&
                g.nodes[ci].op == OpKind::Conv && count_uses(g, bn.inputs[0]) == 1) {
                Node& conv = g.nodes[ci];
                const Tensor& w = g.constant(conv.inputs[1]);
                const int64_t cout = w.rank() >= 1 ? w.dim(0) : 0;
                const Tensor& scale = g.constant(bn.inputs[1]);
                const Tensor& beta = g.constant(bn.inputs[2]);
                const Tensor& mean = g.constant(bn.inputs[3]);
                const Tensor& var = g.constant(bn.inputs[4]);
                const bool has_bias = conv.inputs.size() >= 3 && !conv.inputs[2].empty();
                bool ok = cout > 0 && scale.size() == cout && beta.size() == cout &&
                          mean.size() == cout && var.size() == cout;
                if (has_bias)
                    ok = ok && g.is_constant(conv.inputs[2]) &&
                         g.constant(conv.inputs[2]).size() == cout;
                if (ok) {
                    const float eps = bn.attr_float("epsilon", 1e-5f);
                    Tensor nw = w;
                    Tensor nb({cout}, 0.0f);
                    if (has_bias) nb = g.constant(conv.inputs[2]);
                    const int64_t per = w.size() / cout;
                    for (int64_t o = 0; o < cout; ++o) {
                        const double f = static_cast<double>(scale.data[o]) /
                                         std::sqrt(static_cast<double>(var.data[o]) + eps);
                        for (int64_t k = 0; k < per; ++k)
                            nw.data[o * per + k] =
                                static_cast<float>(static_cast<double>(w.data[o * per + k]) * f);
                        nb.data[o] = static_cast<float>(
                            (static_cast<double>(nb.data[o]) - mean.data[o]) * f + beta.data[o]);
                    }
                    // A weight shared with another node is left alone; the conv gets a copy.
                    std::string wname = conv.inputs[1];
                    if (count_uses(g, wname) != 1) wname = unique_name(g, wname + "_bnfold");
                    std::string bname;
                    if (has_bias && count_uses(g, conv.inputs[2]) == 1)
                        bname = conv.inputs[2];
                    else
                        bname = unique_name(g, (has_bias ? conv.inputs[2] : wname) + "_bias");
                    for (size_t k = 1; k < 5; ++k) dropped.insert(bn.inputs[k]);
                    dropped.insert(conv.inputs[1]);
                    if (has_bias) dropped.insert(conv.inputs[2]);
                    dropped.erase(wname);
                    dropped.erase(bname);
                    g.constants[wname] = std::move(nw);
                    g.constants[bname] = std::move(nb);
                    conv.inputs.resize(3);
                    conv.inputs[1] = wname;
                    conv.inputs[2] = bname;
                    conv.outputs[0] = bn.outputs[0];
                    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(bi));
                    folded = true;
                }
            }
        }
        if (!folded) ++bi;
    }
    // Drop the folded BNs' statistics (and replaced conv weights) nothing refers to any more.
    std::set<std::string> used(g.outputs.begin(), g.outputs.end());
    for (const auto& n : g.nodes) used.insert(n.inputs.begin(), n.inputs.end());
    for (const auto& name : dropped)
        if (!used.count(name)) g.constants.erase(name);
}

namespace {

void infer_model_shapes(onnx::ModelProto& model);

// The shapes (symbolic dimensions -1) a graph's inputs, value_info and outputs declare.
std::map<std::string, Shape> value_shapes(const onnx::GraphProto& gp) {
    std::map<std::string, Shape> shapes;
    auto take = [&](const onnx::ValueInfoProto& vi) {
        if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return;
        Shape s;
        for (const auto& d : vi.type().tensor_type().shape().dim())
            s.push_back(d.has_dim_value() ? d.dim_value() : -1);
        shapes[vi.name()] = std::move(s);
    };
    for (const auto& vi : gp.input()) take(vi);
    for (const auto& vi : gp.value_info()) take(vi);
    for (const auto& vi : gp.output()) take(vi);
    return shapes;
}

// Folds to constants every node whose inputs are all constants (shape arithmetic: Gather, Slice,
// Concat, Cast, Unsqueeze, ... and Identity on a weight), and every Shape of a tensor whose static
// shape (ONNX shape inference on `model`) has no symbolic dimension. Weight layers, BatchNorm and
// unknown ops stay nodes. A Shape of a tensor with a symbolic (batch) dimension stays too: its
// subgraph runs at inference time.
void fold_constants(Graph& g, const onnx::ModelProto& model) {
    std::map<std::string, Shape> shapes;
    for (const auto& n : g.nodes)
        if (n.op == OpKind::ShapeOf && !n.inputs.empty() && !g.is_constant(n.inputs[0])) {
            onnx::ModelProto copy = model;
            infer_model_shapes(copy);
            shapes = value_shapes(copy.graph());
            for (const auto& in : g.inputs) shapes[in.name] = in.shape;
            break;
        }
    std::vector<Node> kept;
    std::set<std::string> consumed;  // constants folded nodes read
    for (Node& n : g.nodes) {
        std::vector<Tensor> outs;
        try {
            if (n.op == OpKind::ShapeOf && n.inputs.size() == 1 && !g.is_constant(n.inputs[0])) {
                const auto it = shapes.find(n.inputs[0]);
                if (it != shapes.end() && std::all_of(it->second.begin(), it->second.end(),
                                                      [](int64_t d) { return d >= 0; })) {
                    const Tensor shape_only(it->second, std::vector<float>{});  // no data needed
                    outs = eval_node(n, {&shape_only}, g.opset);
                }
            } else if (n.op != OpKind::Unknown && n.op != OpKind::Conv &&
                       n.op != OpKind::ConvTranspose && n.op != OpKind::Gemm &&
                       n.op != OpKind::MatMul && n.op != OpKind::BatchNormalization &&
                       !n.inputs.empty() &&
                       std::all_of(n.inputs.begin(), n.inputs.end(), [&](const std::string& in) {
                           return in.empty() || g.is_constant(in);
                       })) {
                std::vector<const Tensor*> ins;
                for (const auto& in : n.inputs)
                    ins.push_back(in.empty() ? nullptr : &g.constant(in));
                outs = eval_node(n, ins, g.opset);
            }
        } catch (const Error& e) {
            throw Error(g.source + ": " + e.what());
        }
        if (outs.empty()) {
            kept.push_back(std::move(n));
            continue;
        }
        for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k)
            if (!n.outputs[k].empty()) g.constants[n.outputs[k]] = std::move(outs[k]);
        for (const auto& in : n.inputs) consumed.insert(in);
    }
    g.nodes = std::move(kept);
    std::set<std::string> used(g.outputs.begin(), g.outputs.end());
    for (const auto& n : g.nodes) used.insert(n.inputs.begin(), n.inputs.end());
    for (const auto& name : consumed)
        if (!used.count(name)) g.constants.erase(name);
}

bool is_integer_type(int32_t t) {
    switch (t) {
        case TensorProto::INT8:
        case TensorProto::INT16:
        case TensorProto::INT32:
        case TensorProto::INT64:
        case TensorProto::UINT8:
        case TensorProto::UINT16:
        case TensorProto::UINT32:
        case TensorProto::UINT64:
            return true;
        default:
            return false;
    }
}

// Element types of the node outputs, from `types` (graph inputs, initializers and Constant nodes
// by name): Shape gives INT64, Cast its `to`, an unknown op nothing known, and every other op the
// type of its first input (true of every OpKind's first output). Marks the integer-typed nodes.
void mark_integer_outputs(Graph& g, std::map<std::string, int32_t> types) {
    for (Node& n : g.nodes) {
        int32_t t = TensorProto::UNDEFINED;
        if (n.op == OpKind::ShapeOf) {
            t = TensorProto::INT64;
        } else if (n.op == OpKind::Cast) {  // `to` is a string before opset 6: no type traced
            const auto it = n.attrs.find("to");
            const int64_t* to = it == n.attrs.end() ? nullptr : std::get_if<int64_t>(&it->second);
            if (to && *to >= 0 && *to <= std::numeric_limits<int>::max() &&
                TensorProto::DataType_IsValid(static_cast<int>(*to)))
                t = static_cast<int32_t>(*to);
        } else if (n.op != OpKind::Unknown && !n.inputs.empty()) {
            const auto it = types.find(n.inputs[0]);
            if (it != types.end()) t = it->second;
        }
        n.integer_output = is_integer_type(t);
        if (!n.outputs.empty() && t != TensorProto::UNDEFINED) types[n.outputs[0]] = t;
    }
}

}  // namespace

Graph import_onnx(const std::filesystem::path& path, const ImportOptions& opt) {
    return import_onnx_bytes(read_file(path), path.string(), opt);
}

Graph import_onnx_bytes(const std::string& bytes, const std::string& source,
                        const ImportOptions& opt) {
    onnx::ModelProto model;
    if (!model.ParseFromString(bytes))
        throw Error(source +
                    ": not a valid ONNX model (protobuf parse failed: truncated or "
                    "corrupt file)");
    if (!model.has_graph()) throw Error(source + ": ONNX model has no graph");
    const onnx::GraphProto& gp = model.graph();

    Graph g;
    g.name = gp.name();
    g.source = source;
    for (const auto& os : model.opset_import())
        if (os.domain().empty() || os.domain() == "ai.onnx") g.opset = os.version();

    std::map<std::string, int32_t> types;  // ONNX element types of inputs and constants
    for (const auto& init : gp.initializer()) {
        if (init.name().empty()) throw Error(source + ": an initializer has no name");
        g.constants[init.name()] =
            tensor_from_proto(init, source + ": tensor '" + init.name() + "'");
        types[init.name()] = init.data_type();
    }
    std::set<std::string> available;
    for (const auto& [name, t] : g.constants) available.insert(name);
    for (const auto& vi : gp.input()) {
        if (g.is_constant(vi.name())) continue;  // an initializer is not a real input
        if (!vi.type().has_tensor_type())
            throw Error(source + ": graph input '" + vi.name() +
                        "' is not a tensor (sequence/optional/map inputs are unsupported)");
        types[vi.name()] = vi.type().tensor_type().elem_type();
        ValueInfo info;
        info.name = vi.name();
        for (const auto& d : vi.type().tensor_type().shape().dim())
            info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
        Shape concrete = info.shape;  // symbolic dimensions count as 1 (one image)
        for (auto& d : concrete) d = d < 0 ? 1 : d;
        if (std::any_of(info.shape.begin(), info.shape.end(), [](int64_t d) { return d < -1; }))
            throw Error(source + ": graph input '" + vi.name() + "': negative dimension in " +
                        shape_str(info.shape));
        checked_numel(concrete, source + ": graph input '" + vi.name() + "'");
        g.inputs.push_back(std::move(info));
        available.insert(vi.name());
    }

    // All node outputs, to tell "defined later" (not topologically sorted) from "undefined".
    std::set<std::string> all_outputs;
    for (const auto& n : gp.node()) all_outputs.insert(n.output().begin(), n.output().end());

    for (int i = 0; i < gp.node_size(); ++i) {
        const onnx::NodeProto& np = gp.node(i);
        const std::string label = node_label(np, i);
        const std::string where = source + ": node '" + label + "' (" + np.op_type() + ")";
        for (const auto& in : np.input()) {
            if (in.empty() || available.count(in)) continue;
            if (all_outputs.count(in))
                throw Error(
                    where + ": input '" + in +
                    "' is produced by a later node (the nodes are not topologically sorted or "
                    "form a cycle)");
            throw Error(where + ": input '" + in +
                        "' is neither a graph input, a constant nor an earlier node's output");
        }
        if (np.op_type() == "Constant") {
            if (np.output_size() != 1) throw Error(where + ": Constant must have one output");
            if (!available.insert(np.output(0)).second)
                throw Error(where + ": output '" + np.output(0) +
                            "' is already defined (every tensor must be assigned once)");
            g.constants[np.output(0)] = constant_node_value(np, where);
            types[np.output(0)] = constant_node_type(np);
            continue;
        }
        const bool std_domain = np.domain().empty() || np.domain() == "ai.onnx";
        // Control flow is not kept as an Unknown op: the layers inside its bodies would silently
        // be missing from every mapping.
        if (std_domain &&
            (np.op_type() == "If" || np.op_type() == "Loop" || np.op_type() == "Scan"))
            throw Error(source + ": unsupported op '" + np.op_type() + "' in node '" + label +
                        "' (control flow: the layers inside its bodies could not be mapped)");
        const auto kind = std_domain ? op_kind_from_onnx(np.op_type()) : std::nullopt;
        Node n;
        n.op = kind.value_or(OpKind::Unknown);
        n.name = label;
        if (!kind) {  // kept for mapping-only analysis; inference reports it
            n.op_type = np.op_type();
            n.domain = std_domain ? "" : np.domain();
        }
        n.inputs.assign(np.input().begin(), np.input().end());
        n.outputs.assign(np.output().begin(), np.output().end());
        for (const auto& a : np.attribute()) {
            if (!kind && !attr_supported(a)) continue;  // e.g. a subgraph: never executed
            n.attrs[a.name()] = attr_from_proto(a, where);
        }
        for (const auto& o : n.outputs)
            if (!o.empty() && !available.insert(o).second)
                throw Error(where + ": output '" + o +
                            "' is already defined (every tensor must be assigned once)");
        g.nodes.push_back(std::move(n));
    }
    for (const auto& o : gp.output()) {
        if (!available.count(o.name()))
            throw Error(source + ": graph output '" + o.name() + "' is never produced");
        g.outputs.push_back(o.name());
    }
    mark_integer_outputs(g, std::move(types));
    fold_constants(g, model);
    if (opt.fold_batchnorm) fold_batchnorms(g);
    return g;
}

namespace {

// Inputs ONNX requires to be int64 (shapes, axes, indices, pads, sizes).
bool int64_input(const Node& n, size_t input) {
    switch (n.op) {
        case OpKind::Reshape:
        case OpKind::Gather:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze:
        case OpKind::Pad:
        case OpKind::ReduceMean:
            return input == 1;
        case OpKind::Slice:
            return input >= 1;
        case OpKind::Resize:
            return input == 3;
        default:
            return false;
    }
}

// Tensors that hold integers (written as int64): the inputs above, what Shape and an integer Cast
// produce, what data movement makes of integers, and the constants an integer Concat or
// arithmetic op mixes in. Every other tensor is float.
std::set<std::string> integer_tensors(const Graph& g) {
    std::set<std::string> ints;
    for (const auto& n : g.nodes) {
        bool any_int = false;
        for (size_t i = 0; i < n.inputs.size(); ++i) {
            if (int64_input(n, i)) ints.insert(n.inputs[i]);
            any_int = any_int || ints.count(n.inputs[i]) != 0;
        }
        const bool data_int = !n.inputs.empty() && ints.count(n.inputs[0]) != 0;
        bool out_int = false;
        switch (n.op) {
            case OpKind::ShapeOf:
                out_int = true;
                break;
            case OpKind::Cast: {
                const int64_t to = n.attr_int("to", TensorProto::FLOAT);
                out_int = to == TensorProto::INT64;
                break;
            }
            case OpKind::Gather:
            case OpKind::Squeeze:
            case OpKind::Unsqueeze:
            case OpKind::Slice:
            case OpKind::Reshape:
            case OpKind::Identity:
            case OpKind::Transpose:
                out_int = data_int;
                break;
            case OpKind::Concat:
            case OpKind::Add:
            case OpKind::Sub:
            case OpKind::Mul:
            case OpKind::Div:
                out_int = any_int;
                if (any_int)
                    for (const auto& in : n.inputs)
                        if (g.is_constant(in)) ints.insert(in);
                break;
            default:
                break;
        }
        if (out_int) ints.insert(n.outputs.begin(), n.outputs.end());
    }
    return ints;
}

onnx::ModelProto model_proto(const Graph& g, const ExportOptions& opt = {}) {
    onnx::ModelProto model;
    model.set_ir_version(8);
    model.set_producer_name("sparsecim");
    auto* os = model.add_opset_import();
    os->set_domain("");
    os->set_version(g.opset);
    std::set<std::string> domains;
    for (const auto& n : g.nodes)
        if (!n.domain.empty() && n.domain != "ai.onnx" && domains.insert(n.domain).second) {
            auto* d = model.add_opset_import();
            d->set_domain(n.domain);
            d->set_version(1);
        }
    onnx::GraphProto* gp = model.mutable_graph();
    gp->set_name(g.name.empty() ? "sparsecim" : g.name);

    const std::set<std::string> int64_constants = integer_tensors(g);
    for (const auto& [name, t] : g.constants) {
        TensorProto* tp;
        if (opt.constant_nodes) {
            onnx::NodeProto* c = gp->add_node();
            c->set_op_type("Constant");
            c->set_name(name + "_constant");
            c->add_output(name);
            onnx::AttributeProto* a = c->add_attribute();
            a->set_name("value");
            a->set_type(onnx::AttributeProto::TENSOR);
            tp = a->mutable_t();
        } else {
            tp = gp->add_initializer();
        }
        tp->set_name(name);
        for (int64_t d : t.shape) tp->add_dims(d);
        if (int64_constants.count(name)) {
            tp->set_data_type(TensorProto::INT64);
            for (float v : t.data) tp->add_int64_data(static_cast<int64_t>(v));
        } else {
            tp->set_data_type(TensorProto::FLOAT);
            tp->mutable_float_data()->Add(t.data.begin(), t.data.end());
        }
    }
    for (const auto& in : g.inputs) {
        onnx::ValueInfoProto* vi = gp->add_input();
        vi->set_name(in.name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(TensorProto::FLOAT);
        auto* shape = tt->mutable_shape();
        for (int64_t d : in.shape) {
            auto* dim = shape->add_dim();
            if (d >= 0)
                dim->set_dim_value(d);
            else
                dim->set_dim_param("N");
        }
    }
    if (opt.initializers_as_inputs && !opt.constant_nodes)
        for (const auto& init : gp->initializer()) {
            onnx::ValueInfoProto* vi = gp->add_input();
            vi->set_name(init.name());
            auto* tt = vi->mutable_type()->mutable_tensor_type();
            tt->set_elem_type(init.data_type());
            for (int64_t d : init.dims()) tt->mutable_shape()->add_dim()->set_dim_value(d);
        }
    for (const auto& out : g.outputs) {
        onnx::ValueInfoProto* vi = gp->add_output();
        vi->set_name(out);
        vi->mutable_type()->mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);
    }
    for (const auto& n : g.nodes) {
        onnx::NodeProto* np = gp->add_node();
        np->set_op_type(n.op == OpKind::Unknown ? n.op_type : op_name(n.op));
        if (n.op == OpKind::Unknown && !n.domain.empty()) np->set_domain(n.domain);
        np->set_name(n.name);
        for (const auto& in : n.inputs) np->add_input(in);
        for (const auto& out : n.outputs) np->add_output(out);
        for (const auto& [key, value] : n.attrs) {
            onnx::AttributeProto* a = np->add_attribute();
            a->set_name(key);
            using A = onnx::AttributeProto;
            if (auto* i = std::get_if<int64_t>(&value)) {
                a->set_type(A::INT);
                a->set_i(*i);
            } else if (auto* f = std::get_if<float>(&value)) {
                a->set_type(A::FLOAT);
                a->set_f(*f);
            } else if (auto* s = std::get_if<std::string>(&value)) {
                a->set_type(A::STRING);
                a->set_s(*s);
            } else if (auto* is = std::get_if<std::vector<int64_t>>(&value)) {
                a->set_type(A::INTS);
                a->mutable_ints()->Add(is->begin(), is->end());
            } else if (auto* fs = std::get_if<std::vector<float>>(&value)) {
                a->set_type(A::FLOATS);
                a->mutable_floats()->Add(fs->begin(), fs->end());
            }
        }
    }
    return model;
}

// libonnx's conv/pool shape inference sizes its default dilations by the input's spatial rank but
// indexes them by the kernel's, and reads out of bounds (or through a null pointer: a crash found
// by fuzzing) when the two differ, e.g. a rank-2 tensor fed to a Conv. An explicit default
// `dilations` of the kernel's rank turns that into the rank check it does make, which throws.
// Returns the nodes given one (the attribute is their last).
std::vector<onnx::NodeProto*> make_dilations_explicit(onnx::ModelProto& model) {
    std::vector<onnx::NodeProto*> changed;
    int64_t opset = 0;
    for (const auto& os : model.opset_import())
        if (os.domain().empty() || os.domain() == "ai.onnx") opset = os.version();
    std::map<std::string, int64_t> ranks;  // of the initializers
    for (const auto& t : model.graph().initializer()) ranks[t.name()] = t.dims_size();
    for (auto& n : *model.mutable_graph()->mutable_node()) {
        const bool conv = n.op_type() == "Conv" || n.op_type() == "ConvTranspose";
        if (!(conv || (n.op_type() == "MaxPool" && opset >= 10)) || !n.domain().empty()) continue;
        int64_t k = -1;
        bool has_dilations = false;
        for (const auto& a : n.attribute()) {
            if (a.name() == "kernel_shape") k = a.ints_size();
            has_dilations = has_dilations || a.name() == "dilations";
        }
        if (k < 0 && conv && n.input_size() > 1 && ranks.count(n.input(1)))
            k = ranks[n.input(1)] - 2;
        if (has_dilations || k <= 0) continue;
        auto* a = n.add_attribute();
        a->set_name("dilations");
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t i = 0; i < k; ++i) a->add_ints(1);
        changed.push_back(&n);
    }
    return changed;
}

// ONNX's own shape inference (with data propagation through shape subgraphs); a node it cannot
// infer leaves its outputs (and what depends on them) shapeless rather than failing.
void infer_model_shapes(onnx::ModelProto& model) {
    const std::vector<onnx::NodeProto*> guarded = make_dilations_explicit(model);
    try {
        onnx::ShapeInferenceOptions options(false, 0, true);
        onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    } catch (const std::exception&) {
    }
    for (onnx::NodeProto* n : guarded) n->mutable_attribute()->RemoveLast();  // as written
}

// libonnx's conv/pool shape inference divides by strides and multiplies by dilations without
// checking them: a stride of 0 is a SIGFPE inside the library (found by fuzzing). So the window
// attributes of every Conv, ConvTranspose and pooling node must be positive before it runs.
void check_window_attributes(const Graph& g) {
    for (const Node& n : g.nodes) {
        const bool windowed = n.op == OpKind::Conv || n.op == OpKind::ConvTranspose ||
                              n.op == OpKind::MaxPool || n.op == OpKind::AveragePool;
        if (!windowed) continue;
        for (const char* name : {"strides", "dilations", "kernel_shape"}) {
            const Shape v = n.attr_ints(name, {});
            for (int64_t x : v)
                if (x <= 0)
                    throw Error(g.source + ": node '" + n.name + "' (" + op_name(n.op) +
                                "): " + name + " must be positive, got " + shape_str(v));
        }
    }
}

}  // namespace

std::string export_onnx_bytes(const Graph& g, const ExportOptions& opt) {
    check_window_attributes(g);
    onnx::ModelProto model = model_proto(g, opt);
    // Output shapes come from ONNX's own shape inference (the checker requires them); a graph
    // it cannot infer is still written, with shapeless outputs.
    infer_model_shapes(model);
    model.mutable_graph()
        ->clear_value_info();  // keep only what the graph's inputs and outputs need
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        throw Error("graph '" + g.name + "': ONNX serialization failed");
    return bytes;
}

std::map<std::string, Shape> infer_shapes(const Graph& g) {
    check_window_attributes(g);
    onnx::ModelProto model = model_proto(g);
    infer_model_shapes(model);
    std::map<std::string, Shape> shapes = value_shapes(model.graph());
    for (const auto& [name, t] : g.constants) shapes[name] = t.shape;
    return shapes;
}

void export_onnx(const Graph& g, const std::filesystem::path& path, const ExportOptions& opt) {
    write_file_atomic(path, export_onnx_bytes(g, opt));
}

Tensor read_tensor_pb(const std::filesystem::path& path) {
    const std::string bytes = read_file(path);
    TensorProto t;
    if (!t.ParseFromString(bytes))
        throw Error(path.string() + ": not a valid ONNX TensorProto (protobuf parse failed)");
    return tensor_from_proto(t, path.string() + ": tensor '" + t.name() + "'");
}

}  // namespace sparsecim
