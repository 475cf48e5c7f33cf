// Whole-network stages shared by `evaluate` and the end-to-end benchmark: mapping every weight
// layer of a QuantModel with a scheme (layers in parallel, each mapping verified), and simulating
// the mapped network on a stream of images (per batch: integer reference inference with traces,
// then every layer's mapping on its trace), so memory holds one batch's traces however many
// images run. Results never depend on the thread count.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/tensor.hpp"
#include "hw/hw_config.hpp"
#include "infer/modelled_trace.hpp"
#include "map/mapping.hpp"
#include "quant/quant_model.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

namespace sparsecim {

// Maps every layer of `qm` with `scheme` (up to `threads` layers at once, 0 = all cores) and
// verifies each mapping reconstructs its weights; throws Error naming the scheme otherwise. With
// `chip_seed` (a network's device seed, as NetworkSimOptions::sim.device_seed), layer l is mapped
// knowing its crossbars' faults: its context's chip_seed is layer_device_seed(*chip_seed, l).
std::vector<Mapping> map_network(const Scheme& scheme, const QuantModel& qm,
                                 const SchemeContext& ctx, int threads = 0,
                                 std::optional<uint64_t> chip_seed = std::nullopt);

struct NetworkSimOptions {
    // The simulator's options for every layer (ADC, mode, threads); on real devices layer l's
    // cells are programmed from layer_device_seed(sim.device_seed, l).
    SimOptions sim;
    // Optional, one per mapping: the cells as programmed (e.g. a trial's), so that every batch
    // reuses them instead of programming them again.
    const std::vector<DeviceCells>* devices = nullptr;
    // Optional, one per mapping: layer l's ADC range (SimOptions::adc_range), from
    // adc_ranges(): what adc.calibration profiled or percentile need.
    std::vector<double> adc_ranges;
    bool check_exact = false;  // also simulate under an ideal ADC and count its mismatches
    int64_t batch = 1;         // images traced at once: memory holds one batch's traces
};

struct LayerSim {
    int64_t positions = 0;
    Stats stats;
    int64_t outputs_checked = 0;
    int64_t mismatches = 0;
    double squared_error = 0.0;           // of the outputs under the config's ADC and devices
    int64_t largest_sum = -1;             // SimResult::largest_sum over the batches
    std::vector<uint64_t> sum_histogram;  // SimResult::sum_histogram summed over the batches
    std::optional<int64_t> ideal_mismatches;
    ActivationCounts activations;  // of the layer's input traces
};

struct NetworkSim {
    std::vector<LayerSim> layers;  // one per qm.layers
    double trace_seconds = 0.0;    // integer reference inference with traces
    double sim_seconds = 0.0;      // the simulator
};

// Each layer's ADC range for hw.adc_calibration profiled (the largest column sum converted) or
// percentile (hw.adc_percentile of the conversions lie at or below it), from a calibration
// pass's column-sum histograms (NetworkSim with SimOptions::histogram); empty for the other
// calibrations.
std::vector<double> adc_ranges(const NetworkSim& profile, const HwConfig& hw);

// The seed of layer `layer`'s devices (cells and read noise) in a network run seeded `seed`.
uint64_t layer_device_seed(uint64_t seed, size_t layer);

// Simulates `mappings` (one per qm.layers, in order) on one batch's `traces` (from run_int),
// adding into `acc` (acc.layers sized on first use); adds its time to acc.sim_seconds.
void simulate_traces(const std::vector<Mapping>& mappings, const std::vector<LayerTrace>& traces,
                     const HwConfig& hw, const NetworkSimOptions& opt, NetworkSim& acc);

// The integer reference's traces of every weight layer on images [b0, b0 + n) of `images`.
std::vector<LayerTrace> trace_batch(const QuantModel& qm, const Tensor& images, int64_t b0,
                                    int64_t n);

// Simulates `mappings` (one per qm.layers, in order) on `images` (N x C x H x W), streamed in
// batches of opt.batch images.
NetworkSim simulate_network(const QuantModel& qm, const std::vector<Mapping>& mappings,
                            const Tensor& images, const HwConfig& hw,
                            const NetworkSimOptions& opt = {});

}  // namespace sparsecim
