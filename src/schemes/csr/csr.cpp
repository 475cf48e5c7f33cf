// The csr scheme as registry values: prepare = quantize() then row-block pruning; map = map_csr.
#include "schemes/csr/csr.hpp"

#include "schemes/csr/csr_mapper.hpp"
#include "schemes/csr/csr_params.hpp"
#include "schemes/csr/csr_prune.hpp"
#include "schemes/exempt.hpp"

namespace sparsecim {

Scheme csr_scheme() {
    Scheme s;
    s.name = "csr";
    s.summary =
        "beta-block L2 pruning, GA column shuffle per window, greedy OU-row compression, "
        "zero-skipping pipeline (deck 000)";
    s.prepare = [](const Graph& g, const Tensor& calib, const SchemeContext& ctx) {
        const CsrParams p = parse_csr_params(ctx.params, ctx.seed);
        QuantModel qm = quantize(g, calib, ctx.quant);
        mark_exempt(qm, p.exempt);
        prune_row_blocks(qm, p.beta, p.sparsity, p.scope == "global");
        return qm;
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        return map_csr(layer.weights, ctx.hw, parse_csr_params(ctx.params, ctx.seed),
                       ctx.chip_seed);
    };
    s.check_params = [](const SchemeContext& ctx) { parse_csr_params(ctx.params, ctx.seed); };
    s.params = [] { return param_infos(csr_param_table()); };
    s.reads_faults = [](const SchemeContext& ctx) {
        return parse_csr_params(ctx.params, ctx.seed).fault_aware;
    };
    s.skips_zero_inputs = [](const SchemeContext& ctx) {
        return parse_csr_params(ctx.params, ctx.seed).skip_zero;
    };
    return s;
}

}  // namespace sparsecim
