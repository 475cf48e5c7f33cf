// Stats: element-wise accumulation (per layer, per image, per tile) and the JSON form, with every
// counter under its field name.
#include "sim/stats.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

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

namespace {

uint64_t count_of(const nlohmann::json& v, const std::string& field) {
    if (!v.is_number_unsigned())
        throw Error(field + ": expected a non-negative integer, got " + v.dump());
    return v.get<uint64_t>();
}

uint64_t counter(const nlohmann::json& j, const std::string& where, const std::string& key) {
    const auto it = j.find(key);
    if (it == j.end()) throw Error(where + "." + key + ": missing");
    return count_of(*it, where + "." + key);
}

}  // namespace

Stats stats_from_json(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where + ": expected an object of counters");
    Stats s;
    s.ou_ops = counter(j, where, "ou_ops");
    s.ou_ops_skipped = counter(j, where, "ou_ops_skipped");
    s.adc_conversions = counter(j, where, "adc_conversions");
    s.adc_saturations = counter(j, where, "adc_saturations");
    s.driver_activations = counter(j, where, "driver_activations");
    s.cell_reads = counter(j, where, "cell_reads");
    s.sa_ops = counter(j, where, "sa_ops");
    s.digital_adds = counter(j, where, "digital_adds");
    s.buffer_bytes = counter(j, where, "buffer_bytes");
    s.index_bits_read = counter(j, where, "index_bits_read");
    s.cycles = counter(j, where, "cycles");
    const auto states = j.find("cell_reads_by_state");
    if (states != j.end()) {
        if (!states->is_array()) throw Error(where + ".cell_reads_by_state: expected a list");
        for (size_t i = 0; i < states->size(); ++i)
            s.cell_reads_by_state.push_back(
                count_of((*states)[i], where + ".cell_reads_by_state[" + std::to_string(i) + "]"));
    }
    const auto events = j.find("events");
    if (events != j.end()) {
        if (!events->is_object()) throw Error(where + ".events: expected an object");
        for (const auto& [name, n] : events->items())
            s.events[name] = counter(*events, where + ".events", name);
    }
    return s;
}

}  // namespace sparsecim
