// Tensor: a dense float array with a shape (row-major, NCHW for images). Integer tensors read from
// ONNX (shapes, indices) are held as floats; they are exact up to 2^24.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sparsecim {

using Shape = std::vector<int64_t>;

// The most elements one tensor may have: 2^28 (1 GiB of floats; the largest weight of VGG-16 has
// 103 M). Shapes from model files are checked against it before anything is allocated, so a crafted
// file gets an error instead of exhausting memory.
constexpr int64_t kMaxTensorElements = int64_t{1} << 28;

// Element count; throws Error for a negative dimension or more than kMaxTensorElements elements
// (checked without overflow).
int64_t numel(const Shape& shape);
std::string shape_str(const Shape& shape);

struct Tensor {
    Shape shape;
    std::vector<float> data;

    Tensor() = default;
    explicit Tensor(Shape s, float fill = 0.0f)
        : shape(std::move(s)), data(static_cast<size_t>(numel(shape)), fill) {}
    Tensor(Shape s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {}

    int64_t size() const { return static_cast<int64_t>(data.size()); }
    int64_t dim(size_t i) const { return shape.at(i); }
    size_t rank() const { return shape.size(); }
};

// Rows [first, first + count) of `t` along its first dimension (images of a batch), as a tensor
// of the same shape otherwise.
Tensor slice_rows(const Tensor& t, int64_t first, int64_t count);

}  // namespace sparsecim
