// Float reference kernels for every OpKind (NCHW, float32, ONNX opset-13 semantics plus the older
// variants the ONNX node tests exercise) and the graph executor that runs them in node order.
#include "infer/float_infer.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "core/error.hpp"
#include "infer/float_ops.hpp"
#include "model/conv_geom.hpp"

namespace sparsecim {

namespace {

using Strides = std::vector<int64_t>;

// Short names for the shared node helpers (infer/float_ops.hpp).
[[noreturn]] void fail(const Node& n, const std::string& why) {
    fail_node(n, why);
}
const Tensor& need(const Node& n, const std::vector<const Tensor*>& ins, size_t i) {
    return need_input(n, ins, i);
}
const Tensor* optional_in(const std::vector<const Tensor*>& ins, size_t i) {
    return optional_input(ins, i);
}
int64_t normalize_axis(const Node& n, int64_t axis, int64_t rank, bool inclusive_end = false) {
    return axis_in_range(n, axis, rank, inclusive_end);
}

int64_t prod(const Shape& s, size_t from, size_t to) {
    int64_t p = 1;
    for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
    return p;
}

// Row-major strides of `s` aligned to an output of rank `rank` (leading dims missing), with 0
// for every dimension of extent 1 that is broadcast.
Strides broadcast_strides(const Shape& s, const Shape& out) {
    const size_t rank = out.size();
    Strides st(rank, 0);
    int64_t step = 1;
    for (size_t k = 0; k < s.size(); ++k) {
        const size_t i = s.size() - 1 - k;
        const size_t o = rank - 1 - k;
        st[o] = s[i] == 1 && out[o] != 1 ? 0 : step;
        step *= s[i];
    }
    return st;
}

// numpy multidirectional broadcasting of two shapes.
Shape broadcast_shape(const Node& n, const Shape& a, const Shape& b) {
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank, 1);
    for (size_t k = 0; k < rank; ++k) {
        const int64_t da = k < a.size() ? a[a.size() - 1 - k] : 1;
        const int64_t db = k < b.size() ? b[b.size() - 1 - k] : 1;
        if (da != db && da != 1 && db != 1)
            fail(n, "shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
        out[rank - 1 - k] = da == 1 ? db : da;
    }
    return out;
}

// Calls f(offset_a, offset_b, out_index) for every element of `out`.
template <typename F>
void for_each_broadcast(const Shape& out, const Strides& sa, const Strides& sb, F f) {
    const int64_t total = numel(out);
    const size_t rank = out.size();
    std::vector<int64_t> idx(rank, 0);
    int64_t oa = 0, ob = 0;
    for (int64_t i = 0; i < total; ++i) {
        f(oa, ob, i);
        for (size_t d = rank; d-- > 0;) {
            ++idx[d];
            oa += sa[d];
            ob += sb[d];
            if (idx[d] < out[d]) break;
            oa -= sa[d] * out[d];
            ob -= sb[d] * out[d];
            idx[d] = 0;
        }
    }
}

// Elementwise f(a, b) with numpy broadcasting (Add, Sub, Mul, Div, PRelu).
template <typename F>
Tensor binary(const Node& n, const Tensor& a, const Tensor& b, F f) {
    if (a.shape == b.shape) {
        Tensor y(a.shape);
        for (int64_t i = 0; i < a.size(); ++i) y.data[i] = f(a.data[i], b.data[i]);
        return y;
    }
    Shape out = broadcast_shape(n, a.shape, b.shape);
    Tensor y(out);
    for_each_broadcast(
        out, broadcast_strides(a.shape, out), broadcast_strides(b.shape, out),
        [&](int64_t ia, int64_t ib, int64_t i) { y.data[i] = f(a.data[ia], b.data[ib]); });
    return y;
}

// Elementwise f(x) on a copy of x.
template <typename F>
std::vector<Tensor> unary(const Tensor& x, F f) {
    std::vector<Tensor> v{x};
    for (float& e : v[0].data) e = f(e);
    return v;
}

Tensor conv(const Node& n, const Tensor& x, const Tensor& w, const Tensor* b) {
    const ConvGeom cg = conv_geom(n, x.shape, w.shape);
    const int64_t batch = x.dim(0);
    if (b && b->size() != cg.cout) fail(n, "bias has " + std::to_string(b->size()) + " values");
    Tensor y({batch, cg.cout, cg.out_h, cg.out_w});
    const int64_t cpg = cg.cin_per_group(), opg = cg.cout_per_group();
    const int64_t K = cpg * cg.kh * cg.kw, P = cg.out_h * cg.out_w;
    const int64_t in_plane = cg.in_h * cg.in_w;
    std::vector<float> cols(static_cast<size_t>(K * P));
    for (int64_t bi = 0; bi < batch; ++bi) {
        for (int64_t gi = 0; gi < cg.group; ++gi) {
            // im2col: row (c, ki, kj), column (oy, ox).
            for (int64_t c = 0; c < cpg; ++c) {
                const float* xp = x.data.data() + (bi * cg.cin + gi * cpg + c) * in_plane;
                for (int64_t ki = 0; ki < cg.kh; ++ki) {
                    for (int64_t kj = 0; kj < cg.kw; ++kj) {
                        float* row = cols.data() + ((c * cg.kh + ki) * cg.kw + kj) * P;
                        for (int64_t oy = 0; oy < cg.out_h; ++oy) {
                            const int64_t iy = oy * cg.stride_h - cg.pad_top + ki * cg.dil_h;
                            float* r = row + oy * cg.out_w;
                            if (iy < 0 || iy >= cg.in_h) {
                                std::fill(r, r + cg.out_w, 0.0f);
                                continue;
                            }
                            for (int64_t ox = 0; ox < cg.out_w; ++ox) {
                                const int64_t ix = ox * cg.stride_w - cg.pad_left + kj * cg.dil_w;
                                r[ox] = ix >= 0 && ix < cg.in_w ? xp[iy * cg.in_w + ix] : 0.0f;
                            }
                        }
                    }
                }
            }
            for (int64_t o = 0; o < opg; ++o) {
                const int64_t oc = gi * opg + o;
                float* yp = y.data.data() + (bi * cg.cout + oc) * P;
                std::fill(yp, yp + P, b ? b->data[oc] : 0.0f);
                const float* wp = w.data.data() + oc * K;
                for (int64_t k = 0; k < K; ++k) {
                    const float wv = wp[k];
                    if (wv == 0.0f) continue;
                    const float* cp = cols.data() + k * P;
                    for (int64_t p = 0; p < P; ++p) yp[p] += wv * cp[p];
                }
            }
        }
    }
    return y;
}

Tensor gemm(const Node& n, const Tensor& a, const Tensor& b, const Tensor* c) {
    if (a.rank() != 2 || b.rank() != 2)
        fail(n, "A and B must be 2-D, got " + shape_str(a.shape) + " and " + shape_str(b.shape));
    const bool ta = n.attr_int("transA", 0) != 0, tb = n.attr_int("transB", 0) != 0;
    const float alpha = n.attr_float("alpha", 1.0f), beta = n.attr_float("beta", 1.0f);
    const int64_t M = ta ? a.dim(1) : a.dim(0), K = ta ? a.dim(0) : a.dim(1);
    const int64_t KB = tb ? b.dim(1) : b.dim(0), N = tb ? b.dim(0) : b.dim(1);
    if (K != KB)
        fail(n, "inner dimensions differ: A " + shape_str(a.shape) + ", B " + shape_str(b.shape));
    Tensor y({M, N});
    std::vector<float> acc(static_cast<size_t>(N));
    for (int64_t i = 0; i < M; ++i) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t k = 0; k < K; ++k) {
            const float av = ta ? a.data[k * M + i] : a.data[i * K + k];
            if (av == 0.0f) continue;
            if (tb) {
                for (int64_t j = 0; j < N; ++j) acc[j] += av * b.data[j * K + k];
            } else {
                const float* br = b.data.data() + k * N;
                for (int64_t j = 0; j < N; ++j) acc[j] += av * br[j];
            }
        }
        for (int64_t j = 0; j < N; ++j) y.data[i * N + j] = alpha * acc[j];
    }
    if (c && beta != 0.0f) {
        if (c->rank() > 2) fail(n, "C must be at most 2-D, got " + shape_str(c->shape));
        const int64_t cm = c->rank() == 2 ? c->dim(0) : 1;
        const int64_t cn = c->rank() >= 1 ? c->shape.back() : 1;
        if ((cm != 1 && cm != M) || (cn != 1 && cn != N))
            fail(n, "C " + shape_str(c->shape) + " does not broadcast to [" + std::to_string(M) +
                        "," + std::to_string(N) + "]");
        for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N; ++j)
                y.data[i * N + j] += beta * c->data[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
    }
    return y;
}

Tensor matmul(const Node& n, const Tensor& a0, const Tensor& b0) {
    if (a0.rank() == 0 || b0.rank() == 0) fail(n, "MatMul operands must be at least 1-D");
    Shape as = a0.shape, bs = b0.shape;
    const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
    if (a_vec) as.insert(as.begin(), 1);
    if (b_vec) bs.push_back(1);
    const int64_t M = as[as.size() - 2], K = as.back(), KB = bs[bs.size() - 2], N = bs.back();
    if (K != KB)
        fail(n, "inner dimensions differ: " + shape_str(a0.shape) + " x " + shape_str(b0.shape));
    const Shape abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2);
    const Shape batch = broadcast_shape(n, abatch, bbatch);
    Shape out = batch;
    if (!a_vec) out.push_back(M);
    if (!b_vec) out.push_back(N);
    Tensor y(out);
    const Strides sa = broadcast_strides(abatch, batch), sb = broadcast_strides(bbatch, batch);
    std::vector<float> acc(static_cast<size_t>(N));
    for_each_broadcast(batch, sa, sb, [&](int64_t ia, int64_t ib, int64_t bi) {
        const float* ap = a0.data.data() + ia * M * K;
        const float* bp = b0.data.data() + ib * K * N;
        float* yp = y.data.data() + bi * M * N;
        for (int64_t i = 0; i < M; ++i) {
            std::fill(acc.begin(), acc.end(), 0.0f);
            for (int64_t k = 0; k < K; ++k) {
                const float av = ap[i * K + k];
                const float* br = bp + k * N;
                for (int64_t j = 0; j < N; ++j) acc[j] += av * br[j];
            }
            std::copy(acc.begin(), acc.end(), yp + i * N);
        }
    });
    return y;
}

std::vector<Tensor> batchnorm(const Node& n, const std::vector<const Tensor*>& ins) {
    const Tensor& x = need(n, ins, 0);
    const Tensor& scale = need(n, ins, 1);
    const Tensor& bias = need(n, ins, 2);
    const Tensor& mean = need(n, ins, 3);
    const Tensor& var = need(n, ins, 4);
    if (x.rank() < 2) fail(n, "input must be at least 2-D, got " + shape_str(x.shape));
    const int64_t N = x.dim(0), C = x.dim(1), S = prod(x.shape, 2, x.rank());
    for (const Tensor* t : {&scale, &bias, &mean, &var})
        if (t->size() != C)
            fail(n, "per-channel parameter has " + std::to_string(t->size()) +
                        " values, expected " + std::to_string(C));
    const float eps = n.attr_float("epsilon", 1e-5f);
    const bool training = n.attr_int("training_mode", 0) != 0;
    std::vector<float> m(mean.data), v(var.data);
    if (training) {  // normalise with the batch statistics (population variance)
        const double cnt = static_cast<double>(N * S);
        for (int64_t c = 0; c < C; ++c) {
            double s = 0, s2 = 0;
            for (int64_t b = 0; b < N; ++b)
                for (int64_t i = 0; i < S; ++i) s += x.data[(b * C + c) * S + i];
            const double mu = s / cnt;
            for (int64_t b = 0; b < N; ++b)
                for (int64_t i = 0; i < S; ++i) {
                    const double d = x.data[(b * C + c) * S + i] - mu;
                    s2 += d * d;
                }
            m[c] = static_cast<float>(mu);
            v[c] = static_cast<float>(s2 / cnt);
        }
    }
    Tensor y(x.shape);
    for (int64_t b = 0; b < N; ++b)
        for (int64_t c = 0; c < C; ++c) {
            const float f = scale.data[c] / std::sqrt(v[c] + eps);
            const float* xp = x.data.data() + (b * C + c) * S;
            float* yp = y.data.data() + (b * C + c) * S;
            for (int64_t i = 0; i < S; ++i) yp[i] = (xp[i] - m[c]) * f + bias.data[c];
        }
    std::vector<Tensor> outs;
    outs.push_back(std::move(y));
    if (training && n.outputs.size() > 1) {
        const float mom = n.attr_float("momentum", 0.9f);
        Tensor rm({C}), rv({C});
        for (int64_t c = 0; c < C; ++c) {
            rm.data[c] = mean.data[c] * mom + m[c] * (1 - mom);
            rv.data[c] = var.data[c] * mom + v[c] * (1 - mom);
        }
        outs.push_back(std::move(rm));
        outs.push_back(std::move(rv));
    }
    return outs;
}

// MaxPool / AveragePool over 1..3 (any) spatial dims.
std::vector<Tensor> pool(const Node& n, const Tensor& x, bool is_max) {
    if (x.rank() < 3) fail(n, "input must be N x C x spatial, got " + shape_str(x.shape));
    const size_t nd = x.rank() - 2;
    const auto ks = n.attr_ints("kernel_shape", {});
    if (ks.size() != nd) fail(n, "kernel_shape must have " + std::to_string(nd) + " entries");
    const auto st = n.attr_ints("strides", std::vector<int64_t>(nd, 1));
    const auto dl = n.attr_ints("dilations", std::vector<int64_t>(nd, 1));
    auto pads = n.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
    if (st.size() != nd || dl.size() != nd || pads.size() != 2 * nd)
        fail(n, "strides/dilations/pads do not match the kernel rank");
    const bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
    const bool include_pad = n.attr_int("count_include_pad", 0) != 0;
    const std::string ap = n.attr_string("auto_pad", "NOTSET");
    Shape out = {x.dim(0), x.dim(1)};
    for (size_t d = 0; d < nd; ++d) {
        const int64_t in = x.dim(d + 2), ek = (ks[d] - 1) * dl[d] + 1;
        if (ks[d] <= 0 || st[d] <= 0 || dl[d] <= 0)
            fail(n, "kernel, strides, dilations must be > 0");
        int64_t o;
        if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
            o = (in + st[d] - 1) / st[d];
            const int64_t total = std::max<int64_t>(0, (o - 1) * st[d] + ek - in);
            pads[d] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
            pads[d + nd] = total - pads[d];
        } else if (ap == "VALID" || ap == "NOTSET") {
            if (ap == "VALID") pads[d] = pads[d + nd] = 0;
            const int64_t span = in + pads[d] + pads[d + nd] - ek;
            if (span < 0) fail(n, "kernel larger than padded input " + shape_str(x.shape));
            o = (ceil_mode ? (span + st[d] - 1) / st[d] : span / st[d]) + 1;
            // A last window that would start inside the end padding is dropped (as PyTorch/ORT).
            if (ceil_mode && (o - 1) * st[d] >= in + pads[d]) --o;
        } else {
            fail(n, "unknown auto_pad '" + ap + "'");
        }
        out.push_back(o);
    }
    Tensor y(out);
    Tensor idx;
    const bool want_idx = is_max && n.outputs.size() > 1;
    if (want_idx) idx = Tensor(out);
    const bool col_major = n.attr_int("storage_order", 0) != 0;
    const int64_t in_plane = prod(x.shape, 2, x.rank());
    const int64_t out_plane = prod(out, 2, out.size());
    const int64_t kvol = prod(Shape(ks.begin(), ks.end()), 0, nd);
    std::vector<int64_t> o_idx(nd), k_idx(nd);
    for (int64_t nc = 0; nc < x.dim(0) * x.dim(1); ++nc) {
        const float* xp = x.data.data() + nc * in_plane;
        std::fill(o_idx.begin(), o_idx.end(), 0);
        for (int64_t op = 0; op < out_plane; ++op) {
            float best = -std::numeric_limits<float>::infinity();
            int64_t best_at = -1;
            double sum = 0;
            int64_t valid = 0, counted = 0;
            std::fill(k_idx.begin(), k_idx.end(), 0);
            for (int64_t kp = 0; kp < kvol; ++kp) {
                int64_t off = 0;
                bool inside = true, in_padded = true;
                for (size_t d = 0; d < nd; ++d) {
                    const int64_t in = x.dim(d + 2);
                    const int64_t pos = o_idx[d] * st[d] - pads[d] + k_idx[d] * dl[d];
                    if (pos < 0 || pos >= in) inside = false;
                    if (pos < -pads[d] || pos >= in + pads[d + nd]) in_padded = false;
                    off = off * in + pos;
                }
                if (in_padded) ++counted;
                if (inside) {
                    const float v = xp[off];
                    ++valid;
                    sum += v;
                    if (v > best || best_at < 0) {
                        best = v;
                        best_at = off;
                    }
                }
                for (size_t d = nd; d-- > 0;) {
                    if (++k_idx[d] < ks[d]) break;
                    k_idx[d] = 0;
                }
            }
            float r;
            if (is_max)
                r = best;
            else
                r = static_cast<float>(sum / static_cast<double>(include_pad ? counted : valid));
            y.data[nc * out_plane + op] = r;
            if (want_idx) {
                int64_t flat = best_at;
                if (col_major && best_at >= 0) {  // re-linearise the spatial index column-major
                    int64_t rem = best_at, cm = 0, mul = 1;
                    std::vector<int64_t> pos(nd);
                    for (size_t d = nd; d-- > 0;) {
                        pos[d] = rem % x.dim(d + 2);
                        rem /= x.dim(d + 2);
                    }
                    for (size_t d = 0; d < nd; ++d) {
                        cm += pos[d] * mul;
                        mul *= x.dim(d + 2);
                    }
                    flat = cm;
                }
                idx.data[nc * out_plane + op] = static_cast<float>(nc * in_plane + flat);
            }
            for (size_t d = nd; d-- > 0;) {
                if (++o_idx[d] < out[d + 2]) break;
                o_idx[d] = 0;
            }
        }
    }
    std::vector<Tensor> outs;
    outs.push_back(std::move(y));
    if (want_idx) outs.push_back(std::move(idx));
    return outs;
}

Tensor global_avg_pool(const Node& n, const Tensor& x) {
    if (x.rank() < 3) fail(n, "input must be N x C x spatial, got " + shape_str(x.shape));
    Shape out = {x.dim(0), x.dim(1)};
    out.resize(x.rank(), 1);
    Tensor y(out);
    const int64_t S = prod(x.shape, 2, x.rank());
    for (int64_t nc = 0; nc < x.dim(0) * x.dim(1); ++nc) {
        double s = 0;
        for (int64_t i = 0; i < S; ++i) s += x.data[nc * S + i];
        y.data[nc] = static_cast<float>(s / static_cast<double>(S));
    }
    return y;
}

Tensor concat(const Node& n, const std::vector<const Tensor*>& ins) {
    if (ins.empty()) fail(n, "needs at least one input");
    const Tensor& first = need(n, ins, 0);
    const int64_t rank = static_cast<int64_t>(first.rank());
    const int64_t axis = normalize_axis(n, n.attr_int("axis", 1), rank);
    Shape out = first.shape;
    out[axis] = 0;
    for (size_t i = 0; i < ins.size(); ++i) {
        const Tensor& t = need(n, ins, i);
        for (int64_t d = 0; d < rank; ++d)
            if (d != axis && (t.rank() != first.rank() || t.shape[d] != first.shape[d]))
                fail(n, "input shapes " + shape_str(first.shape) + " and " + shape_str(t.shape) +
                            " differ outside axis " + std::to_string(axis));
        out[axis] += t.shape[axis];
    }
    Tensor y(out);
    const int64_t outer = prod(out, 0, axis);
    const int64_t inner = prod(out, axis + 1, out.size());
    int64_t pos = 0;
    for (int64_t o = 0; o < outer; ++o)
        for (const Tensor* t : ins) {
            const int64_t chunk = t->shape[axis] * inner;
            std::copy_n(t->data.begin() + o * chunk, chunk, y.data.begin() + pos);
            pos += chunk;
        }
    return y;
}

Tensor reshape(const Node& n, const std::vector<const Tensor*>& ins) {
    const Tensor& x = need(n, ins, 0);
    std::vector<int64_t> spec;
    if (const Tensor* s = optional_in(ins, 1))
        for (float v : s->data) {
            if (!(std::fabs(v) < 1e15f)) fail(n, "target shape holds a non-integer value");
            spec.push_back(static_cast<int64_t>(v));
        }
    else
        spec = n.attr_ints("shape", {});  // Reshape-1 carried the shape as an attribute
    const bool allowzero = n.attr_int("allowzero", 0) != 0;
    Shape out(spec.size());
    int64_t infer_at = -1, known = 1;
    for (size_t i = 0; i < spec.size(); ++i) {
        int64_t d = spec[i];
        if (d == 0 && !allowzero) {
            if (i >= x.rank()) fail(n, "shape entry 0 copies a dimension the input lacks");
            d = x.shape[i];
        }
        if (d == -1) {
            if (infer_at >= 0) fail(n, "more than one -1 in the target shape");
            infer_at = static_cast<int64_t>(i);
        } else if (d < 0) {
            fail(n, "invalid target dimension " + std::to_string(d));
        } else {
            known *= d;
        }
        out[i] = d;
    }
    if (infer_at >= 0) {
        if (known == 0 || x.size() % known != 0)
            fail(n, "cannot infer -1 reshaping " + shape_str(x.shape));
        out[static_cast<size_t>(infer_at)] = x.size() / known;
    }
    if (numel(out) != x.size())
        fail(n, "cannot reshape " + shape_str(x.shape) + " to " + shape_str(out));
    return Tensor(out, x.data);
}

Tensor softmax(const Node& n, const Tensor& x, int64_t opset) {
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank == 0) fail(n, "input must be at least 1-D");
    Tensor y(x.shape);
    int64_t outer, len, inner;
    if (opset >= 13) {
        const int64_t axis = normalize_axis(n, n.attr_int("axis", -1), rank);
        outer = prod(x.shape, 0, axis);
        len = x.shape[axis];
        inner = prod(x.shape, axis + 1, x.rank());
    } else {  // coerce to 2-D [prod(:axis), prod(axis:)] and normalise each row
        const int64_t axis = normalize_axis(n, n.attr_int("axis", 1), rank, true);
        outer = prod(x.shape, 0, axis);
        len = prod(x.shape, axis, x.rank());
        inner = 1;
    }
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            const float* xp = x.data.data() + o * len * inner + i;
            float* yp = y.data.data() + o * len * inner + i;
            float mx = -std::numeric_limits<float>::infinity();
            for (int64_t k = 0; k < len; ++k) mx = std::max(mx, xp[k * inner]);
            double s = 0;
            for (int64_t k = 0; k < len; ++k) {
                const float e = std::exp(xp[k * inner] - mx);
                yp[k * inner] = e;
                s += e;
            }
            for (int64_t k = 0; k < len; ++k) yp[k * inner] = static_cast<float>(yp[k * inner] / s);
        }
    return y;
}

std::vector<Tensor> identity(const Node& n, const std::vector<const Tensor*>& ins) {
    const Tensor& x = need(n, ins, 0);
    // Dropout imported as Identity: inference mode passes x through; its mask output is all ones.
    const Tensor* training = optional_in(ins, 2);
    if (training && !training->data.empty() && training->data[0] != 0.0f) {
        const Tensor* ratio = optional_in(ins, 1);
        const float r =
            ratio && !ratio->data.empty() ? ratio->data[0] : n.attr_float("ratio", 0.5f);
        if (r != 0.0f) fail(n, "training-mode Dropout (random) is not supported");
    }
    std::vector<Tensor> outs{x};
    if (n.outputs.size() > 1) outs.emplace_back(x.shape, 1.0f);
    return outs;
}

}  // namespace

std::vector<Tensor> eval_node(const Node& n, const std::vector<const Tensor*>& ins) {
    return eval_node(n, ins, 13);
}

std::vector<Tensor> eval_node(const Node& n, const std::vector<const Tensor*>& ins, int64_t opset) {
    auto one = [](Tensor t) {
        std::vector<Tensor> v;
        v.push_back(std::move(t));
        return v;
    };
    switch (n.op) {
        case OpKind::Conv:
            return one(conv(n, need(n, ins, 0), need(n, ins, 1), optional_in(ins, 2)));
        case OpKind::Gemm:
            return one(gemm(n, need(n, ins, 0), need(n, ins, 1), optional_in(ins, 2)));
        case OpKind::MatMul:
            return one(matmul(n, need(n, ins, 0), need(n, ins, 1)));
        case OpKind::BatchNormalization:
            return batchnorm(n, ins);
        case OpKind::Relu: {
            Tensor y = need(n, ins, 0);
            for (float& v : y.data) v = v > 0.0f ? v : 0.0f;
            return one(std::move(y));
        }
        case OpKind::Clip: {
            Tensor y = need(n, ins, 0);
            float lo = n.attr_float("min", -std::numeric_limits<float>::infinity());
            float hi = n.attr_float("max", std::numeric_limits<float>::infinity());
            if (const Tensor* t = optional_in(ins, 1); t && !t->data.empty()) lo = t->data[0];
            if (const Tensor* t = optional_in(ins, 2); t && !t->data.empty()) hi = t->data[0];
            for (float& v : y.data) v = std::min(std::max(v, lo), hi);
            return one(std::move(y));
        }
        case OpKind::MaxPool:
            return pool(n, need(n, ins, 0), true);
        case OpKind::AveragePool:
            return pool(n, need(n, ins, 0), false);
        case OpKind::GlobalAveragePool:
            return one(global_avg_pool(n, need(n, ins, 0)));
        case OpKind::Add:
            return one(binary(n, need(n, ins, 0), need(n, ins, 1), std::plus<float>()));
        case OpKind::Sub:
            return one(binary(n, need(n, ins, 0), need(n, ins, 1), std::minus<float>()));
        case OpKind::Mul:
            return one(binary(n, need(n, ins, 0), need(n, ins, 1), std::multiplies<float>()));
        case OpKind::Div:
            if (n.integer_output)  // integer division truncates toward zero (exact in double)
                return one(binary(n, need(n, ins, 0), need(n, ins, 1), [&](float a, float b) {
                    if (b == 0.0f) fail(n, "integer division by zero");
                    return static_cast<float>(
                        std::trunc(static_cast<double>(a) / static_cast<double>(b)));
                }));
            return one(binary(n, need(n, ins, 0), need(n, ins, 1), std::divides<float>()));
        case OpKind::PRelu: {
            const Tensor& x = need(n, ins, 0);
            Tensor slope = need(n, ins, 1);
            // Before opset 7 a 1-D slope of C values applies along the channel axis 1.
            if (opset < 7 && slope.rank() == 1 && x.rank() >= 2 && slope.size() == x.dim(1))
                slope.shape.resize(x.rank() - 1, 1);
            return one(binary(n, x, slope, [](float v, float a) { return v < 0.0f ? v * a : v; }));
        }
        case OpKind::Sigmoid:
            return unary(need(n, ins, 0), [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
        case OpKind::HardSigmoid: {
            const float alpha = n.attr_float("alpha", 0.2f), beta = n.attr_float("beta", 0.5f);
            return unary(need(n, ins, 0),
                         [=](float x) { return std::max(0.0f, std::min(1.0f, alpha * x + beta)); });
        }
        case OpKind::HardSwish:
            return unary(need(n, ins, 0), [](float x) {
                return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
            });
        case OpKind::LeakyRelu: {
            const float alpha = n.attr_float("alpha", 0.01f);
            return unary(need(n, ins, 0), [=](float x) { return x < 0.0f ? alpha * x : x; });
        }
        case OpKind::ConvTranspose:
            return one(conv_transpose(n, need(n, ins, 0), need(n, ins, 1), optional_in(ins, 2)));
        case OpKind::Pad:
            return one(pad(n, ins, opset));
        case OpKind::Resize:
        case OpKind::Upsample:
            return one(resize(n, ins, opset));
        case OpKind::Transpose:
            return one(transpose(n, need(n, ins, 0)));
        case OpKind::Squeeze:
            return one(squeeze(n, ins));
        case OpKind::Unsqueeze:
            return one(unsqueeze(n, ins));
        case OpKind::ReduceMean:
            return one(reduce_mean(n, ins));
        case OpKind::ShapeOf:
            return one(shape_of(n, need(n, ins, 0)));
        case OpKind::Gather:
            return one(gather(n, need(n, ins, 0), need(n, ins, 1)));
        case OpKind::Slice:
            return one(slice(n, ins));
        case OpKind::Cast:
            return one(cast(n, need(n, ins, 0)));
        case OpKind::Concat:
            return one(concat(n, ins));
        case OpKind::Flatten: {
            const Tensor& x = need(n, ins, 0);
            const int64_t r = static_cast<int64_t>(x.rank());
            const int64_t axis = normalize_axis(n, n.attr_int("axis", 1), r, true);
            return one(Tensor({prod(x.shape, 0, axis), prod(x.shape, axis, x.rank())}, x.data));
        }
        case OpKind::Reshape:
            return one(reshape(n, ins));
        case OpKind::Identity:
            return identity(n, ins);
        case OpKind::Softmax:
            return one(softmax(n, need(n, ins, 0), opset));
        case OpKind::Unknown:
            throw Error("unsupported op '" + n.type() + "' in node '" + n.name + "'");
    }
    fail(n, "unknown op");
}

TensorMap run_graph(const Graph& g, const TensorMap& inputs, const WeightLayerFn& weight_layer) {
    const std::string prefix = g.source.empty() ? "" : g.source + ": ";
    for (const auto& vi : g.inputs) {
        auto it = inputs.find(vi.name);
        if (it == inputs.end()) throw Error(prefix + "graph input '" + vi.name + "' not given");
        const Shape& s = it->second.shape;
        bool ok = vi.shape.empty() || s.size() == vi.shape.size();
        for (size_t d = 0; ok && d < vi.shape.size(); ++d)
            ok = vi.shape[d] < 0 || vi.shape[d] == s[d];
        if (!ok || it->second.size() != numel(s))
            throw Error(prefix + "graph input '" + vi.name + "': expected shape " +
                        shape_str(vi.shape) + ", got " + shape_str(s));
    }
    TensorMap values;
    auto lookup = [&](const std::string& name) -> const Tensor* {
        if (auto it = values.find(name); it != values.end()) return &it->second;
        if (auto it = g.constants.find(name); it != g.constants.end()) return &it->second;
        if (auto it = inputs.find(name); it != inputs.end()) return &it->second;
        return nullptr;
    };
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        std::vector<const Tensor*> ins;
        for (const auto& name : n.inputs) {
            const Tensor* t = name.empty() ? nullptr : lookup(name);
            if (!name.empty() && !t)
                throw Error(prefix + "node '" + n.name + "' (" + n.type() + "): input '" + name +
                            "' is not available");
            ins.push_back(t);
        }
        std::vector<Tensor> outs;
        try {
            if (weight_layer && is_weight_layer(g, n))
                outs.push_back(weight_layer(i, n, need(n, ins, 0)));
            else
                outs = eval_node(n, ins, g.opset);
        } catch (const Error& e) {
            // Name the node unless the message already does (e.g. a size limit hit in a helper).
            const std::string what = e.what();
            const bool named = what.find("node '" + n.name + "'") != std::string::npos;
            throw Error(prefix +
                        (named ? what : "node '" + n.name + "' (" + n.type() + "): " + what));
        }
        for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k)
            if (!n.outputs[k].empty()) values[n.outputs[k]] = std::move(outs[k]);
    }
    TensorMap result;
    for (const auto& name : g.outputs) {
        const Tensor* t = lookup(name);
        if (!t) throw Error(prefix + "graph output '" + name + "' was not computed");
        result[name] = *t;
    }
    return result;
}

}  // namespace sparsecim
