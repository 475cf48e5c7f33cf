// Masks, grid snapping, BatchNorm reset and magnitude pruning on a Graph (plain C++).
#include "train/masks.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <utility>

#include "core/error.hpp"

namespace sparsecim {

std::vector<std::string> weight_constants(const Graph& g) {
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const Node& n : g.nodes)
        if (is_weight_layer(g, n) && seen.insert(weight_name(n)).second)
            names.push_back(weight_name(n));
    return names;
}

MaskSet masks_from_zeros(const Graph& g) {
    MaskSet masks;
    for (const auto& name : weight_constants(g)) {
        const Tensor& w = g.constant(name);
        auto& m = masks[name];
        m.resize(w.data.size());
        for (size_t i = 0; i < m.size(); ++i) m[i] = w.data[i] != 0.0f;
    }
    return masks;
}

namespace {

// Calls f(element index, output channel, row k of the K x N matrix) for every element of a weight
// layer's constant, following float_weight_matrix's layout (weight_matrix_layout).
template <typename F>
void for_each_weight(const Graph& g, const Node& n, F f) {
    const MatrixLayout L = weight_matrix_layout(g, n);
    for (size_t i = 0; i < L.pos.size(); ++i)
        f(static_cast<int64_t>(i), L.pos[i] % L.N, L.pos[i] / L.N);
}

// Per weight constant of qm.graph, a vector in the constant's layout: `init` everywhere, then
// value(layer, K x N position, output column) at each of the layer's weights, after checking
// that the layer's matrix matches the graph's weight. The vector is looked up once per layer.
template <typename T, typename F>
std::map<std::string, std::vector<T>> per_weight_element(const QuantModel& qm, T init, F value) {
    const Graph& g = qm.graph;
    std::map<std::string, std::vector<T>> out;
    for (const QuantLayer& L : qm.layers) {
        const Node& n = g.nodes.at(L.node);
        const Tensor& W = g.constant(weight_name(n));
        if (W.rank() != weight_matrix_rank(n))
            throw Error("layer '" + L.name + "': weight of shape " + shape_str(W.shape) +
                        " cannot take a mask");
        std::vector<T>& v = out[weight_name(n)];
        if (v.empty()) v.assign(W.data.size(), init);
        for_each_weight(g, n, [&](int64_t i, int64_t c, int64_t k) {
            if (k >= L.weights.K || c >= L.weights.N)
                throw Error("layer '" + L.name + "': weight matrix " + std::to_string(L.weights.K) +
                            " x " + std::to_string(L.weights.N) +
                            " does not match the graph's weight " + shape_str(W.shape));
            v[static_cast<size_t>(i)] =
                value(L, static_cast<size_t>(k * L.weights.N + c), static_cast<size_t>(c));
        });
    }
    return out;
}

}  // namespace

MaskSet masks_from_quant_model(const QuantModel& qm) {
    return per_weight_element<uint8_t>(qm, 1, [](const QuantLayer& L, size_t at, size_t) {
        return static_cast<uint8_t>(L.weights.w[at] != 0 && L.weights.keep[at] != 0);
    });
}

std::map<std::string, std::vector<float>> weights_from_quant_model(const QuantModel& qm) {
    return per_weight_element<float>(qm, 0.0f, [](const QuantLayer& L, size_t at, size_t c) {
        return L.weights.keep[at] ? static_cast<float>(L.weights.w[at]) * L.w_scale[c] : 0.0f;
    });
}

void set_constants(Graph& g, const std::map<std::string, std::vector<float>>& values) {
    for (const auto& [name, v] : values) {
        Tensor& t = g.constants.at(name);
        if (v.size() != t.data.size())
            throw Error("'" + name + "': " + std::to_string(v.size()) +
                        " values for a constant of " + std::to_string(t.data.size()));
        std::copy(v.begin(), v.end(), t.data.begin());
    }
}

void check_masks(const Graph& g, const MaskSet& masks) {
    const auto names = weight_constants(g);
    for (const auto& [name, m] : masks) {
        if (std::find(names.begin(), names.end(), name) == names.end())
            throw Error("mask '" + name +
                        "': not a weight of a Conv/ConvTranspose/Gemm/MatMul layer of " +
                        (g.source.empty() ? g.name : g.source));
        const Tensor& w = g.constant(name);
        if (m.size() != w.data.size())
            throw Error("mask '" + name + "': has " + std::to_string(m.size()) +
                        " elements, the weight " + shape_str(w.shape) + " has " +
                        std::to_string(w.data.size()));
    }
}

void apply_masks(Graph& g, const MaskSet& masks) {
    check_masks(g, masks);
    for (const auto& [name, m] : masks) {
        Tensor& w = g.constants.at(name);
        for (size_t i = 0; i < m.size(); ++i)
            if (!m[i]) w.data[i] = 0.0f;
    }
}

double masked_fraction(const MaskSet& masks) {
    size_t total = 0, off = 0;
    for (const auto& [name, m] : masks) {
        total += m.size();
        off += static_cast<size_t>(std::count(m.begin(), m.end(), uint8_t{0}));
    }
    return total ? static_cast<double>(off) / static_cast<double>(total) : 0.0;
}

void snap_weights_to_grid(Graph& g, int w_bits) {
    if (w_bits < 2 || w_bits > 16) throw Error("w_bits: must be 2..16");
    const float qmax = static_cast<float>((1 << (w_bits - 1)) - 1);
    std::set<std::string> done;
    for (const Node& n : g.nodes) {
        if (!is_weight_layer(g, n) || !done.insert(weight_name(n)).second) continue;
        const Tensor& W = g.constant(weight_name(n));
        if (W.rank() != weight_matrix_rank(n)) continue;
        Tensor out = W;
        std::vector<float> mx(static_cast<size_t>(weight_matrix_layout(g, n).N), 0.0f);
        for_each_weight(g, n, [&](int64_t i, int64_t c, int64_t) {
            mx[static_cast<size_t>(c)] =
                std::max(mx[static_cast<size_t>(c)], std::fabs(W.data[static_cast<size_t>(i)]));
        });
        for_each_weight(g, n, [&](int64_t i, int64_t c, int64_t) {
            const float m = mx[static_cast<size_t>(c)];
            const float s = m > 0.0f ? m / qmax : 1.0f;
            const float q = std::clamp(
                static_cast<float>(std::lround(W.data[static_cast<size_t>(i)] / s)), -qmax, qmax);
            out.data[static_cast<size_t>(i)] = q == 0.0f ? 0.0f : q * s;
        });
        g.constants[weight_name(n)] = std::move(out);
    }
}

void reset_batchnorm(Graph& g) {
    for (const Node& n : g.nodes) {
        if (n.op != OpKind::BatchNormalization) continue;
        const float init[] = {1.0f, 0.0f, 0.0f, 1.0f};
        for (size_t i = 1; i <= 4 && i < n.inputs.size(); ++i)
            if (g.is_constant(n.inputs[i]))
                for (float& v : g.constants[n.inputs[i]].data) v = init[i - 1];
    }
}

void prune_by_magnitude(Graph& g, double fraction) {
    if (!(fraction >= 0.0 && fraction < 1.0)) throw Error("prune fraction: must be in [0, 1)");
    for (const auto& name : weight_constants(g)) {
        Tensor& w = g.constants.at(name);
        const size_t cut = static_cast<size_t>(fraction * static_cast<double>(w.data.size()));
        std::vector<size_t> order(w.data.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return std::fabs(w.data[a]) < std::fabs(w.data[b]);
        });
        for (size_t i = 0; i < cut; ++i) w.data[order[i]] = 0.0f;
    }
}

}  // namespace sparsecim
