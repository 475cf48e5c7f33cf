// The dense baseline: the reference every scheme is compared with.
#include "schemes/dense/dense.hpp"

#include "map/dense_mapper.hpp"

namespace sparsecim {

Scheme dense_scheme() {
    Scheme s;
    s.name = "dense";
    s.summary = "baseline: int8 per-channel PTQ, every weight stored, every OU op issued";
    s.prepare = [](const Graph& g, const Tensor& calib, const SchemeContext& ctx) {
        return quantize(g, calib, ctx.quant);
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        return map_dense(layer.weights, ctx.hw);
    };
    return s;
}

}  // namespace sparsecim
