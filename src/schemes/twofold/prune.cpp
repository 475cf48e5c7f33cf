// LFSR masks and their application to a float graph.
#include "schemes/twofold/prune.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "model/weight_layout.hpp"
#include "schemes/param_table.hpp"

namespace sparsecim {

namespace {

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace

LfsrSpec layer_lfsr(const TwofoldParams& p, uint64_t size, size_t node, const std::string& layer) {
    LfsrSpec s;
    s.width = p.lfsr_width ? p.lfsr_width : lfsr_width_for(size);
    const uint64_t states = (uint64_t{1} << s.width) - 1;
    if (states < size)
        param_error("twofold", "lfsr_width",
                    std::to_string(s.width) + " bits address " + std::to_string(states) +
                        " weights, but layer '" + layer + "' has " + std::to_string(size));
    s.taps = p.lfsr_taps.empty() ? default_lfsr_taps(s.width) : p.lfsr_taps;
    const uint64_t mixed = splitmix64(p.lfsr_seed ^ splitmix64(static_cast<uint64_t>(node) + 1));
    s.seed = static_cast<uint32_t>(1 + mixed % states);
    return s;
}

uint64_t pruned_count(uint64_t size, double sparsity) {
    const double n = std::round(sparsity * static_cast<double>(size));
    return std::min<uint64_t>(size, static_cast<uint64_t>(std::max(0.0, n)));
}

LayerMask lfsr_layer_mask(int64_t K, int64_t N, const TwofoldParams& p, size_t node,
                          const std::string& layer) {
    LayerMask m;
    m.size = static_cast<uint64_t>(K * N);
    m.keep.assign(static_cast<size_t>(m.size), 1);
    if (m.size == 0) return m;
    m.lfsr = layer_lfsr(p, m.size, node, layer);
    m.pruned = pruned_count(m.size, p.sparsity);
    if (m.pruned == 0) return m;
    const LfsrPruning pr = lfsr_prune_indices(m.lfsr, m.size, m.pruned);
    m.steps = pr.steps;
    for (uint32_t idx : pr.indices) m.keep[idx] = 0;
    return m;
}

void zero_pruned_weights(Graph& g, size_t ni, const std::vector<uint8_t>& keep) {
    const Node& n = g.nodes.at(ni);
    const MatrixLayout layout = weight_matrix_layout(g, n);
    if (keep.size() != static_cast<size_t>(layout.K * layout.N))
        throw Error(g.source + ": node '" + n.name + "': mask size disagrees with the weight");
    Tensor& W = g.constants.at(weight_name(n));
    for (size_t i = 0; i < layout.pos.size(); ++i)
        if (!keep[static_cast<size_t>(layout.pos[i])]) W.data[i] = 0.0f;
}

}  // namespace sparsecim
