// The parameters of scheme `sme` (--param sme.KEY=VALUE), parsed and validated from the scheme
// context's JSON. Every key has a default; an unknown key or a bad value is an Error naming it.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "schemes/param_table.hpp"

namespace sparsecim {

struct SmeParams {
    // Window size: a weight magnitude is a sum of powers of two whose exponents lie in S
    // consecutive integers (1 .. w_bits).
    int S = 3;
    // What the window quantizer rounds: "float" (the float weight divided by the grid's scale,
    // one rounding) or "int8" (the int8 PTQ weight, rounded again).
    std::string source = "float";
    // The grid: "channel" = one scale per output column (like int8 PTQ); "layer" = one scale
    // for the whole layer, a fixed point grid as in the deck's example, so only the layer's
    // largest weights reach the top planes.
    std::string scale = "channel";
    // Where a group's (column's or layer's) largest |w| lands: "window" = the top level the
    // window can represent (112 = 0b1110000 for S=3 on 7 magnitude bits), so no weight is
    // clipped; "int8" = 2^(w_bits-1)-1 as in int8 PTQ, so the largest weights saturate to the
    // window's top level (127 -> 112 for S=3).
    std::string range = "window";
    // Bit-wise squeeze-out: move the non-empty rows of sparse high planes into free rows of lower
    // planes (with an input shift) until the top planes' crossbars are dropped. false = plain
    // inter-crossbar bit slicing, every row in place.
    bool squeeze = true;
    // Layers fed with signed inputs: "group" squeezes them too (rows grouped so that every OU op
    // has one input shift, as the simulator requires for signed inputs); "skip" maps them
    // without squeeze-out.
    std::string signed_inputs = "group";
    // Where a moved row's 2^(k-j) weight is applied: "input" (RowInput.shift, a shifter per
    // moved row) or "output" (the OU op's column shift, a variable shift in the shift-and-add).
    std::string shift_at = "input";
    // Lossy squeeze-out (the deck's tailing rows "dropped out" within a crossbar budget): at most
    // `budget` crossbars per crossbar group of `group_rows` inputs x `group_outputs` outputs
    // (0 = lossless, every non-empty row kept). Where a group's non-empty (row, plane) pairs
    // exceed budget x group_rows, the pairs whose bits carry the least squared weight are
    // cleared. The group geometry is a quantizer parameter (prepare does not see the hardware);
    // it should match the crossbar (rows, cols / 2), which the mapper checks.
    int budget = 0;
    int group_rows = 128;
    int group_outputs = 64;

    friend bool operator==(const SmeParams&, const SmeParams&) = default;
};

// One row per key: parsing, `sparsecim params sme` and the docs read it. S's table range is the
// widest weight precision (16); parse_sme_params bounds it by the run's weight bits.
const ParamTable<SmeParams>& sme_param_table();

// Throws Error "--param sme.KEY: ..." for an unknown key or a bad value; S must lie in 1..w_bits.
SmeParams parse_sme_params(const nlohmann::json& params, int w_bits);

}  // namespace sparsecim
