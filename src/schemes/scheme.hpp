// Scheme: one published way of squeezing sparsity into crossbars, as a small set of values: a
// `prepare` step (its quantizer and pruner: float Graph -> QuantModel) and a `map` step (one
// layer's integer weights -> Mapping). The simulator and the report know nothing of schemes.
// Schemes are listed in one explicit table (registry.cpp), never self-registered.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.hpp"
#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "model/graph.hpp"
#include "quant/ptq.hpp"
#include "quant/quant_model.hpp"
#include "schemes/param_table.hpp"
#include "train/train.hpp"

namespace sparsecim {

struct SchemeContext {
    HwConfig hw;
    QuantOptions quant;
    nlohmann::json params = nlohmann::json::object();  // the scheme's own parameters
    uint64_t seed = 1;
    // Set only for a scheme that reads faults (Scheme::reads_faults) mapped onto real devices:
    // the device seed of the crossbars this layer goes to, so its mapper can place around the
    // stuck cells ChipFaults(hw, cell_bits, *chip_seed) gives (the ones the simulation applies).
    std::optional<uint64_t> chip_seed;
};

struct Scheme {
    std::string name;
    std::string summary;
    // prepare may depend on ctx.quant, ctx.params and ctx.seed only, not on other hardware
    // fields: evaluate() passes the default hardware with the config's weight and activation bits,
    // so one quantized model serves every hardware variant of a sweep (pipeline/eval_cache.hpp).
    std::function<QuantModel(const Graph& g, const Tensor& calib, const SchemeContext& ctx)>
        prepare;
    std::function<Mapping(const QuantLayer& layer, const SchemeContext& ctx)> map;
    // Optional: throws Error when ctx.params are not valid for the scheme (unknown key, value out
    // of range), before anything runs; sweeps check every point's parameters up front.
    std::function<void(const SchemeContext& ctx)> check_params;
    // Optional: the scheme's training regulariser, used when its model is finetuned with its
    // masks (evaluate --finetune): given the float graph to finetune and the masks, the hook
    // for TrainOptions::regularizer. Empty: cross-entropy only.
    std::function<RegularizerFn(const Graph& g, const MaskSet& masks, const SchemeContext& ctx)>
        regularizer;
    // Optional: the scheme's `--param` keys as plain data (its parameter table: key, type, unit,
    // default, range, meaning), for `sparsecim params` and the docs. Empty: no parameters.
    std::function<std::vector<ParamInfo>()> params;
    // Optional: the hardware the scheme's mapper really uses, derived from the run's when the
    // mapper departs from it (sme stores one weight bit per cell). The scheme is simulated and
    // priced on it, and so is the dense baseline its ratios are against. Empty: the run's.
    std::function<HwConfig(const HwConfig& run_hw, const SchemeContext& ctx)> hw_used;
    // Optional: whether the scheme skips the OU ops whose input bits are all zero, an input-side
    // feature its dense baseline then gets too (dense's skip_zero). Empty: it does not.
    std::function<bool(const SchemeContext& ctx)> skips_zero_inputs;
    // Optional: whether the mapper places around the chip's known stuck cells (csr fault_aware).
    // On faulty devices each Monte Carlo trial, a chip of its own, is then mapped again with its
    // SchemeContext::chip_seed. Empty: it does not.
    std::function<bool(const SchemeContext& ctx)> reads_faults;
    // Whether the scheme's savings come from zero weights (pruning). False for a bit-level
    // scheme (sme saves zero bits): its sparsity_utilization, cells saved per zero weight, is
    // then not a figure of the scheme and is not reported.
    bool uses_zero_weights = true;
};

// The registered schemes, in registry order. A deque: references stay valid as schemes are added.
const std::deque<Scheme>& scheme_registry();
// Adds a scheme after the built-in ones (a plug-in, or a test's throwaway scheme); call it before
// anything runs. Throws Error when the name is empty or already taken.
void register_scheme(Scheme s);
// Throws Error listing the known schemes when `name` is not one of them.
const Scheme& find_scheme(const std::string& name);

}  // namespace sparsecim
