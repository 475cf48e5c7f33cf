// twofold's parameter table, and the checks across parameters.
#include "schemes/twofold/params.hpp"

#include <nlohmann/json.hpp>

#include "schemes/exempt.hpp"

namespace sparsecim {

const ParamTable<TwofoldParams>& twofold_param_table() {
    using P = TwofoldParams;
    static const ParamTable<P> table = {
        {"sparsity", "", &P::sparsity, number_in(0.0, 1.0, Ends::HiOpen),
         "network-level: fraction of each layer's weights pruned by the LFSR"},
        {"bits", "bits", &P::bits, int_in(2, 16),
         "weight bits b of the scaled two's complement quantization"},
        {"lfsr_width", "bits", &P::lfsr_width, int_in(0, 32),
         "LFSR bits, 2..32; 0 = per layer the smallest width addressing it"},
        {"lfsr_taps", "", &P::lfsr_taps, int_list(1, 32),
         "tap positions, e.g. [16,15,13,4], including lfsr_width; needs lfsr_width; "
         "[] = maximal-length taps for the width (XAPP052)"},
        {"lfsr_seed", "", &P::lfsr_seed, int_at_least(1, std::numeric_limits<int64_t>::max()),
         "base seed of every layer's LFSR (each layer starts from a state derived from it and "
         "the layer's node index); absent: the run's --seed"},
        {"sign", "", enum_member(&P::sign, {SignCode::Column, SignCode::Plane}),
         choice({"column", "plane"}),
         "column: the sign bit alone in a -2^(b-1) column; plane: bit pairs + a sign plane"},
        {"gating", "", &P::gating, flag(),
         "the regenerated mask gates wordlines/bitlines whose weights in an OU are all pruned "
         "(false: pruned weights are stored as zeros, no LFSR at inference)"},
        {"lambda", "", &P::lambda, number_at_least(0.0),
         "finetuning: weight of the group lasso on the kept weights"},
        {"beta", "", &P::beta, number_at_least(0.0),
         "finetuning: weight of the layer-size-weighted bit-plane ones penalty"},
        {"lasso_group", "",
         enum_member(&P::lasso_group, {LassoGroup::Layer, LassoGroup::Column, LassoGroup::Row}),
         choice({"layer", "column", "row"}),
         "finetuning: group lasso groups: layer (the deck), column (one output channel) or row "
         "(one crossbar row)"},
        exempt_param_row<P>(),
    };
    return table;
}

std::vector<std::string> twofold_param_help() {
    std::vector<std::string> out;
    for (const ParamInfo& i : param_infos(twofold_param_table()))
        out.push_back(i.key + " (" + i.default_text + "): " + i.description + "; " + i.range);
    return out;
}

TwofoldParams parse_twofold_params(const nlohmann::json& params, uint64_t default_seed) {
    TwofoldParams start;
    start.lfsr_seed = default_seed == 0 ? 1 : default_seed;
    const TwofoldParams p = parse_params("twofold", twofold_param_table(), params, start);
    if (p.lfsr_width == 1) param_error("twofold", "lfsr_width", "must be 0 (per layer) or 2..32");
    if (!p.lfsr_taps.empty()) {
        if (p.lfsr_width == 0) param_error("twofold", "lfsr_taps", "needs an explicit lfsr_width");
        bool top = false;
        for (int t : p.lfsr_taps) {
            if (t > p.lfsr_width)
                param_error("twofold", "lfsr_taps",
                            "tap " + std::to_string(t) + " exceeds lfsr_width " +
                                std::to_string(p.lfsr_width));
            top = top || t == p.lfsr_width;
        }
        if (!top) param_error("twofold", "lfsr_taps", "must include the top position lfsr_width");
    }
    return p;
}

}  // namespace sparsecim
