// The OU-level bit-serial simulator. It executes any valid Mapping on a LayerTrace: per output
// position, per OU op, per input bit-plane (LSB first), the driven rows' cells are summed per
// column, the sum goes through the ADC (resolution and saturation), and shift-and-add combines
// bit-planes, slices and crossbars into int32 outputs. It counts every action into Stats;
// pricing is the cost model's job.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/hw_config.hpp"
#include "infer/trace.hpp"
#include "map/mapping.hpp"
#include "sim/stats.hpp"

namespace sparsecim {

struct SimOptions {
    bool ideal_adc = false;     // resolve every column sum exactly, whatever hw.adc_bits says
    bool keep_outputs = false;  // return the computed outputs
    // Count only: Stats without output values (column sums are formed only where the ADC can
    // clip, to count saturations); no outputs are checked or kept. Stats equal a full run's.
    bool counts_only = false;
    int threads = 0;  // 0 = hardware concurrency
};

struct SimResult {
    Stats stats;
    bool counts_only = false;  // the run computed counts only (SimOptions::counts_only)
    int64_t outputs_checked = 0;
    int64_t mismatches = 0;        // outputs that differ from the trace's reference
    std::vector<int64_t> outputs;  // positions * N when keep_outputs (and not counts_only)
};

SimResult simulate(const Mapping& m, const LayerTrace& trace, const HwConfig& hw,
                   const SimOptions& opt = {});

}  // namespace sparsecim
