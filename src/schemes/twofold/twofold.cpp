// twofold: prepare = LFSR masks -> pruned float graph -> calibration -> per-layer scaled b-bit
// quantization; map = regenerate the layer's mask from the seed, check it against the weights,
// map the two's complement code with mask gating.
#include "schemes/twofold/twofold.hpp"

#include "core/error.hpp"
#include "schemes/twofold/map.hpp"
#include "schemes/twofold/params.hpp"
#include "schemes/twofold/prune.hpp"
#include "schemes/twofold/quant.hpp"
#include "schemes/twofold/regularizer.hpp"

namespace sparsecim {

Scheme twofold_scheme() {
    Scheme s;
    s.name = "twofold";
    s.summary =
        "LFSR network-level pruning (mask regenerated from the seed), per-layer scaled b-bit "
        "two's complement on 2-bit cells, energy by cell state";
    s.prepare = [](const Graph& g, const Tensor& calib, const SchemeContext& ctx) {
        const TwofoldParams p = parse_twofold_params(ctx.params, ctx.seed);
        Graph pruned = g;
        std::vector<size_t> nodes;
        std::vector<FloatMatrix> floats;
        std::vector<std::vector<uint8_t>> keeps;
        for (size_t i = 0; i < g.nodes.size(); ++i) {
            const Node& n = g.nodes[i];
            if (!is_weight_layer(g, n)) continue;
            FloatMatrix fm = float_weight_matrix(g, n);
            LayerMask mask = lfsr_layer_mask(fm.K, fm.N, p, i, n.name);
            for (size_t j = 0; j < mask.keep.size(); ++j) mask.keep[j] &= fm.in_block[j];
            zero_pruned_weights(pruned, i, mask.keep);
            nodes.push_back(i);
            floats.push_back(std::move(fm));
            keeps.push_back(std::move(mask.keep));
        }
        // Calibrate on the pruned network: its activations are what the chip will see.
        const std::vector<InputStats> stats = calibrate_inputs(pruned, calib, ctx.quant);
        QuantModel qm;
        qm.graph = std::move(pruned);
        qm.layer_of_node.assign(g.nodes.size(), -1);
        for (size_t l = 0; l < nodes.size(); ++l) {
            QuantLayer layer;
            layer.node = nodes[l];
            layer.name = g.nodes[nodes[l]].name;
            scaled_quantize(floats[l], keeps[l], p.bits, layer);
            set_input_scale(stats[l], ctx.quant.a_bits, layer);
            qm.layer_of_node[nodes[l]] = static_cast<int>(qm.layers.size());
            qm.layers.push_back(std::move(layer));
        }
        return qm;
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        const TwofoldParams p = parse_twofold_params(ctx.params, ctx.seed);
        // The hardware's view: the mask comes from the seed alone, not from stored indices.
        const LayerMask mask =
            lfsr_layer_mask(layer.weights.K, layer.weights.N, p, layer.node, layer.name);
        return map_twofold(layer.weights, mask, p, ctx.hw);
    };
    // J = CE + lambda x group lasso on the kept weights + beta x bit-plane ones (deck 001).
    s.regularizer = [](const Graph& g, const MaskSet& masks, const SchemeContext& ctx) {
        return make_twofold_regularizer(g, masks, parse_twofold_params(ctx.params, ctx.seed));
    };
    s.check_params = [](const SchemeContext& ctx) { parse_twofold_params(ctx.params, ctx.seed); };
    s.params = [] { return param_infos(twofold_param_table()); };
    return s;
}

}  // namespace sparsecim
