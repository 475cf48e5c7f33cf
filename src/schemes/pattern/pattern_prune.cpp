// Pattern library selection (top-k masks, most frequent kept), kernel projection to the library
// pattern keeping the most L2 norm, and connectivity pruning of whole kernels.
#include "schemes/pattern/pattern_prune.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

#include "core/error.hpp"

namespace sparsecim {

namespace {

constexpr int kPositions = 9;

// Squared L2 norm of the entries of v inside mask.
int64_t energy(const int32_t* v, PatternMask mask) {
    int64_t e = 0;
    for (int q = 0; q < kPositions; ++q)
        if ((mask >> q) & 1) e += static_cast<int64_t>(v[q]) * v[q];
    return e;
}

}  // namespace

PatternMask top_k_mask(const int32_t* v, int k) {
    std::array<int, kPositions> order{};
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return std::abs(v[a]) > std::abs(v[b]); });
    PatternMask m = 0;
    for (int i = 0; i < k; ++i)
        m = static_cast<PatternMask>(m | (1u << order[static_cast<size_t>(i)]));
    return m;
}

PatternPruneReport pattern_prune_layer(QuantLayer& layer, const PatternParams& p) {
    WeightMatrix& W = layer.weights;
    if (layer.kernel_h != 3 || layer.kernel_w != 3 || W.K % kPositions != 0)
        throw Error(layer.name + ": pattern pruning needs a 3x3 convolution");
    const int64_t cin = W.K / kPositions, N = W.N;
    PatternPruneReport rep;

    // Kernels that exist (a grouped conv's off-block kernels are structural zeros), their
    // values gathered as [kernel][9].
    struct Kernel {
        int64_t c = 0, n = 0;
        std::array<int32_t, kPositions> v{};
        PatternMask pattern = 0;
        double norm = 0.0;  // squared L2 norm of the projected real-valued kernel
    };
    std::vector<Kernel> kernels;
    for (int64_t c = 0; c < cin; ++c)
        for (int64_t n = 0; n < N; ++n) {
            Kernel kn;
            kn.c = c;
            kn.n = n;
            bool exists = true;
            for (int q = 0; q < kPositions; ++q) {
                const int64_t k = c * kPositions + q;
                exists = exists && W.keep[static_cast<size_t>(k * N + n)];
                kn.v[static_cast<size_t>(q)] = W.at(k, n);
            }
            if (exists) kernels.push_back(kn);
        }
    rep.kernels = static_cast<int64_t>(kernels.size());

    // Library: the most frequent top-k masks of the non-zero kernels.
    std::map<PatternMask, int64_t> freq;
    std::vector<PatternMask> topk(kernels.size(), 0);
    int64_t topk_energy = 0;
    for (size_t i = 0; i < kernels.size(); ++i) {
        const int32_t* v = kernels[i].v.data();
        if (energy(v, 0x1ff) == 0) continue;
        topk[i] = top_k_mask(v, p.k);
        ++freq[topk[i]];
        topk_energy += energy(v, topk[i]);
    }
    std::vector<std::pair<PatternMask, int64_t>> ranked(freq.begin(), freq.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    // best[i]: the energy kernel i keeps under the library chosen so far.
    std::vector<int64_t> best(kernels.size(), -1);
    std::vector<PatternMask> best_mask(kernels.size(), 0);
    int64_t kept_energy = 0;
    for (const auto& [mask, count] : ranked) {
        if (p.library_size > 0 && static_cast<int>(rep.library.size()) >= p.library_size) break;
        if (p.library_size == 0 && !rep.library.empty() &&
            static_cast<double>(kept_energy) >= p.retention * static_cast<double>(topk_energy))
            break;
        rep.library.push_back(mask);
        kept_energy = 0;
        for (size_t i = 0; i < kernels.size(); ++i) {
            const int64_t e = energy(kernels[i].v.data(), mask);
            if (e > best[i]) {  // strictly more: ties keep the more frequent pattern
                best[i] = e;
                best_mask[i] = mask;
            }
            kept_energy += std::max<int64_t>(best[i], 0);
        }
    }
    rep.retention =
        topk_energy > 0 ? static_cast<double>(kept_energy) / static_cast<double>(topk_energy) : 1.0;

    // Projection, then connectivity pruning by the real-valued norm (scales differ per output).
    for (size_t i = 0; i < kernels.size(); ++i) {
        Kernel& kn = kernels[i];
        kn.pattern = best_mask[i];
        const double s = layer.w_scale[static_cast<size_t>(kn.n)];
        kn.norm = static_cast<double>(std::max<int64_t>(best[i], 0)) * s * s;
    }
    const auto nk = static_cast<double>(kernels.size());
    size_t removed = static_cast<size_t>(std::floor(p.connectivity * nk + 1e-9));
    if (p.target_sparsity) {
        // Layer sparsity = 1 - kept * k / 9 (over existing kernels): keep the nearest count.
        const double keep = (1.0 - *p.target_sparsity) * nk * kPositions / p.k;
        removed = static_cast<size_t>(nk - std::clamp(std::round(keep), 0.0, nk));
    }
    rep.connectivity = nk > 0 ? static_cast<double>(removed) / nk : 0.0;
    std::vector<size_t> order(kernels.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return kernels[a].norm < kernels[b].norm; });
    std::vector<uint8_t> remove(kernels.size(), 0);
    for (size_t j = 0; j < removed && j < order.size(); ++j) remove[order[j]] = 1;

    for (size_t i = 0; i < kernels.size(); ++i) {
        const Kernel& kn = kernels[i];
        const bool gone = remove[i] || energy(kn.v.data(), kn.pattern) == 0;
        rep.kernels_removed += gone;
        for (int q = 0; q < kPositions; ++q) {
            const size_t idx = static_cast<size_t>((kn.c * kPositions + q) * N + kn.n);
            const bool kept = !gone && ((kn.pattern >> q) & 1);
            W.keep[idx] = kept;
            if (!kept) W.w[idx] = 0;
        }
    }
    return rep;
}

}  // namespace sparsecim
