// Shape helpers for Tensor.
#include "core/tensor.hpp"

#include "core/error.hpp"

namespace sparsecim {

int64_t numel(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) throw Error("negative dimension in shape " + shape_str(shape));
        n *= d;
    }
    return n;
}

std::string shape_str(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ",";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

}  // namespace sparsecim
