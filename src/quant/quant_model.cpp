// Flattening of Conv / ConvTranspose / Gemm / MatMul weights into the K x N layout every mapper
// uses (model/weight_layout.hpp places the elements), with the bias per output column.
#include "quant/quant_model.hpp"

#include "core/error.hpp"
#include "model/weight_layout.hpp"

namespace sparsecim {

FloatMatrix float_weight_matrix(const Graph& g, const Node& n, bool values) {
    const Tensor& W = g.constant(weight_name(n));
    auto fail = [&](const std::string& why) -> void {
        throw Error(g.source + ": node '" + n.name + "' (" + op_name(n.op) + "): " + why);
    };
    if (n.op == OpKind::Gemm && n.attr_int("transA", 0) != 0)
        fail("transA=1 is not supported by the integer path");
    const MatrixLayout layout = weight_matrix_layout(g, n, values);
    const float alpha = n.op == OpKind::Gemm ? n.attr_float("alpha", 1.0f) : 1.0f;
    FloatMatrix m;
    m.K = layout.K;
    m.N = layout.N;
    m.groups = layout.groups;
    if (values) {
        m.w.assign(static_cast<size_t>(m.K * m.N), 0.0f);
        m.in_block.assign(static_cast<size_t>(m.K * m.N), 0);
        for (size_t i = 0; i < layout.pos.size(); ++i) {
            const size_t at = static_cast<size_t>(layout.pos[i]);
            m.w[at] = alpha * W.data[i];
            m.in_block[at] = 1;
        }
    }
    m.bias.assign(static_cast<size_t>(m.N), 0.0f);
    const bool has_bias =
        (n.op == OpKind::Conv || n.op == OpKind::ConvTranspose || n.op == OpKind::Gemm) &&
        n.inputs.size() > 2 && !n.inputs[2].empty();
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
