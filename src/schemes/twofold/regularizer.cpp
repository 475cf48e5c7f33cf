// Group lasso (with its gradient) and the bit-plane ones penalty.
#include "schemes/twofold/regularizer.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "schemes/twofold/quant.hpp"
#include "train/masks.hpp"

namespace sparsecim {

namespace {

void check_shape(std::span<const float> w, std::span<const uint8_t> keep, int64_t K, int64_t N) {
    if (K < 0 || N < 0 || w.size() != static_cast<size_t>(K * N) || keep.size() != w.size())
        throw Error("twofold regulariser: weights (" + std::to_string(w.size()) + ") and mask (" +
                    std::to_string(keep.size()) + ") must both be K*N = " + std::to_string(K * N));
}

// Group index of position (k, n) and the number of groups.
int64_t group_of(int64_t k, int64_t n, LassoGroup g) {
    return g == LassoGroup::Layer ? 0 : g == LassoGroup::Column ? n : k;
}
int64_t groups(int64_t K, int64_t N, LassoGroup g) {
    return g == LassoGroup::Layer ? 1 : g == LassoGroup::Column ? N : K;
}

std::vector<double> group_norms(std::span<const float> w, std::span<const uint8_t> keep, int64_t K,
                                int64_t N, LassoGroup g) {
    std::vector<double> sq(static_cast<size_t>(groups(K, N, g)), 0.0);
    for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n) {
            const size_t i = static_cast<size_t>(k * N + n);
            if (keep[i]) sq[static_cast<size_t>(group_of(k, n, g))] += double{w[i]} * w[i];
        }
    for (double& s : sq) s = std::sqrt(s);
    return sq;
}

}  // namespace

double group_lasso(std::span<const float> w, std::span<const uint8_t> keep, int64_t K, int64_t N,
                   LassoGroup group) {
    check_shape(w, keep, K, N);
    double total = 0.0;
    for (double norm : group_norms(w, keep, K, N, group)) total += norm;
    return total;
}

std::vector<float> group_lasso_grad(std::span<const float> w, std::span<const uint8_t> keep,
                                    int64_t K, int64_t N, LassoGroup group) {
    check_shape(w, keep, K, N);
    const std::vector<double> norms = group_norms(w, keep, K, N, group);
    std::vector<float> g(w.size(), 0.0f);
    for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n) {
            const size_t i = static_cast<size_t>(k * N + n);
            const double norm = norms[static_cast<size_t>(group_of(k, n, group))];
            if (keep[i] && norm > 0.0) g[i] = static_cast<float>(w[i] / norm);
        }
    return g;
}

std::vector<int> bit_ones_counts(const WeightMatrix& wq, int bits) {
    if (bits < 2 || bits > 16) throw Error("twofold regulariser: bits must be 2..16");
    const int32_t lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    std::vector<int> ones(wq.w.size(), 0);
    for (size_t i = 0; i < wq.w.size(); ++i) {
        if (wq.w[i] < lo || wq.w[i] > hi)
            throw Error(wq.name + ": weight " + std::to_string(wq.w[i]) + " does not fit in " +
                        std::to_string(bits) + " bits");
        ones[i] = code_ones(wq.w[i], bits);
    }
    return ones;
}

double bit_ones_penalty(const WeightMatrix& wq, int bits) {
    double sq = 0.0;
    for (int c : bit_ones_counts(wq, bits)) sq += static_cast<double>(c) * c;
    return std::sqrt(sq);
}

ValueGrad bit_ones_relaxed(std::span<const float> w, std::span<const uint8_t> keep, int bits) {
    if (bits < 2 || bits > 16) throw Error("twofold regulariser: bits must be 2..16");
    if (keep.size() != w.size())
        throw Error("twofold regulariser: weights (" + std::to_string(w.size()) + ") and mask (" +
                    std::to_string(keep.size()) + ") differ in size");
    const int32_t qmax = (1 << (bits - 1)) - 1;
    ValueGrad r;
    r.grad.assign(w.size(), 0.0f);
    double s = 0.0;
    size_t arg = 0;
    for (size_t i = 0; i < w.size(); ++i)
        if (keep[i] && std::fabs(double{w[i]}) > s) {
            s = std::fabs(double{w[i]});
            arg = i;
        }
    if (s == 0.0) return r;
    // c_i = ones(f) + (u - f) x slope_i on the segment [f, f + 1] holding u = w / s x qmax.
    std::vector<double> c(w.size(), 0.0), slope(w.size(), 0.0);
    double sq = 0.0;
    for (size_t i = 0; i < w.size(); ++i) {
        if (!keep[i]) continue;
        const double u = std::clamp(w[i] / s * qmax, -double(qmax), double(qmax));
        const int32_t f = std::min(static_cast<int32_t>(std::floor(u)), qmax - 1);
        const int o0 = code_ones(f, bits);
        slope[i] = code_ones(f + 1, bits) - o0;
        c[i] = o0 + (u - f) * slope[i];
        sq += c[i] * c[i];
    }
    r.value = std::sqrt(sq);
    if (r.value == 0.0) return r;
    // dP/dw_j = sum_i c_i slope_i / P x du_i/dw_j, du_i/dw_j = qmax/s [i = j] - u_i/s ds/dw_j,
    // ds/dw_j = sign(w_arg) [j = arg].
    double through_s = 0.0;
    for (size_t i = 0; i < w.size(); ++i) {
        if (!keep[i]) continue;
        const double d = c[i] * slope[i] / r.value;
        r.grad[i] = static_cast<float>(d * qmax / s);
        through_s -= d * (w[i] / s * qmax) / s;
    }
    r.grad[arg] += static_cast<float>(through_s * (w[arg] < 0.0f ? -1.0 : 1.0));
    return r;
}

RegularizerFn make_twofold_regularizer(const Graph& g, const MaskSet& masks,
                                       const TwofoldParams& p) {
    struct Layer {
        MatrixLayout layout;
        std::vector<uint8_t> keep;  // K x N
        double share = 0.0;         // #param_l / #param
    };
    auto layers = std::make_shared<std::map<std::string, Layer>>();
    double total = 0.0;
    for (const Node& n : g.nodes) {
        if (!is_weight_layer(g, n) || layers->count(weight_name(n))) continue;
        Layer L;
        L.layout = weight_matrix_layout(g, n);
        L.keep.assign(static_cast<size_t>(L.layout.K * L.layout.N), 0);
        const auto m = masks.find(weight_name(n));
        if (m != masks.end() && m->second.size() != L.layout.pos.size())
            throw Error("twofold regulariser: mask '" + m->first + "' has " +
                        std::to_string(m->second.size()) + " elements, the weight " +
                        std::to_string(L.layout.pos.size()));
        for (size_t i = 0; i < L.layout.pos.size(); ++i)
            L.keep[static_cast<size_t>(L.layout.pos[i])] = m == masks.end() ? 1 : m->second[i];
        L.share = static_cast<double>(L.layout.pos.size());
        total += L.share;
        layers->emplace(weight_name(n), std::move(L));
    }
    for (auto& [name, L] : *layers) L.share /= total;
    return [layers, p](const std::string& name, const Tensor& weight, Tensor& grad) {
        const auto it = layers->find(name);
        if (it == layers->end()) return 0.0;
        const Layer& L = it->second;
        const auto& pos = L.layout.pos;
        if (weight.data.size() != pos.size() || grad.data.size() != pos.size())
            throw Error("twofold regulariser: '" + name + "' has " +
                        std::to_string(weight.data.size()) + " elements, expected " +
                        std::to_string(pos.size()));
        std::vector<float> w(L.keep.size(), 0.0f);
        for (size_t i = 0; i < pos.size(); ++i) w[static_cast<size_t>(pos[i])] = weight.data[i];
        const int64_t K = L.layout.K, N = L.layout.N;
        const std::vector<float> g_net = group_lasso_grad(w, L.keep, K, N, p.lasso_group);
        const ValueGrad bit = bit_ones_relaxed(w, L.keep, p.bits);
        const double b = p.beta * L.share;
        for (size_t i = 0; i < pos.size(); ++i) {
            const size_t at = static_cast<size_t>(pos[i]);
            grad.data[i] += static_cast<float>(p.lambda * g_net[at] + b * bit.grad[at]);
        }
        return p.lambda * group_lasso(w, L.keep, K, N, p.lasso_group) + b * bit.value;
    };
}

TwofoldReg twofold_regulariser(const std::vector<RegLayer>& layers, double lambda, double beta,
                               int bits, LassoGroup group) {
    double params = 0.0;
    for (const RegLayer& L : layers) params += static_cast<double>(L.K * L.N);
    TwofoldReg r;
    for (const RegLayer& L : layers) {
        r.net += lambda * group_lasso(L.w, L.keep, L.K, L.N, group);
        if (params > 0.0)
            r.bit +=
                beta * (static_cast<double>(L.K * L.N) / params) * bit_ones_penalty(L.wq, bits);
    }
    return r;
}

}  // namespace sparsecim
