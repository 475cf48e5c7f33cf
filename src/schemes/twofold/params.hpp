// twofold's parameters (`--param twofold.KEY=VALUE`), each with its default; parsing rejects an
// unknown key or a bad value with an Error naming `--param twofold.KEY`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "schemes/param_table.hpp"

namespace sparsecim {

enum class SignCode {
    Column,  // the sign bit alone in a column weighted -2^(b-1); the low b-1 bits in cell pairs
    Plane,   // all b bits in cell pairs (the top pair unsigned) + a sign-plane column of the
             // top bit weighted -2^b
};

// Groups of the group lasso (the deck writes one norm per layer).
enum class LassoGroup { Layer, Column, Row };

struct TwofoldParams {
    double sparsity = 0.5;       // network-level: fraction of each layer's weights the LFSR prunes
    int bits = 8;                // b: weight bits, two's complement
    int lfsr_width = 0;          // 0 = per layer, the smallest width addressing the layer
    std::vector<int> lfsr_taps;  // empty = maximal-length taps for the width (XAPP052)
    uint64_t lfsr_seed = 1;      // base seed; each layer's register starts from a state derived
                                 // from it and the layer's node index
    SignCode sign = SignCode::Column;
    bool gating = true;  // the regenerated mask gates wordlines/bitlines of all-pruned OU parts
    // Finetuning (evaluate --finetune): J = CE + lambda x Reg_Net + beta x Reg_Bit.
    double lambda = 1e-4;
    double beta = 1e-3;
    LassoGroup lasso_group = LassoGroup::Layer;
    // Layers left dense (schemes/exempt.hpp): "ends" = the first and the last weight layer,
    // "none" = every layer pruned.
    std::string exempt = "ends";

    friend bool operator==(const TwofoldParams&, const TwofoldParams&) = default;
};

// One row per key: parsing, `sparsecim params twofold` and the docs read it.
const ParamTable<TwofoldParams>& twofold_param_table();

// `default_seed` (the run's --seed) is the lfsr_seed when the key is absent.
TwofoldParams parse_twofold_params(const nlohmann::json& params, uint64_t default_seed);

// One line per key, "name (default): meaning", from twofold_param_table().
std::vector<std::string> twofold_param_help();

}  // namespace sparsecim
