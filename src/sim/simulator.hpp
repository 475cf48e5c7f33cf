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
#include "sim/device.hpp"
#include "sim/stats.hpp"

namespace sparsecim {

struct SimOptions {
    bool ideal_adc = false;     // resolve every column sum exactly, whatever hw.adc_bits says
    bool keep_outputs = false;  // return the computed outputs
    // Count only: Stats without output values (column sums are formed only where the ADC can
    // clip, to count saturations); no outputs are checked or kept. Stats equal a full run's.
    bool counts_only = false;
    int threads = 0;  // 0 = hardware concurrency
    // Real devices and a calibrated ADC (hw.nonideal(), docs/nonideal.md): each column sum is
    // the analogue sum of its driven cells' read levels plus read noise, converted by the ADC.
    // `device`: the cells as programmed (null: simulate programs them from `device_seed`);
    // `device_seed` also seeds the read noise. ideal_adc means ideal cells and ADC: no device.
    const DeviceCells* device = nullptr;
    uint64_t device_seed = 1;
    // Run that analogue path even on ideal hardware (tests: it must then equal the exact path).
    bool force_analog = false;
    // adc.calibration profiled or percentile: the column sum the ADC's top code stands for, as
    // a calibration pass measured it for this layer (a range below 2^adc.bits - 1 keeps one
    // level per code). Required by those calibrations; -1: not given.
    double adc_range = -1.0;
    // Count the conversions per column sum (exact path, values computed): SimResult's
    // sum_histogram, from which a calibration pass takes a layer's range.
    bool histogram = false;
    // The column-sum kernel of the exact path. Avx512: per OU op, eight columns per
    // instruction (VPOPCNTDQ, 64-bit lanes). Avx512Band: all the ops of a band of at most 16
    // rows at once, 32 columns per instruction (BITALG's VPOPCNTW, 16-bit lanes), where the
    // band's sums fit 16 bits; its other bands take Avx512. Auto takes the best the CPU has,
    // else the portable one. All give the same outputs and Stats bit for bit; tests force each.
    // Forcing a kernel the CPU lacks is an error.
    enum class Kernel { Auto, Portable, Avx512, Avx512Band };
    Kernel kernel = Kernel::Auto;
};

// Whether this CPU runs SimOptions::Kernel::Avx512 (AVX-512F and VPOPCNTDQ).
bool avx512_kernel_available();
// Whether it runs SimOptions::Kernel::Avx512Band as well (AVX-512BW and BITALG).
bool avx512_band_kernel_available();
// The kernels this CPU runs: Portable, then Avx512 and Avx512Band where available (what tests
// force in turn).
std::vector<SimOptions::Kernel> runnable_kernels();
// What Kernel::Auto runs on this CPU, and a kernel's name: auto, portable, avx512, avx512-band.
SimOptions::Kernel best_kernel();
const char* kernel_name(SimOptions::Kernel k);

struct SimResult {
    Stats stats;
    bool counts_only = false;  // the run computed counts only (SimOptions::counts_only)
    int64_t outputs_checked = 0;
    int64_t mismatches = 0;      // outputs that differ from the trace's reference
    double squared_error = 0.0;  // sum over the checked outputs of (computed - reference)^2
    // The largest OU column sum of one bit-plane the ADC was given (ideal cells, exact path, values
    // computed; -1 otherwise): the ADC bits these inputs need (docs/nonideal.md, ADC sizing).
    int64_t largest_sum = -1;
    std::vector<uint64_t> sum_histogram;  // [sum]: conversions of that column sum (histogram)
    std::vector<int64_t> outputs;         // positions * N when keep_outputs (and not counts_only)
};

SimResult simulate(const Mapping& m, const LayerTrace& trace, const HwConfig& hw,
                   const SimOptions& opt = {});

}  // namespace sparsecim
