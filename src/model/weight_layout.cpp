// weight_matrix_layout: the element -> (k, n) placement of Conv, Gemm and MatMul weights.
#include "model/weight_layout.hpp"

#include "core/error.hpp"

namespace sparsecim {

size_t weight_matrix_rank(const Node& n) {
    return n.op == OpKind::Conv ? 4 : 2;
}

MatrixLayout weight_matrix_layout(const Graph& g, const Node& n) {
    const Tensor& W = g.constant(weight_name(n));
    auto fail = [&](const std::string& why) -> void {
        throw Error(g.source + ": node '" + n.name + "' (" + n.type() + "): " + why);
    };
    MatrixLayout L;
    L.pos.resize(W.data.size());
    if (n.op == OpKind::Conv) {
        if (W.rank() != 4) fail("weight must be 4-D OIHW, got " + shape_str(W.shape));
        const int64_t O = W.dim(0), Ig = W.dim(1), kh = W.dim(2), kw = W.dim(3);
        const int64_t group = n.attr_int("group", 1);
        if (group <= 0 || O % group != 0) fail("group " + std::to_string(group) + " is not valid");
        const int64_t opg = O / group;
        L.K = Ig * group * kh * kw;
        L.N = O;
        int64_t i = 0;
        for (int64_t o = 0; o < O; ++o)
            for (int64_t ci = 0; ci < Ig; ++ci)
                for (int64_t y = 0; y < kh; ++y)
                    for (int64_t x = 0; x < kw; ++x, ++i) {
                        const int64_t c = (o / opg) * Ig + ci;  // block-diagonal by group
                        L.pos[static_cast<size_t>(i)] = ((c * kh + y) * kw + x) * L.N + o;
                    }
        return L;
    }
    if (n.op != OpKind::Gemm && n.op != OpKind::MatMul) fail("not a weight layer");
    if (W.rank() != 2) fail("the integer path needs a 2-D weight, got " + shape_str(W.shape));
    const bool transB = n.op == OpKind::Gemm && n.attr_int("transB", 0) != 0;
    L.K = transB ? W.dim(1) : W.dim(0);
    L.N = transB ? W.dim(0) : W.dim(1);
    for (int64_t r = 0; r < W.dim(0); ++r)
        for (int64_t c = 0; c < W.dim(1); ++c)
            L.pos[static_cast<size_t>(r * W.dim(1) + c)] = transB ? c * L.N + r : r * L.N + c;
    return L;
}

}  // namespace sparsecim
