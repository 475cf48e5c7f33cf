// Cost model: prices Stats (action counts) and a mapping's footprint with the per-action energy
// and per-component area of an HwConfig. Nothing here simulates; it only multiplies and adds.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"
#include "sim/stats.hpp"

namespace sparsecim {

// What a mapping occupies, independent of the inputs it is run on.
struct Footprint {
    int64_t crossbars = 0;
    int64_t stored_cells = 0;
    int64_t index_bits = 0;
    std::map<std::string, int64_t> units;  // scheme periphery units, by component name
    int64_t crossbar_cells = 0;            // rows x cols of every crossbar
    int64_t weight_cells = 0;              // cells holding a slice of a non-zero weight
    // weight_cells / crossbar_cells: how much of the arrays the non-zero weights use (a
    // depthwise conv mapped densely uses little).
    double array_utilization() const;
};

struct Cost {
    std::map<std::string, double> energy_pj;  // by component: cells, adc, dac, shift_add,
                                              // digital, buffer, index, + hw.components
    std::map<std::string, double> area_um2;   // by component: crossbars, adc, dac, shift_add,
                                              // buffer, index
    double total_energy_pj() const;
    double total_area_um2() const;
    double latency_ns = 0.0;  // cycles / clock
};

// The footprint of mapping `m` of the weight matrix `weights`.
Footprint footprint(const Mapping& m, const WeightMatrix& weights);

Cost price(const Stats& stats, const Footprint& fp, const HwConfig& hw);
nlohmann::json to_json(const Cost& c);

}  // namespace sparsecim
