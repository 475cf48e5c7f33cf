// Comparison of every scheme of an evaluation against the dense baseline of the same run (same
// model, hardware and images): the ratios a reader looks for first. Derived from EvalResult only,
// so a report can be re-rendered from results without re-simulating.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/results.hpp"

namespace sparsecim {

struct LayerComparison {
    std::string name;
    std::optional<double> speedup;      // dense cycles / scheme cycles
    std::optional<double> compression;  // dense stored cells / scheme stored cells
};

// "How many times better than dense" (> 1 is better); empty when there is no dense baseline or
// the baseline's figure is zero.
struct Ratios {
    std::optional<double> compression;   // dense stored cells / scheme stored cells
    std::optional<double> speedup;       // dense cycles / scheme cycles
    std::optional<double> energy_eff;    // dense energy / scheme energy
    std::optional<double> area_eff;      // dense area / scheme area
    std::optional<double> crossbar_eff;  // dense crossbars / scheme crossbars
};

// The ratios (inherited) are against the scheme's baseline: dense on the same cell bits and
// zero-input skipping as the scheme (SchemeResult::baseline), which is the run's dense unless
// the scheme departs from the run's hardware.
struct SchemeComparison : Ratios {
    std::string name;
    std::string baseline;      // the entry the ratios are against ("dense" or "dense[...]")
    int64_t weights = 0;       // integer weights of the scheme's layers
    int64_t zero_weights = 0;  // of them zero (pruned or quantized to zero)
    // Against the run's dense on the run's hardware, when the baseline is another entry.
    std::optional<Ratios> vs_run_dense;
    // Storage the scheme saves over dense, as a fraction of the cells its zero weights would occupy
    // in the dense mapping: (dense cells - scheme cells) / (zero weights * dense cells per weight).
    // Empty when under 1% of the weights are zero.
    std::optional<double> sparsity_utilization;
    std::vector<LayerComparison> layers;
};

// dense / scheme, the form of every ratio; empty when either is not positive.
std::optional<double> times_better(double dense, double scheme);

// Mean and sample standard deviation of a scheme's top-1 over its real-device trials
// (SchemeResult::trial_accuracy); empty without trials.
struct TrialStats {
    double mean = 0.0, std = 0.0;
};
std::optional<TrialStats> trial_stats(const SchemeResult& s);

// ADC sizing (EvalSettings::size_adc_images): per layer the fewest ADC bits that convert the
// largest column sum seen (2^bits - 1 >= it), and the ADC energy and area re-priced with them.
// ADC energy and area per conversion and per ADC scale as 2^bits, the rule configs/hw/dense.yaml
// scales ISAAC's 8-bit ADC by (Shafiee et al., ISCA 2016). Empty without sizing.
struct AdcSizing {
    std::vector<int> bits;  // per layer
    double adc_energy_pj = 0.0, sized_adc_energy_pj = 0.0;
    double adc_area_um2 = 0.0, sized_adc_area_um2 = 0.0;
    // With size_adc_top1_images: the same at the bits that keep top-1 within the allowed drop.
    std::vector<int> top1_bits;
    double top1_adc_energy_pj = 0.0, top1_adc_area_um2 = 0.0;
};
std::optional<AdcSizing> adc_sizing(const EvalResult& r, const SchemeResult& s);

// Index of the "dense" scheme in r.schemes, if it ran.
std::optional<size_t> baseline_index(const EvalResult& r);

// The entry `s`'s ratios are against: its matched baseline in r.baselines, else the run's dense;
// null when the run has no dense.
const SchemeResult* baseline_of(const EvalResult& r, const SchemeResult& s);

std::vector<SchemeComparison> compare_schemes(const EvalResult& r);

}  // namespace sparsecim
