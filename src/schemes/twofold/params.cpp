// Parsing of twofold's --param keys.
#include "schemes/twofold/params.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace sparsecim {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
    throw Error("--param twofold." + key + ": " + why);
}

int64_t get_int(const nlohmann::json& v, const std::string& key, int64_t lo, int64_t hi) {
    if (!v.is_number_integer())
        bad(key, "must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi)
        bad(key, "must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
    return x;
}

}  // namespace

std::vector<std::string> twofold_param_help() {
    return {
        "sparsity (0.5): fraction of each layer's weights pruned by the LFSR, 0 <= x < 1",
        "bits (8): weight bits b of the scaled two's complement quantization, 2..16",
        "lfsr_width (0): LFSR bits, 2..32; 0 = per layer the smallest width addressing it",
        "lfsr_taps (maximal-length): tap positions, e.g. [16,15,13,4]; needs lfsr_width",
        "lfsr_seed (the run's --seed): base seed of every layer's LFSR, >= 1",
        "sign (column): 'column' = sign bit alone in a -2^(b-1) column, 'plane' = bit pairs + "
        "sign plane",
        "gating (true): the regenerated mask gates wordlines/bitlines whose weights in an OU are "
        "all pruned (false: pruned weights are stored as zeros, no LFSR at inference)",
        "lambda (1e-4): finetuning, weight of the group lasso on the kept weights, >= 0",
        "beta (1e-3): finetuning, weight of the layer-size-weighted bit-plane ones penalty, >= 0",
        "lasso_group (layer): finetuning, group lasso groups: 'layer' (the deck), 'column' (one "
        "output channel) or 'row' (one crossbar row)",
        "exempt (ends): 'ends' keeps the first and last weight layers dense (LFSR off), 'none' "
        "prunes every layer",
    };
}

TwofoldParams parse_twofold_params(const nlohmann::json& params, uint64_t default_seed) {
    TwofoldParams p;
    p.lfsr_seed = default_seed == 0 ? 1 : default_seed;
    if (!params.is_object()) throw Error("--param twofold: parameters must be key=value pairs");
    for (const auto& [key, v] : params.items()) {
        if (key == "sparsity") {
            if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0.0 ||
                v.get<double>() >= 1.0)
                bad(key, "must be a number with 0 <= sparsity < 1");
            p.sparsity = v.get<double>();
        } else if (key == "bits") {
            p.bits = static_cast<int>(get_int(v, key, 2, 16));
        } else if (key == "lfsr_width") {
            const int64_t w = get_int(v, key, 0, 32);
            if (w == 1) bad(key, "must be 0 (per layer) or 2..32");
            p.lfsr_width = static_cast<int>(w);
        } else if (key == "lfsr_taps") {
            if (!v.is_array() || v.empty())
                bad(key, "must be a list of tap positions, e.g. [16,15,13,4]");
            for (const auto& t : v) p.lfsr_taps.push_back(static_cast<int>(get_int(t, key, 1, 32)));
        } else if (key == "lfsr_seed") {
            p.lfsr_seed = static_cast<uint64_t>(get_int(v, key, 1, INT64_MAX));
        } else if (key == "sign") {
            const std::string s = v.is_string() ? v.get<std::string>() : "";
            if (s == "column")
                p.sign = SignCode::Column;
            else if (s == "plane")
                p.sign = SignCode::Plane;
            else
                bad(key, "must be 'column' or 'plane'");
        } else if (key == "gating") {
            if (!v.is_boolean()) bad(key, "must be true or false");
            p.gating = v.get<bool>();
        } else if (key == "lambda" || key == "beta") {
            if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0.0)
                bad(key, "must be a number >= 0");
            (key == "lambda" ? p.lambda : p.beta) = v.get<double>();
        } else if (key == "exempt") {
            const std::string s = v.is_string() ? v.get<std::string>() : "";
            if (s != "ends" && s != "none") bad(key, "must be one of ends, none");
            p.exempt = s;
        } else if (key == "lasso_group") {
            const std::string s = v.is_string() ? v.get<std::string>() : "";
            if (s == "layer")
                p.lasso_group = LassoGroup::Layer;
            else if (s == "column")
                p.lasso_group = LassoGroup::Column;
            else if (s == "row")
                p.lasso_group = LassoGroup::Row;
            else
                bad(key, "must be 'layer', 'column' or 'row'");
        } else {
            bad(key,
                "unknown parameter (known: sparsity, bits, lfsr_width, lfsr_taps, lfsr_seed, "
                "sign, gating, lambda, beta, lasso_group, exempt)");
        }
    }
    if (!p.lfsr_taps.empty()) {
        if (p.lfsr_width == 0) bad("lfsr_taps", "needs an explicit lfsr_width");
        bool top = false;
        for (int t : p.lfsr_taps) {
            if (t > p.lfsr_width)
                bad("lfsr_taps", "tap " + std::to_string(t) + " exceeds lfsr_width " +
                                     std::to_string(p.lfsr_width));
            top = top || t == p.lfsr_width;
        }
        if (!top) bad("lfsr_taps", "must include the top position lfsr_width");
    }
    return p;
}

}  // namespace sparsecim
