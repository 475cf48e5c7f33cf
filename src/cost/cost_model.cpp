// Cost model: energy = action counts (Stats) x per-action energies, area = footprint x per-unit
// areas, latency = cycles / clock, all from one HwConfig. See docs/hardware.md for the formulas.
#include "cost/cost_model.hpp"

#include <memory>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace sparsecim {

namespace {

double sum_values(const std::map<std::string, double>& m) {
    double total = 0.0;
    for (const auto& [name, value] : m) total += value;
    return total;
}

double d(uint64_t v) {
    return static_cast<double>(v);
}
double d(int64_t v) {
    return static_cast<double>(v);
}

}  // namespace

double Footprint::array_utilization() const {
    return crossbar_cells > 0
               ? static_cast<double>(weight_cells) / static_cast<double>(crossbar_cells)
               : 0.0;
}

double Cost::total_energy_pj() const {
    return sum_values(energy_pj);
}
double Cost::total_area_um2() const {
    return sum_values(area_um2);
}

Footprint footprint(const Mapping& m, const WeightMatrix& weights) {
    return footprint(m, cell_census(m, &weights));
}

Footprint footprint(const Mapping& m, const CellCensus& census) {
    Footprint fp;
    fp.crossbars = static_cast<int64_t>(m.tiles.size());
    fp.stored_cells = census.stored;
    fp.index_bits = m.total_index_bits();
    fp.units = m.units;
    fp.crossbar_cells = m.crossbar_cells();
    fp.weight_cells = census.weight;
    return fp;
}

CostItems cost_items(const Stats& stats, const Footprint& fp, const HwConfig& hw) {
    if (fp.crossbars < 0 || fp.stored_cells < 0 || fp.index_bits < 0) {
        throw Error("cost model: negative footprint (crossbars " + std::to_string(fp.crossbars) +
                    ", stored cells " + std::to_string(fp.stored_cells) + ", index bits " +
                    std::to_string(fp.index_bits) + ")");
    }
    CostItems items;
    auto event = [&](const std::string& name, const std::string& component, double count) {
        items.energy.push_back({name, component, {}, count});
    };
    const std::pair<std::string, int64_t> bits{"cell_bits", hw.cell_bits};
    if (stats.cell_reads_by_state.empty()) {
        items.energy.push_back({"cell_read", "cells", {bits}, d(stats.cell_reads)});
    } else {
        for (size_t s = 0; s < stats.cell_reads_by_state.size(); ++s)
            items.energy.push_back({"cell_read",
                                    "cells",
                                    {bits, {"state", static_cast<int64_t>(s)}},
                                    d(stats.cell_reads_by_state[s])});
    }
    event("adc_conversion", "adc", d(stats.adc_conversions));
    event("driver_activation", "dac", d(stats.driver_activations));
    event("shift_add", "shift_add", d(stats.sa_ops));
    event("digital_add", "digital", d(stats.digital_adds));
    event("buffer_byte", "buffer", d(stats.buffer_bytes));
    event("index_bit", "index", d(stats.index_bits_read));
    for (const auto& [name, n] : stats.events) event(name, name, d(n));

    const double xbars = d(fp.crossbars);
    auto unit = [&](const std::string& name, const std::string& component, double count) {
        items.area.push_back({name, component, {}, count});
    };
    unit("crossbar", "crossbars", xbars);
    unit("adc", "adc", xbars * hw.adc_per_xbar);
    unit("row_driver", "dac", xbars * hw.xbar_rows);
    unit("shift_add", "shift_add", xbars);
    unit("buffer", "buffer", xbars);
    unit("index_kbit", "index", d(fp.index_bits) / 1024.0);
    for (const auto& [name, n] : fp.units) unit(name, name, d(n));
    items.cycles = stats.cycles;
    return items;
}

namespace {

// The prices of *h; `keep` owns it when the table may outlive the caller's config (hw_prices),
// and is null when the table is used at once (price() of one layer: a config copy per call was
// most of a re-priced sweep point's pricing).
PriceTable prices_of(const HwConfig* h, std::shared_ptr<const HwConfig> keep) {
    // Scheme periphery: every counted event and declared unit needs a components.NAME entry.
    auto spec = [h](const std::string& name) -> const ComponentSpec& {
        auto it = h->components.find(name);
        if (it == h->components.end())
            throw Error(h->source + ": components." + name +
                        ": missing (the scheme's hardware counts it; give energy_pj and area_um2)");
        return it->second;
    };
    PriceTable t;
    t.energy_pj = [h, keep, spec](const CostItem& it) -> double {
        const HwConfig& hw = *h;
        if (it.name == "cell_read") {
            for (const auto& [key, value] : it.args)
                if (key == "state") {
                    if (value >= (int64_t{1} << hw.cell_bits))
                        throw Error(
                            "cost model: " + std::to_string(static_cast<uint64_t>(it.count)) +
                            " cell reads in state " + std::to_string(value) + ", but " +
                            std::to_string(hw.cell_bits) + "-bit cells (" + hw.source +
                            ") have only " + std::to_string(1 << hw.cell_bits) + " states");
                    return hw.cell_energy_pj(static_cast<int>(value));
                }
            return hw.cell_read_energy_pj;
        }
        if (it.name == "adc_conversion") return hw.adc_energy_pj;
        if (it.name == "driver_activation") return hw.dac_energy_pj;
        if (it.name == "shift_add" || it.name == "digital_add") return hw.sa_energy_pj;
        if (it.name == "buffer_byte") return hw.buffer_energy_pj_per_byte;
        if (it.name == "index_bit") return hw.index_energy_pj_per_bit;
        return spec(it.name).energy_pj;
    };
    t.area_um2 = [h, keep, spec](const CostItem& it) -> double {
        const HwConfig& hw = *h;
        if (it.name == "crossbar") return hw.xbar_area_um2;
        if (it.name == "adc") return hw.adc_area_um2;
        if (it.name == "row_driver") return hw.dac_area_um2;
        if (it.name == "shift_add") return hw.sa_area_um2;
        if (it.name == "buffer") return hw.buffer_area_um2;
        if (it.name == "index_kbit") return hw.index_area_um2_per_kbit;
        return spec(it.name).area_um2;
    };
    return t;
}

}  // namespace

PriceTable hw_prices(const HwConfig& config) {
    auto keep = std::make_shared<const HwConfig>(config);
    return prices_of(keep.get(), keep);
}

Cost price(const CostItems& items, const PriceTable& prices, double clock_mhz) {
    Cost c;
    for (const CostItem& it : items.energy) {
        double& e = c.energy_pj[it.component];
        if (it.count != 0.0) e += it.count * prices.energy_pj(it);
    }
    for (const CostItem& it : items.area) {
        double& a = c.area_um2[it.component];
        if (it.count != 0.0) a += it.count * prices.area_um2(it);
    }
    c.latency_ns = d(items.cycles) * 1000.0 / clock_mhz;
    return c;
}

Cost price(const Stats& stats, const Footprint& fp, const HwConfig& hw) {
    return price(cost_items(stats, fp, hw), prices_of(&hw, nullptr), hw.clock_mhz);
}

nlohmann::json to_json(const Cost& c) {
    nlohmann::json j;
    j["energy_pj"] = c.energy_pj;
    j["area_um2"] = c.area_um2;
    j["total_energy_pj"] = c.total_energy_pj();
    j["total_area_um2"] = c.total_area_um2();
    j["latency_ns"] = c.latency_ns;
    return j;
}

}  // namespace sparsecim
