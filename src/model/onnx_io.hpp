// ONNX import and export through Debian's libonnx protobuf classes (no hand-written parsing).
// Import turns a ModelProto into a Graph: initializers and Constant nodes become constants,
// BatchNormalization that follows a Conv is folded into it, Dropout becomes Identity, and an op
// the IR does not know is an error naming the op, the node and the file.
#pragma once

#include <filesystem>
#include <string>

#include "model/graph.hpp"

namespace sparsecim {

struct ImportOptions {
    bool fold_batchnorm = true;  // fold BN into the preceding Conv when it is its only consumer
};

Graph import_onnx(const std::filesystem::path& path, const ImportOptions& opt = {});
Graph import_onnx_bytes(const std::string& bytes, const std::string& source,
                        const ImportOptions& opt = {});

// Writes a Graph as an ONNX model (opset 13, constants as initializers), atomically.
void export_onnx(const Graph& g, const std::filesystem::path& path);
std::string export_onnx_bytes(const Graph& g);

// Reads a serialized onnx.TensorProto (the node tests' input_*.pb / output_*.pb).
Tensor read_tensor_pb(const std::filesystem::path& path);

}  // namespace sparsecim
