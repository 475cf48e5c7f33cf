// Group lasso (with its gradient) and the bit-plane ones penalty.
#include "schemes/twofold/regularizer.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "schemes/twofold/quant.hpp"

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
