// Flattening of Conv / Gemm / MatMul weights into the K x N layout every mapper uses.
#include "quant/quant_model.hpp"

#include "core/error.hpp"

namespace sparsecim {

FloatMatrix float_weight_matrix(const Graph& g, const Node& n) {
    const Tensor& W = g.constant(weight_name(n));
    FloatMatrix m;
    auto fail = [&](const std::string& why) -> void {
        throw Error(g.source + ": node '" + n.name + "' (" + op_name(n.op) + "): " + why);
    };
    if (n.op == OpKind::Conv) {
        if (W.rank() != 4) fail("weight must be 4-D OIHW");
        const int64_t O = W.dim(0), Ig = W.dim(1), kh = W.dim(2), kw = W.dim(3);
        const int64_t group = n.attr_int("group", 1);
        if (group <= 0 || O % group != 0) fail("bad group");
        const int64_t cin = Ig * group, opg = O / group;
        m.K = cin * kh * kw;
        m.N = O;
        m.w.assign(static_cast<size_t>(m.K * m.N), 0.0f);
        m.in_block.assign(static_cast<size_t>(m.K * m.N), 0);
        for (int64_t o = 0; o < O; ++o) {
            const int64_t gi = o / opg;
            for (int64_t ci = 0; ci < Ig; ++ci)
                for (int64_t y = 0; y < kh; ++y)
                    for (int64_t x = 0; x < kw; ++x) {
                        const int64_t c = gi * Ig + ci;
                        const int64_t k = (c * kh + y) * kw + x;
                        const size_t idx = static_cast<size_t>(k * m.N + o);
                        m.w[idx] = W.data[static_cast<size_t>(((o * Ig + ci) * kh + y) * kw + x)];
                        m.in_block[idx] = 1;
                    }
        }
    } else if (n.op == OpKind::Gemm || n.op == OpKind::MatMul) {
        if (W.rank() != 2) fail("the integer path needs a 2-D weight, got " + shape_str(W.shape));
        const bool transB = n.op == OpKind::Gemm && n.attr_int("transB", 0) != 0;
        if (n.op == OpKind::Gemm && n.attr_int("transA", 0) != 0)
            fail("transA=1 is not supported by the integer path");
        const float alpha = n.op == OpKind::Gemm ? n.attr_float("alpha", 1.0f) : 1.0f;
        m.K = transB ? W.dim(1) : W.dim(0);
        m.N = transB ? W.dim(0) : W.dim(1);
        m.w.assign(static_cast<size_t>(m.K * m.N), 0.0f);
        m.in_block.assign(static_cast<size_t>(m.K * m.N), 1);
        for (int64_t k = 0; k < m.K; ++k)
            for (int64_t c = 0; c < m.N; ++c)
                m.w[static_cast<size_t>(k * m.N + c)] =
                    alpha * W.data[static_cast<size_t>(transB ? c * m.K + k : k * m.N + c)];
    } else {
        fail("not a weight layer");
    }
    m.bias.assign(static_cast<size_t>(m.N), 0.0f);
    const bool has_bias = (n.op == OpKind::Conv || n.op == OpKind::Gemm) && n.inputs.size() > 2 &&
                          !n.inputs[2].empty();
    if (has_bias) {
        if (!g.is_constant(n.inputs[2])) fail("bias must be a constant for the integer path");
        const Tensor& B = g.constant(n.inputs[2]);
        const float beta = n.op == OpKind::Gemm ? n.attr_float("beta", 1.0f) : 1.0f;
        if (B.size() == m.N) {
            for (int64_t c = 0; c < m.N; ++c)
                m.bias[static_cast<size_t>(c)] = beta * B.data[static_cast<size_t>(c)];
        } else if (B.size() == 1) {
            for (auto& b : m.bias) b = beta * B.data[0];
        } else {
            fail("bias of shape " + shape_str(B.shape) + " is not per output channel");
        }
    }
    return m;
}

}  // namespace sparsecim
