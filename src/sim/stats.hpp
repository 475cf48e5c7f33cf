// Stats: what the simulator counted, by component. Counting and pricing are separate: the same
// Stats can be re-priced with another technology table (cost/cost_model.hpp) without re-simulating.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sparsecim {

struct Stats {
    uint64_t ou_ops = 0;          // OU ops issued
    uint64_t ou_ops_skipped = 0;  // OU ops skipped (all input bits zero)
    uint64_t adc_conversions = 0;
    uint64_t adc_saturations = 0;               // conversions clipped by the ADC's range
    uint64_t driver_activations = 0;            // rows driven with a 1 bit
    uint64_t cell_reads = 0;                    // cells on a driven row of an issued OU op
    std::vector<uint64_t> cell_reads_by_state;  // indexed by cell state
    uint64_t sa_ops = 0;                        // shift-and-add of one column result
    uint64_t digital_adds = 0;     // partial-sum additions across crossbars, offset corrections
    uint64_t buffer_bytes = 0;     // activation bytes read from the input buffer
    uint64_t index_bits_read = 0;  // mapping metadata read
    uint64_t cycles = 0;
    std::map<std::string, uint64_t> events;  // scheme periphery events, by component name

    void add(const Stats& o);
};

nlohmann::json to_json(const Stats& s);
// The inverse of to_json (results.json's "counts"); throws Error naming `where` and the field
// when a counter is missing or not a non-negative integer.
Stats stats_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace sparsecim
