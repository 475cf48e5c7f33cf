// Summary table and results.json of an evaluation.
#include "report/eval_report.hpp"

#include <algorithm>
#include <cstdio>

#include "report/text_table.hpp"
#include "results/compare.hpp"

namespace sparsecim {

namespace {

const std::vector<std::string> kEnergyParts = {"cells",   "adc",    "dac",  "shift_add",
                                               "digital", "buffer", "index"};

double part(const std::map<std::string, double>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? 0.0 : it->second;
}

}  // namespace

namespace {

std::string ratio_str(const std::optional<double>& v) {
    if (!v) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", *v);
    return buf;
}

}  // namespace

std::string activation_label(const LayerResult& l) {
    const double d = l.modelled ? l.model.density : l.measured.density;
    const double b = l.modelled ? l.model.bit_density : l.measured.bit_density;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s d=%.2f b=%.2f", l.modelled ? "MODELLED" : "trace", d, b);
    return buf;
}

std::string summary_table(const EvalResult& r) {
    // Readable at 100 columns: short number forms, free text wrapped. A finetuned run's accuracy
    // after finetuning is the `acc` of its "<scheme>+ft" rows (results.json and the HTML also
    // keep it beside the scheme as accuracy_finetuned / acc_ft).
    constexpr size_t kWidth = 100;
    const auto cmp = compare_schemes(r);
    TextTable t;
    t.header = {"scheme",  "xbars",  "area_mm2", "cells", "compr", "OU_ops",
                "skipped", "cycles", "speedup",  "E_nJ",  "E_eff", "acc"};
    const bool finetuned = r.options.finetune_epochs > 0;
    for (size_t i = 0; i < r.schemes.size(); ++i) {
        const SchemeResult& s = r.schemes[i];
        t.rows.push_back(
            {s.name, fmt_int(s.footprint.crossbars), fmt_sci_short(s.cost.total_area_um2() * 1e-6),
             fmt_sci_short(static_cast<double>(s.footprint.stored_cells)),
             ratio_str(cmp[i].compression), fmt_sci_short(static_cast<double>(s.stats.ou_ops)),
             fmt_sci_short(static_cast<double>(s.stats.ou_ops_skipped)),
             fmt_sci_short(static_cast<double>(s.stats.cycles)), ratio_str(cmp[i].speedup),
             fmt_sci_short(s.cost.total_energy_pj() * 1e-3), ratio_str(cmp[i].energy_eff),
             s.accuracy ? fmt_pct_short(*s.accuracy) : "-"});
    }
    // Energy by component, one column per component any scheme uses.
    std::vector<std::string> comps;
    for (const auto& p : kEnergyParts) comps.push_back(p);
    for (const auto& s : r.schemes)
        for (const auto& [k, v] : s.cost.energy_pj)
            if (v != 0.0 && std::find(comps.begin(), comps.end(), k) == comps.end())
                comps.push_back(k);
    // Energy by component: one row per component any scheme uses, one column per scheme, so the
    // table stays narrow however many periphery components the schemes bring.
    TextTable e;
    e.header = {"energy_nJ"};
    for (const auto& s : r.schemes) e.header.push_back(s.name);
    for (const auto& c : comps) {
        std::vector<std::string> row = {c};
        for (const auto& s : r.schemes)
            row.push_back(fmt_sci_short(part(s.cost.energy_pj, c) * 1e-3));
        e.rows.push_back(std::move(row));
    }
    std::string out = wrap_text("model: " + r.model, kWidth, "       ");
    if (!r.model_note.empty()) out += wrap_text("note:  " + r.model_note, kWidth, "       ");
    out += wrap_text("hw:    " + r.hw.name + " (" + r.hw.source + ")", kWidth, "       ");
    std::string images = "images simulated: " + std::to_string(r.options.images);
    if (r.options.counts_only) images += " (counts only: no output values computed or checked)";
    if (r.float_accuracy)
        images += ";  float top-1 on " + std::to_string(r.options.accuracy_images) + " images of " +
                  r.data + ": " + fmt_pct(*r.float_accuracy);
    out += wrap_text(images, kWidth, "  ");
    if (!r.activations_note.empty())
        out += wrap_text("activations: " + r.activations_note, kWidth, "  ") +
               "  every layer's inputs are SYNTHETIC (density d, bit density b per layer in "
               "report.html/results.json);\n  cycles and energy follow that model, accuracy is "
               "not measured\n";
    out += "\n" + t.render() + "\n" + e.render();
    out +=
        "\nratios (x) are dense / scheme: compression of stored cells, speedup in cycles, "
        "energy\nefficiency. acc: int top-1 with the scheme's quantization and pruning.\n";
    // Which dense each ratio is against: the run's, or dense on the scheme's own cell bits and
    // zero-input skipping (results.json: baseline, vs_dense, vs_run_dense, baselines).
    std::string fair;
    for (const auto& c : cmp)
        if (c.vs_run_dense)
            fair += c.name + " against " + c.baseline + " (against the run's dense: compr " +
                    ratio_str(c.vs_run_dense->compression) + ", speedup " +
                    ratio_str(c.vs_run_dense->speedup) + ", E_eff " +
                    ratio_str(c.vs_run_dense->energy_eff) + "); ";
    if (!fair.empty())
        out += wrap_text(
            "Fair baselines: each ratio is against dense on the scheme's cell bits "
            "and zero-input skipping: " +
                fair.substr(0, fair.size() - 2) + ".",
            kWidth, "");
    if (finetuned)
        out += wrap_text("acc of a <scheme>+ft row: the same after finetuning " +
                             std::to_string(r.options.finetune_epochs) +
                             " epoch(s) with the scheme's masks held (LibTorch), the finetuned "
                             "model mapped and simulated again.",
                         kWidth, "");
    for (const auto& s : r.schemes) {
        std::string line = s.name + ": real-ADC mismatches " +
                           (s.outputs_checked ? fmt_pct(static_cast<double>(s.mismatches) /
                                                        static_cast<double>(s.outputs_checked))
                                              : std::string("-"));
        if (s.adc_sim_accuracy && s.trial_accuracy.empty())
            line += ", top-1 on " + std::to_string(r.options.adc_accuracy_images) +
                    " images through the ADC " + fmt_pct(*s.adc_sim_accuracy) + " vs exact " +
                    fmt_pct(*s.adc_exact_accuracy);
        if (const auto trials = trial_stats(s))
            line += ", top-1 on " + std::to_string(r.options.adc_accuracy_images) +
                    " images through the real devices and ADC " + fmt_pct(trials->mean) + " +- " +
                    fmt_pct(trials->std) + " (" + std::to_string(s.trial_accuracy.size()) +
                    " trial(s)) vs exact " + fmt_pct(*s.adc_exact_accuracy);
        if (const auto z = adc_sizing(r, s)) {
            line += ", ADC bits needed by layer";
            for (size_t i = 0; i < z->bits.size(); ++i)
                line += (i ? "/" : " ") + std::to_string(z->bits[i]);
            line += " (ADC energy " + fmt_sci(z->adc_energy_pj) + " -> " +
                    fmt_sci(z->sized_adc_energy_pj) + " pJ)";
        }
        if (s.cell_states.size() > 1) {
            line += ", stored cells by state";
            for (size_t st = 0; st < s.cell_states.size(); ++st)
                line += (st ? "/" : " ") + std::to_string(s.cell_states[st]);
        }
        if (s.ideal_mismatches)
            line += ", ideal-ADC mismatches " + std::to_string(*s.ideal_mismatches) + " of " +
                    std::to_string(s.outputs_checked) +
                    (*s.ideal_mismatches == 0 ? " (exact)" : " (NOT EXACT)");
        out += wrap_text(line, kWidth, "  ");
    }
    return out;
}

}  // namespace sparsecim
