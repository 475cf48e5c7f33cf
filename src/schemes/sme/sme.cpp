// The scheme value: SME's quantizer as prepare, SME's bit-slicing + squeeze-out mapper as map.
#include "schemes/sme/sme.hpp"

#include "schemes/sme/sme_mapper.hpp"
#include "schemes/sme/sme_params.hpp"
#include "schemes/sme/sme_quant.hpp"

namespace sparsecim {

Scheme sme_scheme() {
    Scheme s;
    s.name = "sme";
    s.uses_zero_weights = false;
    s.summary =
        "windowed power-of-two weights (S bits), one crossbar per weight bit, sparse high "
        "planes squeezed into lower planes with input shifts";
    s.prepare = [](const Graph& g, const Tensor& calib, const SchemeContext& ctx) {
        return sme_quantize(g, calib, ctx.quant, parse_sme_params(ctx.params, ctx.quant.w_bits));
    };
    s.map = [](const QuantLayer& layer, const SchemeContext& ctx) {
        return map_sme(layer.weights, ctx.hw, parse_sme_params(ctx.params, layer.weights.w_bits),
                       layer.in_signed);
    };
    s.check_params = [](const SchemeContext& ctx) {
        parse_sme_params(ctx.params, ctx.quant.w_bits);
    };
    s.params = [] { return param_infos(sme_param_table()); };
    // One weight bit per cell: 1-bit cells whose two states read like the run's lowest and
    // highest state (as configs/hw/sme.yaml prices a 2-bit cell's HRS and LRS), in energy and in
    // device variation.
    s.hw_used = [](const HwConfig& run_hw, const SchemeContext&) {
        HwConfig hw = run_hw;
        if (hw.cell_bits == 1) return hw;
        hw.cell_bits = 1;
        if (!hw.cell_state_energy_pj.empty())
            hw.cell_state_energy_pj = {hw.cell_state_energy_pj.front(),
                                       hw.cell_state_energy_pj.back()};
        if (!hw.state_sigma.empty())
            hw.state_sigma = {hw.state_sigma.front(), hw.state_sigma.back()};
        if (!hw.state_level.empty()) {  // levels in the 1-bit cell's one step
            const double top = static_cast<double>(hw.state_level.size() - 1);
            hw.state_level = {hw.state_level.front() / top, hw.state_level.back() / top};
        }
        return hw;
    };
    return s;
}

}  // namespace sparsecim
