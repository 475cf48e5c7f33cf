// Float kernels beyond the CNN core, which float_infer.cpp's eval_node dispatches to:
// ConvTranspose, data movement (Pad, Resize/Upsample, Transpose, Squeeze, Unsqueeze, Slice,
// Gather), shape ops (Shape, Cast) and ReduceMean, with the ONNX semantics of opsets 7..17 (the
// older attribute forms included), plus the node-error helpers every kernel shares.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "model/graph.hpp"

namespace sparsecim {

// Throws Error("node 'N' (T): why").
[[noreturn]] void fail_node(const Node& n, const std::string& why);
const Tensor& need_input(const Node& n, const std::vector<const Tensor*>& ins, size_t i);
// nullptr when input i is omitted ("" or past the end).
const Tensor* optional_input(const std::vector<const Tensor*>& ins, size_t i);
// axis + rank for a negative axis; Error unless it lies in [0, rank) ([0, rank] if inclusive_end).
int64_t axis_in_range(const Node& n, int64_t axis, int64_t rank, bool inclusive_end = false);
// A tensor holding integers (shapes, axes, indices) as int64 values, clamped to +-2^62.
std::vector<int64_t> tensor_ints(const Tensor& t);

// ConvTranspose of any spatial rank (1-D, 2-D, 3-D, ...), grouped or not.
Tensor conv_transpose(const Node& n, const Tensor& x, const Tensor& w, const Tensor* b);
Tensor pad(const Node& n, const std::vector<const Tensor*>& ins, int64_t opset);
Tensor resize(const Node& n, const std::vector<const Tensor*>& ins, int64_t opset);
Tensor transpose(const Node& n, const Tensor& x);
Tensor squeeze(const Node& n, const std::vector<const Tensor*>& ins);
Tensor unsqueeze(const Node& n, const std::vector<const Tensor*>& ins);
Tensor slice(const Node& n, const std::vector<const Tensor*>& ins);
Tensor gather(const Node& n, const Tensor& data, const Tensor& indices);
Tensor shape_of(const Node& n, const Tensor& x);
Tensor cast(const Node& n, const Tensor& x);
Tensor reduce_mean(const Node& n, const std::vector<const Tensor*>& ins);

}  // namespace sparsecim
