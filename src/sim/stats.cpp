// Stats: element-wise accumulation (per layer, per image, per tile) and the JSON form, with every
// counter under its field name.
#include "sim/stats.hpp"

#include <nlohmann/json.hpp>

namespace sparsecim {

void Stats::add(const Stats& o) {
    ou_ops += o.ou_ops;
    ou_ops_skipped += o.ou_ops_skipped;
    adc_conversions += o.adc_conversions;
    adc_saturations += o.adc_saturations;
    driver_activations += o.driver_activations;
    cell_reads += o.cell_reads;
    if (cell_reads_by_state.size() < o.cell_reads_by_state.size()) {
        cell_reads_by_state.resize(o.cell_reads_by_state.size(), 0);
    }
    for (size_t s = 0; s < o.cell_reads_by_state.size(); ++s) {
        cell_reads_by_state[s] += o.cell_reads_by_state[s];
    }
    sa_ops += o.sa_ops;
    digital_adds += o.digital_adds;
    buffer_bytes += o.buffer_bytes;
    index_bits_read += o.index_bits_read;
    cycles += o.cycles;
    for (const auto& [name, n] : o.events) events[name] += n;
}

nlohmann::json to_json(const Stats& s) {
    nlohmann::json j;
    j["ou_ops"] = s.ou_ops;
    j["ou_ops_skipped"] = s.ou_ops_skipped;
    j["adc_conversions"] = s.adc_conversions;
    j["adc_saturations"] = s.adc_saturations;
    j["driver_activations"] = s.driver_activations;
    j["cell_reads"] = s.cell_reads;
    j["cell_reads_by_state"] = s.cell_reads_by_state;
    j["sa_ops"] = s.sa_ops;
    j["digital_adds"] = s.digital_adds;
    j["buffer_bytes"] = s.buffer_bytes;
    j["index_bits_read"] = s.index_bits_read;
    j["cycles"] = s.cycles;
    j["events"] = s.events;
    return j;
}

}  // namespace sparsecim
