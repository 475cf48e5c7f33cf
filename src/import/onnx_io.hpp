// ONNX import and export through Debian's libonnx protobuf classes (no hand-written parsing).
// Import turns a ModelProto into a Graph: initializers and Constant nodes become constants,
// BatchNormalization that follows a Conv is folded into it, Dropout becomes Identity, and an op
// the IR does not know becomes an OpKind::Unknown node (inference then names op, node and file).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "model/graph.hpp"

namespace sparsecim {

struct ImportOptions {
    bool fold_batchnorm = true;  // fold BN into the preceding Conv when it is its only consumer
};

Graph import_onnx(const std::filesystem::path& path, const ImportOptions& opt = {});
// Folds every BatchNormalization (inference mode, constant statistics) into the Conv producing
// its input, where that Conv has no other consumer; the Conv keeps its weight's name. What
// import does with fold_batchnorm; also used after finetuning a graph with BatchNorm kept.
void fold_batchnorms(Graph& g);
Graph import_onnx_bytes(const std::string& bytes, const std::string& source,
                        const ImportOptions& opt = {});

// How constants are laid out in a written model, to reproduce what exporters write: the default
// is initializers (torch.onnx at recent opsets); old exporters (IR < 4) also list every initializer
// as a graph input; tf2onnx / paddle2onnx style graphs carry weights in Constant nodes.
struct ExportOptions {
    bool initializers_as_inputs = false;
    bool constant_nodes = false;  // every constant becomes a Constant node (no initializers)
};

// Writes a Graph as an ONNX model at the graph's opset (integer tensors as int64), atomically.
void export_onnx(const Graph& g, const std::filesystem::path& path, const ExportOptions& opt = {});
std::string export_onnx_bytes(const Graph& g, const ExportOptions& opt = {});

// Static shapes of the graph's tensors (symbolic dimensions -1) by ONNX's own shape inference,
// with data propagation through shape subgraphs; works whatever ops the graph holds. A tensor
// inference cannot reach (downstream of a custom-domain op, say) is absent from the map.
std::map<std::string, Shape> infer_shapes(const Graph& g);

// Reads a serialized onnx.TensorProto (the node tests' input_*.pb / output_*.pb).
Tensor read_tensor_pb(const std::filesystem::path& path);

}  // namespace sparsecim
