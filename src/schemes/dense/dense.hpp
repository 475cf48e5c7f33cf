// The dense baseline scheme: per-channel symmetric PTQ, no pruning, dense mapping.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "schemes/param_table.hpp"
#include "schemes/scheme.hpp"

namespace sparsecim {

struct DenseParams {
    // Skip the OU ops whose input bits are all zero. Off for the run's dense; on in the baseline
    // of a scheme that skips them itself, so that its ratios do not count the skipping as its own.
    bool skip_zero = false;

    friend bool operator==(const DenseParams&, const DenseParams&) = default;
};

const ParamTable<DenseParams>& dense_param_table();
DenseParams parse_dense_params(const nlohmann::json& params);

Scheme dense_scheme();

}  // namespace sparsecim
