// The sme parameter table, and S's bound by the weight bits.
#include "schemes/sme/sme_params.hpp"

#include <nlohmann/json.hpp>

namespace sparsecim {

const ParamTable<SmeParams>& sme_param_table() {
    using P = SmeParams;
    static const ParamTable<P> table = {
        {"S", "bits", &P::S, int_in(1, 16),
         "window size: a weight magnitude is a sum of powers of two whose exponents lie in S "
         "consecutive integers; at most the weight bits"},
        {"source", "", &P::source, choice({"float", "int8"}),
         "what the window quantizer rounds: float (the float weight / the grid's scale, one "
         "rounding) or int8 (the int8 PTQ weight, rounded again)"},
        {"scale", "", &P::scale, choice({"channel", "layer"}),
         "the grid: channel (one scale per output column) or layer (one scale per layer, a fixed "
         "point grid as in the deck)"},
        {"range", "", &P::range, choice({"window", "int8"}),
         "where a grid's largest |w| lands: window (the window's top level, 112 for S=3: nothing "
         "clipped) or int8 (127 as in int8 PTQ, saturated to the window's top level)"},
        {"squeeze", "", &P::squeeze, flag(),
         "bit-wise squeeze-out: move the non-empty rows of sparse high planes into free rows of "
         "lower planes; false = plain bit slicing"},
        {"signed_inputs", "", &P::signed_inputs, choice({"group", "skip"}),
         "layers fed with signed inputs: group (squeezed, rows grouped by input shift) or skip "
         "(mapped without squeeze-out)"},
        {"shift_at", "", &P::shift_at, choice({"input", "output"}),
         "where a moved row's 2^(k-j) weight is applied: input (a shifter per moved row) or "
         "output (the OU op's column shift)"},
        {"budget", "crossbars", &P::budget, int_at_least(0, 1024, "lossless"),
         "lossy squeeze-out: at most this many crossbars per crossbar group; the (row, plane) "
         "pairs carrying the least squared weight are dropped (their bits cleared) until the "
         "group fits; 0 = lossless"},
        {"group_rows", "rows", &P::group_rows, int_at_least(1, 1 << 20),
         "budget: inputs per crossbar group (the crossbar's rows)"},
        {"group_outputs", "outputs", &P::group_outputs, int_at_least(1, 1 << 20),
         "budget: outputs per crossbar group (half the crossbar's columns: W+/W- pairs)"},
    };
    return table;
}

SmeParams parse_sme_params(const nlohmann::json& params, int w_bits) {
    // S is bounded by the weight bits, which the table does not know: checked first, as the
    // keys are read in order and "S" sorts before every other key.
    if (params.is_object() && params.contains("S")) {
        const nlohmann::json& v = params.at("S");
        if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > w_bits)
            param_error("sme", "S",
                        "must be an integer in 1.." + std::to_string(w_bits) +
                            " (weight bits), got " + v.dump());
    }
    return parse_params("sme", sme_param_table(), params);
}

}  // namespace sparsecim
