// SME's mapper: inter-crossbar bit slicing (bit k of every weight magnitude on crossbar plane k,
// 1 bit per cell, sign by a W+/W- column pair) and bit-wise squeeze-out (the non-empty rows of
// sparse high planes moved into free rows of lower planes with an input shift of k - j bits,
// until the top planes' crossbars are empty and dropped).
#pragma once

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "model/weight_matrix.hpp"
#include "schemes/sme/sme_params.hpp"

namespace sparsecim {

// Maps one layer. `in_signed`: the layer's inputs are signed (then every OU op keeps one input
// shift, or squeeze-out is skipped, per p.signed_inputs). Throws Error if the crossbar has fewer
// than 2 columns.
Mapping map_sme(const WeightMatrix& w, const HwConfig& hw, const SmeParams& p, bool in_signed);

}  // namespace sparsecim
