// Parsing of the `pattern` scheme's parameters.
#include "schemes/pattern/pattern_params.hpp"

#include <nlohmann/json.hpp>

#include "schemes/exempt.hpp"

namespace sparsecim {

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

const ParamTable<PatternParams>& pattern_param_table() {
    using P = PatternParams;
    static const ParamTable<P> table = [] {
        std::vector<std::string> names;
        for (PlacementMethod m : all_placements()) names.push_back(placement_name(m));
        return ParamTable<P>{
            {"k", "entries", &P::k, int_in(1, 9), "non-zero entries of every 3x3 pattern"},
            {"library_size", "patterns", &P::library_size, int_in(0, 512, "auto"),
             "patterns kept per layer; auto = the smallest library meeting retention"},
            {"retention", "", &P::retention, number_in(0.0, 1.0, Ends::LoOpen),
             "auto library: fraction of the top-k masks' squared L2 norm kept"},
            {"connectivity", "", &P::connectivity, number_in(0.0, 1.0, Ends::HiOpen),
             "fraction of each layer's kernels removed (smallest L2 norm)"},
            {"target_sparsity", "", &P::target_sparsity, optional_number_in(0.0, 1.0, Ends::HiOpen),
             "when set: per 3x3 layer, the connectivity that makes the layer reach this sparsity "
             "(cannot be combined with connectivity)"},
            {"placement", "", enum_member(&P::placement, all_placements()), choice(names),
             "kernel placement: first fit, best fit (decreasing), split, or first fit then split"},
            {"skip_zero", "", &P::skip_zero, flag(),
             "the input preprocessing unit skips all-zero OU bit-planes"},
            exempt_param_row<P>(),
        };
    }();
    return table;
}

PatternParams parse_pattern_params(const nlohmann::json& params) {
    const PatternParams p = parse_params("pattern", pattern_param_table(), params);
    if (p.target_sparsity && params.contains("connectivity"))
        param_error("pattern", "target_sparsity", "cannot be combined with pattern.connectivity");
    return p;
}

}  // namespace sparsecim
