// Scheme: one published way of squeezing sparsity into crossbars, as a small set of values: a
// `prepare` step (its quantizer and pruner: float Graph -> QuantModel) and a `map` step (one
// layer's integer weights -> Mapping). The simulator and the report know nothing of schemes.
// Schemes are listed in one explicit table (registry.cpp), never self-registered.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.hpp"
#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "model/graph.hpp"
#include "quant/ptq.hpp"
#include "quant/quant_model.hpp"
#include "train/train.hpp"

namespace sparsecim {

struct SchemeContext {
    HwConfig hw;
    QuantOptions quant;
    nlohmann::json params = nlohmann::json::object();  // the scheme's own parameters
    uint64_t seed = 1;
};

struct Scheme {
    std::string name;
    std::string summary;
    std::function<QuantModel(const Graph& g, const Tensor& calib, const SchemeContext& ctx)>
        prepare;
    std::function<Mapping(const QuantLayer& layer, const SchemeContext& ctx)> map;
    // Optional: the scheme's training regulariser, used when its model is finetuned with its
    // masks (evaluate --finetune): given the float graph to finetune and the masks, the hook
    // for TrainOptions::regularizer. Empty: cross-entropy only.
    std::function<RegularizerFn(const Graph& g, const MaskSet& masks, const SchemeContext& ctx)>
        regularizer;
};

const std::vector<Scheme>& scheme_registry();
// Throws Error listing the known schemes when `name` is not one of them.
const Scheme& find_scheme(const std::string& name);

}  // namespace sparsecim
