// Parsing of the `pattern` scheme's parameters.
#include "schemes/pattern/pattern_params.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace sparsecim {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& why) {
    throw Error("--param pattern." + key + ": " + why);
}

// A number in [0, 1) (or [0, 1] when `closed`).
double fraction(const nlohmann::json& v, const std::string& key, bool closed) {
    const char* range = closed ? "must be a number in [0, 1]" : "must be a number in [0, 1)";
    if (!v.is_number()) bad(key, range);
    const double x = v.get<double>();
    if (!(x >= 0.0) || (closed ? !(x <= 1.0) : !(x < 1.0))) bad(key, range);
    return x;
}

}  // namespace

const char* placement_name(PlacementMethod m) {
    switch (m) {
        case PlacementMethod::FirstFit:
            return "ffd";
        case PlacementMethod::BestFit:
            return "bfd";
        case PlacementMethod::Split:
            return "split";
        case PlacementMethod::FirstFitSplit:
            return "ffd_split";
    }
    return "?";
}

std::vector<PlacementMethod> all_placements() {
    return {PlacementMethod::FirstFit, PlacementMethod::BestFit, PlacementMethod::Split,
            PlacementMethod::FirstFitSplit};
}

PatternParams parse_pattern_params(const nlohmann::json& params) {
    PatternParams p;
    if (params.is_null()) return p;
    if (!params.is_object()) throw Error("--param pattern: parameters must be key=value pairs");
    bool connectivity_given = false;
    for (const auto& [key, v] : params.items()) {
        if (key == "k") {
            if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 9)
                bad(key, "must be an integer 1..9");
            p.k = v.get<int>();
        } else if (key == "library_size") {
            if (v.is_string() && v.get<std::string>() == "auto") {
                p.library_size = 0;
            } else {
                if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 512)
                    bad(key, "must be an integer 1..512 or \"auto\"");
                p.library_size = v.get<int>();
            }
        } else if (key == "retention") {
            p.retention = fraction(v, key, true);
            if (p.retention <= 0.0) bad(key, "must be a number in (0, 1]");
        } else if (key == "connectivity") {
            p.connectivity = fraction(v, key, false);
            connectivity_given = true;
        } else if (key == "target_sparsity") {
            p.target_sparsity = fraction(v, key, false);
        } else if (key == "placement") {
            const std::string s = v.is_string() ? v.get<std::string>() : "";
            bool found = false;
            for (PlacementMethod m : all_placements())
                if (s == placement_name(m)) {
                    p.placement = m;
                    found = true;
                }
            if (!found) bad(key, "must be one of ffd, bfd, split, ffd_split");
        } else if (key == "skip_zero") {
            if (!v.is_boolean()) bad(key, "must be true or false");
            p.skip_zero = v.get<bool>();
        } else if (key == "exempt") {
            const std::string s = v.is_string() ? v.get<std::string>() : "";
            if (s != "ends" && s != "none") bad(key, "must be one of ends, none");
            p.exempt = s;
        } else {
            bad(key,
                "unknown parameter (known: k, library_size, retention, connectivity, "
                "target_sparsity, placement, skip_zero, exempt)");
        }
    }
    if (connectivity_given && p.target_sparsity)
        bad("target_sparsity", "cannot be combined with pattern.connectivity");
    return p;
}

}  // namespace sparsecim
