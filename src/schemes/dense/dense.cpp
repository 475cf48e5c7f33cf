// The dense baseline: the reference every scheme is compared with.
//
// GCC 12 -O3 warns (-Warray-bounds, -Wstringop-overflow: false positives) in the generic parameter
// parser's branches for member types DenseParams does not have, as the struct is a single bool:
// disabled for this file only, before any header, so the locations in the parser's template follow
// it. Clang (the fuzz preset) has no -Wstringop-overflow and would reject the pragma under -Werror.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
#include "schemes/dense/dense.hpp"

#include <nlohmann/json.hpp>

#include "map/dense_mapper.hpp"

namespace sparsecim {

const ParamTable<DenseParams>& dense_param_table() {
    using P = DenseParams;
    static const ParamTable<P> table = {
        {"skip_zero", "", &P::skip_zero, flag(),
         "skip OU ops whose input bits are all zero (the input-side feature of csr and pattern; "
         "their matched baseline sets it)"},
    };
    return table;
}

DenseParams parse_dense_params(const nlohmann::json& params) {
    return parse_params("dense", dense_param_table(), params);
}

Scheme dense_scheme() {
    Scheme s;
    s.name = "dense";
    s.summary = "baseline: int8 per-channel PTQ, every weight stored, every OU op issued";
    s.prepare = [](const Graph& g, const Tensor& calib, const SchemeContext& ctx) {
        return quantize(g, calib, ctx.quant);
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        Mapping m = map_dense(layer.weights, ctx.hw);
        m.skip_zero_ou = parse_dense_params(ctx.params).skip_zero;
        return m;
    };
    s.check_params = [](const SchemeContext& ctx) { parse_dense_params(ctx.params); };
    s.params = [] { return param_infos(dense_param_table()); };
    s.skips_zero_inputs = [](const SchemeContext& ctx) {
        return parse_dense_params(ctx.params).skip_zero;
    };
    return s;
}

}  // namespace sparsecim
