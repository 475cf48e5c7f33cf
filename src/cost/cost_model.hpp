// Cost model: prices Stats (action counts) and a mapping's footprint with the per-action energy
// and per-component area of an HwConfig. Nothing here simulates; it only multiplies and adds.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

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
// The same from the mapping's cell census (cell_census(m, &weights)), when the caller has it.
Footprint footprint(const Mapping& m, const CellCensus& census);

// One priced quantity: `count` occurrences of an energy event the simulator counted, or `count`
// instances of an area unit a mapping occupies, and the Cost component it adds to. A Cost is
// count x unit price summed by component in list order, whichever table gives the unit prices
// (the HwConfig here, Accelergy's tables in cost/accelergy.hpp), so two tables with the same
// prices give the same Cost bit for bit.
struct CostItem {
    // Events: cell_read, adc_conversion, driver_activation, shift_add, digital_add,
    // buffer_byte, index_bit, and each scheme event by its component name (Stats::events).
    // Units: crossbar, adc, row_driver, shift_add, buffer, index_kbit, and each scheme unit
    // (Footprint::units). docs/accelergy.md lists them with what they count.
    std::string name;
    std::string component;  // Cost component: cells, adc, dac, shift_add, digital, buffer,
                            // index, crossbars, or a hw.components name
    std::vector<std::pair<std::string, int64_t>> args;  // what else sets the price (cell_read:
                                                        // cell_bits, and state when counted)
    double count = 0.0;
};

struct CostItems {
    std::vector<CostItem> energy, area;
    uint64_t cycles = 0;
};

// The energy events of `stats` and the area units of `fp`, on crossbars of `hw`'s shape (cell
// bits, rows, ADCs per crossbar). Every built-in event and unit is listed, counted or not.
CostItems cost_items(const Stats& stats, const Footprint& fp, const HwConfig& hw);

// Unit prices: pJ per event, um^2 per unit. Each throws Error naming the table's field when the
// table has no price for an item.
struct PriceTable {
    std::function<double(const CostItem&)> energy_pj, area_um2;
};
// The prices of an HwConfig (docs/hardware.md).
PriceTable hw_prices(const HwConfig& hw);

// Items with a zero count are not looked up (their component still appears, at 0).
Cost price(const CostItems& items, const PriceTable& prices, double clock_mhz);
// price(cost_items(stats, fp, hw), hw_prices(hw), hw.clock_mhz).
Cost price(const Stats& stats, const Footprint& fp, const HwConfig& hw);
nlohmann::json to_json(const Cost& c);

}  // namespace sparsecim
