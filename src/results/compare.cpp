#include "results/compare.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sparsecim {

std::optional<double> times_better(double dense, double scheme) {
    if (dense <= 0.0 || scheme <= 0.0) return std::nullopt;
    return dense / scheme;
}

std::optional<TrialStats> trial_stats(const SchemeResult& s) {
    if (s.trial_accuracy.empty()) return std::nullopt;
    const double n = static_cast<double>(s.trial_accuracy.size());
    TrialStats t;
    for (double a : s.trial_accuracy) t.mean += a;
    t.mean /= n;
    double var = 0.0;
    for (double a : s.trial_accuracy) var += (a - t.mean) * (a - t.mean);
    t.std = s.trial_accuracy.size() > 1 ? std::sqrt(var / (n - 1.0)) : 0.0;
    return t;
}

std::optional<AdcSizing> adc_sizing(const EvalResult& r, const SchemeResult& s) {
    if (s.layers.empty()) return std::nullopt;
    const int adc_bits = s.hw ? s.hw->adc_bits : r.hw.adc_bits;
    AdcSizing z;
    const bool top1 = std::all_of(s.layers.begin(), s.layers.end(),
                                  [](const LayerResult& l) { return l.adc_bits_top1.has_value(); });
    for (const LayerResult& l : s.layers) {
        if (!l.largest_sum) return std::nullopt;
        const int bits = std::max(1, static_cast<int>(std::bit_width(static_cast<uint64_t>(
                                         std::max<int64_t>(0, *l.largest_sum)))));
        z.bits.push_back(bits);
        const double scale = std::ldexp(1.0, bits - adc_bits);
        const auto e = l.cost.energy_pj.find("adc");
        const auto a = l.cost.area_um2.find("adc");
        const double energy = e == l.cost.energy_pj.end() ? 0.0 : e->second;
        const double area = a == l.cost.area_um2.end() ? 0.0 : a->second;
        z.adc_energy_pj += energy;
        z.sized_adc_energy_pj += energy * scale;
        z.adc_area_um2 += area;
        z.sized_adc_area_um2 += area * scale;
        if (top1) {
            z.top1_bits.push_back(*l.adc_bits_top1);
            const double s1 = std::ldexp(1.0, *l.adc_bits_top1 - adc_bits);
            z.top1_adc_energy_pj += energy * s1;
            z.top1_adc_area_um2 += area * s1;
        }
    }
    return z;
}

namespace {

// Weight positions of a layer (a grouped conv's structural zeros are none).
int64_t weight_positions(const LayerResult& l) {
    return l.groups > 0 ? l.K * l.N / l.groups : l.K * l.N;
}

int64_t zero_weights(const LayerResult& l) {
    return std::llround(l.weight_sparsity * static_cast<double>(weight_positions(l)));
}

}  // namespace

std::optional<size_t> baseline_index(const EvalResult& r) {
    for (size_t i = 0; i < r.schemes.size(); ++i)
        if (r.schemes[i].name == "dense") return i;
    return std::nullopt;
}

const SchemeResult* baseline_of(const EvalResult& r, const SchemeResult& s) {
    if (!s.baseline.empty() && s.baseline != "dense")
        for (const SchemeResult& b : r.baselines)
            if (b.name == s.baseline) return &b;
    const auto bi = baseline_index(r);
    return bi ? &r.schemes[*bi] : nullptr;
}

namespace {

Ratios ratios(const SchemeResult& d, const SchemeResult& s) {
    Ratios c;
    c.compression = times_better(static_cast<double>(d.footprint.stored_cells),
                                 static_cast<double>(s.footprint.stored_cells));
    c.speedup =
        times_better(static_cast<double>(d.stats.cycles), static_cast<double>(s.stats.cycles));
    c.energy_eff = times_better(d.cost.total_energy_pj(), s.cost.total_energy_pj());
    c.area_eff = times_better(d.cost.total_area_um2(), s.cost.total_area_um2());
    c.crossbar_eff = times_better(static_cast<double>(d.footprint.crossbars),
                                  static_cast<double>(s.footprint.crossbars));
    return c;
}

}  // namespace

std::vector<SchemeComparison> compare_schemes(const EvalResult& r) {
    const auto bi = baseline_index(r);
    const SchemeResult* run_dense = bi ? &r.schemes[*bi] : nullptr;
    std::vector<SchemeComparison> out;
    for (const SchemeResult& s : r.schemes) {
        SchemeComparison c;
        c.name = s.name;
        for (const LayerResult& l : s.layers) {
            c.weights += weight_positions(l);
            c.zero_weights += zero_weights(l);
        }
        const SchemeResult* d = baseline_of(r, s);
        if (d) {
            c.baseline = d->name;
            static_cast<Ratios&>(c) = ratios(*d, s);
            if (d != run_dense) c.vs_run_dense = ratios(*run_dense, s);
            // Only meaningful where there is sparsity to use: with under 1% zero weights the
            // ratio divides by almost nothing; and not for a scheme whose savings are zero bits
            // (sme, judged by compression), which can save more cells than there are zeros.
            if (s.uses_zero_weights && c.weights > 0 && c.zero_weights * 100 >= c.weights) {
                const double per_weight =
                    static_cast<double>(d->footprint.stored_cells) / static_cast<double>(c.weights);
                c.sparsity_utilization =
                    static_cast<double>(d->footprint.stored_cells - s.footprint.stored_cells) /
                    (static_cast<double>(c.zero_weights) * per_weight);
            }
        }
        for (size_t li = 0; li < s.layers.size(); ++li) {
            const LayerResult& l = s.layers[li];
            LayerComparison lc;
            lc.name = l.name;
            if (d && li < d->layers.size() && d->layers[li].name == l.name) {
                const LayerResult& dl = d->layers[li];
                lc.speedup = times_better(static_cast<double>(dl.stats.cycles),
                                          static_cast<double>(l.stats.cycles));
                lc.compression = times_better(static_cast<double>(dl.footprint.stored_cells),
                                              static_cast<double>(l.footprint.stored_cells));
            }
            c.layers.push_back(std::move(lc));
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace sparsecim
