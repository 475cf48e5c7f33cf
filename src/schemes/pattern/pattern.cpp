// The `pattern` scheme as registry values: prepare = quantize() then pattern-prune every 3x3
// conv layer; map = pattern-block mapping (dense fallback for other layers).
#include "schemes/pattern/pattern.hpp"

#include "schemes/exempt.hpp"
#include "schemes/pattern/pattern_map.hpp"
#include "schemes/pattern/pattern_params.hpp"
#include "schemes/pattern/pattern_prune.hpp"

namespace sparsecim {

Scheme pattern_scheme() {
    Scheme s;
    s.name = "pattern";
    s.summary =
        "3x3 pattern pruning (top-k pattern library, connectivity pruning), pattern-block "
        "mapping with input gather/zero skipping and output indexing";
    s.prepare = [](const Graph& g, const Tensor& calib, const SchemeContext& ctx) {
        const PatternParams p = parse_pattern_params(ctx.params);
        QuantModel qm = quantize(g, calib, ctx.quant);
        mark_exempt(qm, p.exempt);
        for (QuantLayer& L : qm.layers)
            if (L.kernel_h == 3 && L.kernel_w == 3 && !L.exempt) pattern_prune_layer(L, p);
        return qm;
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        return map_pattern(layer, ctx.hw, parse_pattern_params(ctx.params));
    };
    s.check_params = [](const SchemeContext& ctx) { parse_pattern_params(ctx.params); };
    s.params = [] { return param_infos(pattern_param_table()); };
    s.skips_zero_inputs = [](const SchemeContext& ctx) {
        return parse_pattern_params(ctx.params).skip_zero;
    };
    return s;
}

}  // namespace sparsecim
