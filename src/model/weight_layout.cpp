// weight_matrix_layout: the element -> (k, n) placement of Conv, ConvTranspose, Gemm and MatMul
// weights.
#include "model/weight_layout.hpp"

#include "core/error.hpp"

namespace sparsecim {

size_t weight_matrix_rank(const Node& n) {
    return n.op == OpKind::Conv || n.op == OpKind::ConvTranspose ? 4 : 2;
}

MatrixLayout weight_matrix_layout(const Graph& g, const Node& n, bool positions) {
    const Tensor& W = g.constant(weight_name(n));
    auto fail = [&](const std::string& why) -> void {
        throw Error(g.source + ": node '" + n.name + "' (" + n.type() + "): " + why);
    };
    MatrixLayout L;
    if (positions) L.pos.resize(W.data.size());
    if (n.op == OpKind::Conv || n.op == OpKind::ConvTranspose) {
        const bool transposed = n.op == OpKind::ConvTranspose;
        if (W.rank() != 4)
            fail(transposed ? "only a 2-D ConvTranspose (weight Cin x Cout/group x kh x kw) is a "
                              "crossbar weight layer, got weight " +
                                  shape_str(W.shape)
                            : "weight must be 4-D OIHW, got " + shape_str(W.shape));
        const int64_t A = W.dim(0), B = W.dim(1), kh = W.dim(2), kw = W.dim(3);
        const int64_t group = n.attr_int("group", 1);
        // Conv: A = O, B = I/group. ConvTranspose: A = I, B = O/group.
        if (group <= 0 || A % group != 0) fail("group " + std::to_string(group) + " is not valid");
        const int64_t per = A / group;  // output (Conv) or input (ConvTranspose) channels a group
        const int64_t cin = transposed ? A : B * group;
        L.K = cin * kh * kw;
        L.N = transposed ? B * group : A;
        L.groups = group;
        if (!positions) return L;
        int64_t i = 0;
        for (int64_t a = 0; a < A; ++a)
            for (int64_t b = 0; b < B; ++b)
                for (int64_t y = 0; y < kh; ++y)
                    for (int64_t x = 0; x < kw; ++x, ++i) {
                        const int64_t gi = a / per;
                        int64_t k, col;
                        if (transposed) {  // a = input channel, b = output channel in its group
                            k = (a * kh + (kh - 1 - y)) * kw + (kw - 1 - x);
                            col = gi * B + b;
                        } else {  // a = output channel, b = input channel in its group
                            k = ((gi * B + b) * kh + y) * kw + x;
                            col = a;
                        }
                        L.pos[static_cast<size_t>(i)] = k * L.N + col;
                    }
        return L;
    }
    if (n.op != OpKind::Gemm && n.op != OpKind::MatMul) fail("not a weight layer");
    if (W.rank() != 2) fail("the integer path needs a 2-D weight, got " + shape_str(W.shape));
    const bool transB = n.op == OpKind::Gemm && n.attr_int("transB", 0) != 0;
    L.K = transB ? W.dim(1) : W.dim(0);
    L.N = transB ? W.dim(0) : W.dim(1);
    if (!positions) return L;
    for (int64_t r = 0; r < W.dim(0); ++r)
        for (int64_t c = 0; c < W.dim(1); ++c)
            L.pos[static_cast<size_t>(r * W.dim(1) + c)] = transB ? c * L.N + r : r * L.N + c;
    return L;
}

}  // namespace sparsecim
