// Cost model: energy = action counts (Stats) x per-action energies, area = footprint x per-unit
// areas, latency = cycles / clock, all from one HwConfig. See docs/hardware.md for the formulas.
#include "cost/cost_model.hpp"

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
    Footprint fp;
    fp.crossbars = static_cast<int64_t>(m.tiles.size());
    fp.stored_cells = m.stored_cells();
    fp.index_bits = m.total_index_bits();
    fp.units = m.units;
    fp.crossbar_cells = m.crossbar_cells();
    fp.weight_cells = weight_cells(m, weights);
    return fp;
}

Cost price(const Stats& stats, const Footprint& fp, const HwConfig& hw) {
    if (fp.crossbars < 0 || fp.stored_cells < 0 || fp.index_bits < 0) {
        throw Error("cost model: negative footprint (crossbars " + std::to_string(fp.crossbars) +
                    ", stored cells " + std::to_string(fp.stored_cells) + ", index bits " +
                    std::to_string(fp.index_bits) + ")");
    }
    Cost c;

    double cells = 0.0;
    if (stats.cell_reads_by_state.empty()) {
        cells = d(stats.cell_reads) * hw.cell_read_energy_pj;
    } else {
        const size_t states = size_t{1} << hw.cell_bits;
        for (size_t s = 0; s < stats.cell_reads_by_state.size(); ++s) {
            const uint64_t n = stats.cell_reads_by_state[s];
            if (n == 0) continue;
            if (s >= states) {
                throw Error("cost model: " + std::to_string(n) + " cell reads in state " +
                            std::to_string(s) + ", but " + std::to_string(hw.cell_bits) +
                            "-bit cells (" + hw.source + ") have only " + std::to_string(states) +
                            " states");
            }
            cells += d(n) * hw.cell_energy_pj(static_cast<int>(s));
        }
    }
    c.energy_pj["cells"] = cells;
    c.energy_pj["adc"] = d(stats.adc_conversions) * hw.adc_energy_pj;
    c.energy_pj["dac"] = d(stats.driver_activations) * hw.dac_energy_pj;
    c.energy_pj["shift_add"] = d(stats.sa_ops) * hw.sa_energy_pj;
    c.energy_pj["digital"] = d(stats.digital_adds) * hw.sa_energy_pj;
    c.energy_pj["buffer"] = d(stats.buffer_bytes) * hw.buffer_energy_pj_per_byte;
    c.energy_pj["index"] = d(stats.index_bits_read) * hw.index_energy_pj_per_bit;

    const double xbars = d(fp.crossbars);
    c.area_um2["crossbars"] = xbars * hw.xbar_area_um2;
    c.area_um2["adc"] = xbars * hw.adc_per_xbar * hw.adc_area_um2;
    c.area_um2["dac"] = xbars * hw.xbar_rows * hw.dac_area_um2;
    c.area_um2["shift_add"] = xbars * hw.sa_area_um2;
    c.area_um2["buffer"] = xbars * hw.buffer_area_um2;
    c.area_um2["index"] = d(fp.index_bits) / 1024.0 * hw.index_area_um2_per_kbit;

    // Scheme periphery: every counted event and declared unit needs a components.NAME entry.
    auto spec = [&](const std::string& name) -> const ComponentSpec& {
        auto it = hw.components.find(name);
        if (it == hw.components.end())
            throw Error(hw.source + ": components." + name +
                        ": missing (the scheme's hardware counts it; give energy_pj and area_um2)");
        return it->second;
    };
    for (const auto& [name, n] : stats.events) c.energy_pj[name] += d(n) * spec(name).energy_pj;
    for (const auto& [name, n] : fp.units) c.area_um2[name] += d(n) * spec(name).area_um2;

    c.latency_ns = d(stats.cycles) * 1000.0 / hw.clock_mhz;
    return c;
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
