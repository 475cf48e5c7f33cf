// Shape helpers for Tensor.
#include "core/tensor.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace sparsecim {

int64_t numel(const Shape& shape) {
    for (int64_t d : shape)
        if (d < 0) throw Error("negative dimension in shape " + shape_str(shape));
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d == 0) return 0;
        if (n > kMaxTensorElements / d)
            throw Error("shape " + shape_str(shape) + " has more than " +
                        std::to_string(kMaxTensorElements) + " elements, the limit of one tensor");
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

Tensor slice_rows(const Tensor& t, int64_t first, int64_t count) {
    const int64_t per = t.shape.empty() ? 1 : t.size() / std::max<int64_t>(1, t.shape[0]);
    Shape s = t.shape;
    if (!s.empty()) s[0] = count;
    return Tensor(s, std::vector<float>(t.data.begin() + first * per,
                                        t.data.begin() + (first + count) * per));
}

}  // namespace sparsecim
