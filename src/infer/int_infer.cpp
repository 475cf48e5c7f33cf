// Integer conv and transposed conv (inputs quantized once, im2col rows in blocks, a blocked exact
// int32 GEMM) and integer Gemm/MatMul as run_graph hooks.
#include "infer/int_infer.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/hot_clones.hpp"
#include "infer/float_infer.hpp"
#include "model/conv_geom.hpp"

namespace sparsecim {

int32_t quantize_input(float v, const QuantLayer& layer) {
    const int32_t lo = layer.in_signed ? -(1 << (layer.a_bits - 1)) : 0;
    const int32_t hi = layer.in_signed ? (1 << (layer.a_bits - 1)) - 1 : (1 << layer.a_bits) - 1;
    const long q = std::lround(v / layer.in_scale);
    return static_cast<int32_t>(std::clamp<long>(q, lo, hi));
}

namespace {

// acc[p][n] = sum_k x[p][k] * w[k][n] for rows [p0, p1) of x (P x K) into acc (P x N), in
// int32: the caller has checked that no partial sum can leave int32. Blocked: four rows share
// each loaded weight row, and a k where all four inputs are zero is skipped.
SPARSECIM_HOT_CLONES
void matmul_rows_i32(const int32_t* x, int64_t p0, int64_t p1, const WeightMatrix& w,
                     int32_t* acc) {
    const int64_t K = w.K, N = w.N;
    constexpr int64_t kRows = 4;
    for (int64_t p = p0; p < p1; p += kRows) {
        const int64_t rows = std::min(kRows, p1 - p);
        int32_t* a[kRows];
        const int32_t* xr[kRows];
        for (int64_t r = 0; r < kRows; ++r) {  // missing rows alias the last one, inputs 0
            const int64_t pr = p + std::min(r, rows - 1);
            a[r] = acc + pr * N;
            xr[r] = x + pr * K;
        }
        for (int64_t r = 0; r < rows; ++r) std::fill(a[r], a[r] + N, 0);
        for (int64_t k = 0; k < K; ++k) {
            const int32_t x0 = xr[0][k], x1 = rows > 1 ? xr[1][k] : 0, x2 = rows > 2 ? xr[2][k] : 0,
                          x3 = rows > 3 ? xr[3][k] : 0;
            if ((x0 | x1 | x2 | x3) == 0) continue;
            const int32_t* wk = w.w.data() + k * N;
            if (rows == kRows) {
                int32_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
                for (int64_t n = 0; n < N; ++n) {
                    const int32_t wv = wk[n];
                    a0[n] += x0 * wv;
                    a1[n] += x1 * wv;
                    a2[n] += x2 * wv;
                    a3[n] += x3 * wv;
                }
            } else {
                const int32_t xs[kRows] = {x0, x1, x2, x3};
                for (int64_t r = 0; r < rows; ++r)
                    for (int64_t n = 0; n < N; ++n) a[r][n] += xs[r] * wk[n];
            }
        }
    }
}

// The same in int64 with an overflow check, for layers whose sums may leave int32.
void matmul_rows_i64(const int32_t* x, int64_t p0, int64_t p1, const WeightMatrix& w,
                     int32_t* acc) {
    std::vector<int64_t> row(static_cast<size_t>(w.N));
    for (int64_t p = p0; p < p1; ++p) {
        std::fill(row.begin(), row.end(), 0);
        const int32_t* xp = x + p * w.K;
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
            acc[p * w.N + n] = static_cast<int32_t>(v);
        }
    }
}

int64_t max_abs(const int32_t* v, size_t n) {
    int64_t m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(static_cast<int64_t>(v[i])));
    return m;
}

// acc[p][n] = sum_k x[p][k] * w[k][n] for p < P, exact (int32 when K * max|x| * max|w| fits,
// else int64 with an overflow check); `w_max` = max |w|.
void int_matmul(const int32_t* x, int64_t P, const WeightMatrix& w, int64_t w_max, int32_t* acc) {
    const int64_t bound = w.K * max_abs(x, static_cast<size_t>(P * w.K)) * w_max;
    if (bound <= INT32_MAX)
        matmul_rows_i32(x, 0, P, w, acc);
    else
        matmul_rows_i64(x, 0, P, w, acc);
}

// Rows [p0, p1) of the im2col matrix of integer input `xin` (B x C x H x W) in (c, ky, kx)
// order, into `out` ((p1 - p0) x K); padding, and the zeros an upsampled input (a ConvTranspose's
// equivalent convolution) has between its pixels, are 0 (the symmetric grid's zero).
void im2col_rows(const std::vector<int32_t>& xin, const ConvGeom& g, int64_t p0, int64_t p1,
                 int32_t* out) {
    const int64_t OH = g.out_h, OW = g.out_w, K = g.K();
    std::fill(out, out + (p1 - p0) * K, 0);
    for (int64_t p = p0; p < p1; ++p) {
        const int64_t b = p / (OH * OW), oy = (p / OW) % OH, ox = p % OW;
        int32_t* row = out + (p - p0) * K;
        for (int64_t c = 0; c < g.cin; ++c) {
            const int32_t* xc = xin.data() + (b * g.cin + c) * g.in_h * g.in_w;
            for (int64_t ky = 0; ky < g.kh; ++ky) {
                const int64_t uy = oy * g.stride_h - g.pad_top + ky * g.dil_h;  // upsampled
                if (uy < 0 || uy % g.up_h != 0 || uy / g.up_h >= g.in_h) continue;
                const int32_t* xrow = xc + (uy / g.up_h) * g.in_w;
                int32_t* dst = row + (c * g.kh + ky) * g.kw;
                for (int64_t kx = 0; kx < g.kw; ++kx) {
                    int64_t ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                    if (g.up_w != 1) {
                        if (ix < 0 || ix % g.up_w != 0) continue;
                        ix /= g.up_w;
                    }
                    if (ix >= 0 && ix < g.in_w) dst[kx] = xrow[ix];
                }
            }
        }
    }
}

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
        int64_t w_max = -1;  // max |w|, computed on first use
        auto matmul = [&](const int32_t* x_rows, int64_t P, int32_t* out) {
            if (w_max < 0) w_max = max_abs(W.w.data(), W.w.size());
            int_matmul(x_rows, P, W, w_max, out);
        };
        auto accumulate_layer = [&](int64_t P) {
            if (!accumulate) {
                acc.resize(static_cast<size_t>(P * W.N));
                return matmul(xq.data(), P, acc.data());
            }
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
        if (n.op == OpKind::Conv || n.op == OpKind::ConvTranspose) {  // a ConvTranspose as its
            // equivalent direct convolution (model/conv_geom.hpp)
            const ConvGeom g = conv_layer_geom(n, x.shape, qm.graph.constant(weight_name(n)).shape);
            const int64_t B = x.dim(0), OH = g.out_h, OW = g.out_w;
            const int64_t P = B * OH * OW;
            // Each input value quantized once, then gathered into im2col rows.
            std::vector<int32_t> xin(x.data.size());
            for (size_t i = 0; i < xin.size(); ++i) xin[i] = quantize_input(x.data[i], *L);
            Tensor y({B, g.cout, OH, OW});
            // Writes accumulator rows [p0, p1) (`a` holds them from row 0) into y.
            auto emit = [&](int64_t p0, int64_t p1, const int32_t* a) {
                for (int64_t p = p0; p < p1; ++p) {
                    const int64_t b = p / (OH * OW), pix = p % (OH * OW);
                    const int32_t* ap = a + (p - p0) * W.N;
                    for (int64_t o = 0; o < g.cout; ++o)
                        y.data[static_cast<size_t>((b * g.cout + o) * OH * OW + pix)] =
                            static_cast<float>(ap[o]) * L->in_scale *
                                L->w_scale[static_cast<size_t>(o)] +
                            L->bias[static_cast<size_t>(o)];
                }
            };
            if (traces || accumulate) {  // the whole im2col matrix is recorded or handed over
                xq.resize(static_cast<size_t>(P * g.K()));
                im2col_rows(xin, g, 0, P, xq.data());
                accumulate_layer(P);
                record(traces, li, *L, xq, P, acc);
                emit(0, P, acc.data());
                return y;
            }
            // Else in blocks of positions, so the im2col matrix never exists whole.
            constexpr int64_t kBlock = 256;
            xq.resize(static_cast<size_t>(std::min(P, kBlock) * g.K()));
            acc.resize(static_cast<size_t>(std::min(P, kBlock) * W.N));
            for (int64_t p0 = 0; p0 < P; p0 += kBlock) {
                const int64_t p1 = std::min(P, p0 + kBlock);
                im2col_rows(xin, g, p0, p1, xq.data());
                matmul(xq.data(), p1 - p0, acc.data());
                emit(p0, p1, acc.data());
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

void int_matmul(const std::vector<int32_t>& x, int64_t P, const WeightMatrix& w,
                std::vector<int32_t>& acc) {
    acc.assign(static_cast<size_t>(P * w.N), 0);
    int_matmul(x.data(), P, w, max_abs(w.w.data(), w.w.size()), acc.data());
}

}  // namespace sparsecim
