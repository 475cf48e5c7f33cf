// Integer conv (im2col rows, int32 accumulation) and integer Gemm/MatMul as run_graph hooks.
#include "infer/int_infer.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "infer/float_infer.hpp"
#include "model/conv_geom.hpp"

namespace sparsecim {

int32_t quantize_input(float v, const QuantLayer& layer) {
    const int32_t lo = layer.in_signed ? -(1 << (layer.a_bits - 1)) : 0;
    const int32_t hi = layer.in_signed ? (1 << (layer.a_bits - 1)) - 1 : (1 << layer.a_bits) - 1;
    const long q = std::lround(v / layer.in_scale);
    return static_cast<int32_t>(std::clamp<long>(q, lo, hi));
}

void int_matmul(const std::vector<int32_t>& x, int64_t P, const WeightMatrix& w,
                std::vector<int32_t>& acc) {
    acc.assign(static_cast<size_t>(P * w.N), 0);
    std::vector<int64_t> row(static_cast<size_t>(w.N));
    for (int64_t p = 0; p < P; ++p) {
        std::fill(row.begin(), row.end(), 0);
        const int32_t* xp = x.data() + p * w.K;
        for (int64_t k = 0; k < w.K; ++k) {
            const int64_t xv = xp[k];
            if (xv == 0) continue;
            const int32_t* wk = w.w.data() + k * w.N;
            for (int64_t n = 0; n < w.N; ++n) row[static_cast<size_t>(n)] += xv * wk[n];
        }
        for (int64_t n = 0; n < w.N; ++n) {
            const int64_t v = row[static_cast<size_t>(n)];
            if (v > INT32_MAX || v < INT32_MIN)
                throw Error(w.name + ": int32 accumulator overflow");
            acc[static_cast<size_t>(p * w.N + n)] = static_cast<int32_t>(v);
        }
    }
}

namespace {

void record(std::vector<LayerTrace>* traces, size_t li, const QuantLayer& L,
            const std::vector<int32_t>& xq, int64_t P, const std::vector<int32_t>& acc) {
    if (!traces) return;
    LayerTrace& t = (*traces)[li];
    t.layer = L.name;
    t.K = L.weights.K;
    t.N = L.weights.N;
    t.a_bits = L.a_bits;
    t.in_signed = L.in_signed;
    t.positions += P;
    t.inputs.insert(t.inputs.end(), xq.begin(), xq.end());
    t.outputs.insert(t.outputs.end(), acc.begin(), acc.end());
}

}  // namespace

Tensor run_int(const QuantModel& qm, const Tensor& images, std::vector<LayerTrace>* traces,
               const LayerAccumulate& accumulate) {
    if (traces && traces->size() != qm.layers.size()) traces->resize(qm.layers.size());
    auto hook = [&](size_t ni, const Node& n, const Tensor& x) -> Tensor {
        const QuantLayer* L = qm.layer_for_node(ni);
        if (!L) throw Error("node '" + n.name + "' has no quantized layer");
        const size_t li = static_cast<size_t>(qm.layer_of_node[ni]);
        const WeightMatrix& W = L->weights;
        std::vector<int32_t> xq, acc;
        auto accumulate_layer = [&](int64_t P) {
            if (!accumulate) return int_matmul(xq, P, W, acc);
            LayerTrace in;
            in.layer = L->name;
            in.K = W.K;
            in.N = W.N;
            in.a_bits = L->a_bits;
            in.in_signed = L->in_signed;
            in.positions = P;
            in.inputs = xq;
            accumulate(li, in, acc);
            if (acc.size() != static_cast<size_t>(P * W.N))
                throw Error(L->name + ": accumulate hook returned the wrong number of outputs");
        };
        if (n.op == OpKind::Conv) {
            const ConvGeom g = conv_geom(n, x.shape, qm.graph.constant(weight_name(n)).shape);
            const int64_t B = x.dim(0), OH = g.out_h, OW = g.out_w;
            const int64_t P = B * OH * OW;
            xq.assign(static_cast<size_t>(P * g.K()), 0);
            // im2col in (c, ky, kx) order; padding stays 0 (the symmetric grid's zero).
            for (int64_t b = 0; b < B; ++b)
                for (int64_t c = 0; c < g.cin; ++c) {
                    const float* xc = x.data.data() + (b * g.cin + c) * g.in_h * g.in_w;
                    for (int64_t ky = 0; ky < g.kh; ++ky)
                        for (int64_t kx = 0; kx < g.kw; ++kx) {
                            const int64_t k = (c * g.kh + ky) * g.kw + kx;
                            for (int64_t oy = 0; oy < OH; ++oy) {
                                const int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
                                if (iy < 0 || iy >= g.in_h) continue;
                                for (int64_t ox = 0; ox < OW; ++ox) {
                                    const int64_t ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                                    if (ix < 0 || ix >= g.in_w) continue;
                                    const int64_t p = (b * OH + oy) * OW + ox;
                                    xq[static_cast<size_t>(p * g.K() + k)] =
                                        quantize_input(xc[iy * g.in_w + ix], *L);
                                }
                            }
                        }
                }
            accumulate_layer(P);
            record(traces, li, *L, xq, P, acc);
            Tensor y({B, g.cout, OH, OW});
            for (int64_t p = 0; p < P; ++p) {
                const int64_t b = p / (OH * OW), pix = p % (OH * OW);
                for (int64_t o = 0; o < g.cout; ++o)
                    y.data[static_cast<size_t>((b * g.cout + o) * OH * OW + pix)] =
                        static_cast<float>(acc[static_cast<size_t>(p * W.N + o)]) * L->in_scale *
                            L->w_scale[static_cast<size_t>(o)] +
                        L->bias[static_cast<size_t>(o)];
            }
            return y;
        }
        // Gemm / MatMul: every leading index is one position; the last dim is K.
        if (x.rank() < 1 || x.shape.back() != W.K)
            throw Error("node '" + n.name + "': input " + shape_str(x.shape) +
                        " does not end in K=" + std::to_string(W.K));
        const int64_t P = x.size() / W.K;
        xq.resize(x.data.size());
        for (size_t i = 0; i < x.data.size(); ++i) xq[i] = quantize_input(x.data[i], *L);
        accumulate_layer(P);
        record(traces, li, *L, xq, P, acc);
        Shape ys = x.shape;
        ys.back() = W.N;
        Tensor y(ys);
        for (int64_t p = 0; p < P; ++p)
            for (int64_t o = 0; o < W.N; ++o) {
                const size_t i = static_cast<size_t>(p * W.N + o);
                y.data[i] =
                    static_cast<float>(acc[i]) * L->in_scale * L->w_scale[static_cast<size_t>(o)] +
                    L->bias[static_cast<size_t>(o)];
            }
        return y;
    };
    const auto outs = run_graph(qm.graph, {{qm.graph.inputs.at(0).name, images}}, hook);
    return outs.at(qm.graph.outputs.at(0));
}

Tensor run_float(const Graph& g, const Tensor& images) {
    const auto outs = run_graph(g, {{g.inputs.at(0).name, images}});
    return outs.at(g.outputs.at(0));
}

std::vector<int32_t> argmax_rows(const Tensor& logits) {
    if (logits.rank() < 1) throw Error("argmax of a scalar");
    const int64_t rows = logits.dim(0);
    const int64_t cols = rows ? logits.size() / rows : 0;
    std::vector<int32_t> out(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const float* p = logits.data.data() + r * cols;
        out[static_cast<size_t>(r)] = static_cast<int32_t>(std::max_element(p, p + cols) - p);
    }
    return out;
}

}  // namespace sparsecim
