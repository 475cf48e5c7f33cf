// twofold: prepare = LFSR masks -> pruned float graph -> calibration -> per-layer scaled b-bit
// quantization; map = regenerate the layer's mask from the seed, check it against the weights,
// map the two's complement code with mask gating.
#include "schemes/twofold/twofold.hpp"

#include "core/error.hpp"
#include "schemes/exempt.hpp"
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
        for (size_t i = 0; i < g.nodes.size(); ++i)
            if (is_weight_layer(g, g.nodes[i])) nodes.push_back(i);
        for (size_t l = 0; l < nodes.size(); ++l) {
            const Node& n = g.nodes[nodes[l]];
            FloatMatrix fm = float_weight_matrix(g, n);
            std::vector<uint8_t> keep = fm.in_block;
            if (!exempt_layer(l, nodes.size(), p.exempt)) {
                const LayerMask mask = lfsr_layer_mask(fm.K, fm.N, p, nodes[l], n.name);
                for (size_t j = 0; j < keep.size(); ++j) keep[j] &= mask.keep[j];
                zero_pruned_weights(pruned, nodes[l], keep);
            }
            floats.push_back(std::move(fm));
            keeps.push_back(std::move(keep));
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
            layer.exempt = exempt_layer(l, nodes.size(), p.exempt);
            scaled_quantize(floats[l], keeps[l], p.bits, layer);
            set_input_scale(stats[l], ctx.quant.a_bits, layer);
            qm.layer_of_node[nodes[l]] = static_cast<int>(qm.layers.size());
            qm.layers.push_back(std::move(layer));
        }
        return qm;
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        const TwofoldParams p = parse_twofold_params(ctx.params, ctx.seed);
        // The hardware's view: the mask comes from the seed alone, not from stored indices (an
        // exempt layer's LFSR is off: every weight kept).
        LayerMask mask;
        if (layer.exempt) {
            mask.size = static_cast<uint64_t>(layer.weights.K * layer.weights.N);
            mask.keep.assign(mask.size, 1);
        } else {
            mask = lfsr_layer_mask(layer.weights.K, layer.weights.N, p, layer.node, layer.name);
        }
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
