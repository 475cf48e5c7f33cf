// Layers a scheme leaves dense. The first weight layer (few weights, every input pixel) and the
// last (the classifier) hold about 1% of a conv net's weights but cost accuracy out of proportion
// when pruned; keeping them dense is common practice (Han et al. 2015, PatDNN) and an option of
// each pruning scheme (`exempt`: "ends" or "none"). An exempt layer keeps every weight, is marked
// QuantLayer::exempt, and its mapper maps it without pruning metadata.
#pragma once

#include <cstddef>
#include <string>

#include "quant/quant_model.hpp"
#include "schemes/param_table.hpp"

namespace sparsecim {

// Whether weight layer `index` of `count` (graph order) is exempt under `mode` ("ends" | "none").
bool exempt_layer(size_t index, size_t count, const std::string& mode);

// Sets QuantLayer::exempt on the layers `mode` exempts.
void mark_exempt(QuantModel& qm, const std::string& mode);

// The `exempt` row every pruning scheme's parameter table shares; P has `std::string exempt`.
template <class P>
ParamRow<P> exempt_param_row() {
    return {"exempt", "", &P::exempt, choice({"ends", "none"}),
            "layers left dense: ends = the first and the last weight layer, none = every layer "
            "pruned"};
}

}  // namespace sparsecim
