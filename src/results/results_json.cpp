// results.json of an evaluation: the settings and every scheme's and layer's figures.
#include "results/results_json.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "results/compare.hpp"

namespace sparsecim {

namespace {

nlohmann::json figures(const Footprint& fp, const Stats& st, const Cost& c) {
    nlohmann::json j;
    j["crossbars"] = fp.crossbars;
    j["stored_cells"] = fp.stored_cells;
    j["index_bits"] = fp.index_bits;
    j["crossbar_cells"] = fp.crossbar_cells;
    j["weight_cells"] = fp.weight_cells;
    j["array_utilization"] = fp.array_utilization();
    j["periphery_units"] = fp.units;
    j["ou_ops"] = st.ou_ops;
    j["ou_ops_skipped"] = st.ou_ops_skipped;
    j["cycles"] = st.cycles;
    set_cost_fields(j, c);
    j["counts"] = to_json(st);
    return j;
}

nlohmann::json opt_json(const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// Root mean square of (computed - reference) over the checked outputs.
double rms(double squared_error, int64_t outputs) {
    return outputs > 0 ? std::sqrt(squared_error / static_cast<double>(outputs)) : 0.0;
}

// The Monte Carlo trials of real devices (null without them).
nlohmann::json nonideal_json(const EvalResult& r, const SchemeResult& s) {
    const auto t = trial_stats(s);
    if (!t) return nullptr;
    return {{"trials", s.trial_accuracy.size()},
            {"images", r.options.adc_accuracy_images},
            {"top1", s.trial_accuracy},
            {"top1_mean", t->mean},
            {"top1_std", t->std},
            {"exact_top1", opt_json(s.adc_exact_accuracy)}};
}

}  // namespace

void set_cost_fields(nlohmann::json& j, const Cost& c) {
    j["area_mm2"] = c.total_area_um2() * 1e-6;
    j["area_um2_by_component"] = c.area_um2;
    j["latency_ns"] = c.latency_ns;
    j["energy_pj"] = c.total_energy_pj();
    j["energy_pj_by_component"] = c.energy_pj;
}

nlohmann::json ratios_json(const Ratios& c) {
    return {{"compression", opt_json(c.compression)},
            {"speedup", opt_json(c.speedup)},
            {"energy_efficiency", opt_json(c.energy_eff)},
            {"area_efficiency", opt_json(c.area_eff)},
            {"crossbar_efficiency", opt_json(c.crossbar_eff)}};
}

nlohmann::json options_json(const EvalSettings& o) {
    nlohmann::json j = {{"experiment", o.experiment},
                        {"schemes", o.schemes},
                        {"images", o.images},
                        {"accuracy_images", o.accuracy_images},
                        {"calib_images", o.calib_images},
                        {"adc_accuracy_images", o.adc_accuracy_images},
                        {"trials", o.trials},
                        {"size_adc_images", o.size_adc_images},
                        {"size_adc_top1_images", o.size_adc_top1_images},
                        {"size_adc_max_drop", o.size_adc_max_drop},
                        {"finetune_epochs", o.finetune_epochs},
                        {"finetune_images", o.finetune_images},
                        {"finetune_lr", o.finetune_lr},
                        {"finetune_lr_scheme", o.finetune_lr_scheme},
                        {"finetune_distill", o.finetune_distill},
                        {"finetune_temperature", o.finetune_temperature},
                        {"finetune_dense", o.finetune_dense},
                        {"accuracy_split", o.accuracy_split},
                        {"finetune_prune", o.finetune_prune},
                        {"finetune_grid", o.finetune_grid},
                        {"tuned", o.tuned},
                        {"calibration", o.quant.calibration},
                        {"percentile", o.quant.percentile},
                        {"check_exact", o.check_exact},
                        {"simulation", o.counts_only ? "counts-only" : "functional"},
                        {"seed", o.seed},
                        {"hw_overrides", o.hw_overrides},
                        {"scheme_params", o.scheme_params},
                        {"activations", o.activations},
                        {"activation_density", o.activation_model.fallback.density},
                        {"bit_density", o.activation_model.fallback.bit_density},
                        {"activation_density_by_layer", o.activation_model.density},
                        {"bit_density_by_layer", o.activation_model.bit_density}};
    // Only when set: the fingerprints of runs and tune journals written before it stay valid.
    if (!o.finetune_epochs_scheme.empty()) j["finetune_epochs_scheme"] = o.finetune_epochs_scheme;
    return j;
}

// One entry's figures, per layer too when `layers`; `c` its comparison (null for a baseline).
nlohmann::json scheme_json(const EvalResult& r, const SchemeResult& s, const SchemeComparison* c,
                           bool layers) {
    nlohmann::json js = figures(s.footprint, s.stats, s.cost);
    js["name"] = s.name;
    js["summary"] = s.summary;
    js["finetuned_from"] =
        s.finetuned_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.finetuned_from);
    js["model"] = s.model.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.model);
    js["tuned_param"] =
        s.tuned_param.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.tuned_param);
    js["weight_sparsity"] = s.weight_sparsity;
    if (s.hw) js["hw"] = to_json(*s.hw);
    js["stored_cell_states"] = s.cell_states;
    js["scheme_figures"] = s.figures;
    js["outputs_checked"] = s.outputs_checked;
    js["mismatches"] = s.mismatches;
    js["rms_error"] = rms(s.squared_error, s.outputs_checked);
    js["ideal_mismatches"] = s.ideal_mismatches ? nlohmann::json(*s.ideal_mismatches) : nullptr;
    js["accuracy"] = s.accuracy ? nlohmann::json(*s.accuracy) : nullptr;
    if (c) {
        js["baseline"] =
            c->baseline.empty() ? nlohmann::json(nullptr) : nlohmann::json(c->baseline);
        js["vs_dense"] = ratios_json(*c);
        js["vs_dense"]["sparsity_utilization"] = opt_json(c->sparsity_utilization);
        js["vs_run_dense"] = c->vs_run_dense ? ratios_json(*c->vs_run_dense) : nullptr;
    }
    js["accuracy_finetuned"] =
        s.finetuned_accuracy ? nlohmann::json(*s.finetuned_accuracy) : nullptr;
    js["nonideal"] = nonideal_json(r, s);
    js["adc_sizing"] = nullptr;
    if (const auto z = adc_sizing(r, s))
        js["adc_sizing"] = {{"images", r.options.size_adc_images},
                            {"bits", z->bits},
                            {"adc_energy_pj", z->adc_energy_pj},
                            {"sized_adc_energy_pj", z->sized_adc_energy_pj},
                            {"energy_saving", s.cost.total_energy_pj() > 0.0
                                                  ? (z->adc_energy_pj - z->sized_adc_energy_pj) /
                                                        s.cost.total_energy_pj()
                                                  : 0.0},
                            {"adc_area_um2", z->adc_area_um2},
                            {"sized_adc_area_um2", z->sized_adc_area_um2}};
    if (const auto z = adc_sizing(r, s); z && !z->top1_bits.empty() && s.adc_top1_exact)
        js["adc_sizing"]["top1"] = {
            {"images", r.options.size_adc_top1_images},
            {"max_drop_pp", r.options.size_adc_max_drop},
            {"bits", z->top1_bits},
            {"exact_top1", *s.adc_top1_exact},
            {"sized_top1", s.adc_top1_sized.value_or(0.0)},
            {"sized_adc_energy_pj", z->top1_adc_energy_pj},
            {"energy_saving",
             s.cost.total_energy_pj() > 0.0
                 ? (z->adc_energy_pj - z->top1_adc_energy_pj) / s.cost.total_energy_pj()
                 : 0.0},
            {"sized_adc_area_um2", z->top1_adc_area_um2}};
    js["adc_accuracy"] = nullptr;
    if (s.adc_sim_accuracy)
        js["adc_accuracy"] = {{"images", r.options.adc_accuracy_images},
                              {"exact", *s.adc_exact_accuracy},
                              {"simulated", *s.adc_sim_accuracy},
                              {"change", *s.adc_sim_accuracy - *s.adc_exact_accuracy}};
    if (!layers) return js;
    js["layers"] = nlohmann::json::array();
    for (const auto& l : s.layers) {
        nlohmann::json jl = figures(l.footprint, l.stats, l.cost);
        jl["name"] = l.name;
        jl["op"] = l.op;
        jl["K"] = l.K;
        jl["N"] = l.N;
        jl["groups"] = l.groups;
        jl["weight_sparsity"] = l.weight_sparsity;
        jl["stored_cell_states"] = l.cell_states;
        jl["scheme_figures"] = l.figures;
        jl["notes"] = l.notes;
        jl["positions"] = l.positions;
        jl["activations"] = {{"source", l.modelled ? "modelled" : "trace"},
                             {"density", l.measured.density},
                             {"bit_density", l.measured.bit_density}};
        if (l.modelled)
            jl["activations"]["model"] = {{"density", l.model.density},
                                          {"bit_density", l.model.bit_density}};
        jl["outputs_checked"] = l.outputs_checked;
        jl["mismatches"] = l.mismatches;
        jl["rms_error"] = rms(l.squared_error, l.outputs_checked);
        jl["largest_column_sum"] = l.largest_sum ? nlohmann::json(*l.largest_sum) : nullptr;
        if (l.adc_range) jl["adc_range"] = *l.adc_range;
        if (l.adc_bits_top1) jl["adc_bits_top1"] = *l.adc_bits_top1;
        jl["ideal_mismatches"] = l.ideal_mismatches ? nlohmann::json(*l.ideal_mismatches) : nullptr;
        js["layers"].push_back(std::move(jl));
    }
    return js;
}

nlohmann::json results_json(const EvalResult& r, bool layers) {
    nlohmann::json j;
    j["schema_version"] = kResultsSchemaVersion;
    j["tool"] = {{"name", "sparsecim"}, {"version", SPARSECIM_VERSION}};
    j["model"] = {{"spec", r.model}, {"note", r.model_note}};
    j["config"] = options_json(r.options);
    j["config"]["hw"] = to_json(r.hw);
    j["data"] = r.data;
    j["activations_note"] = r.activations_note;
    j["float_accuracy"] = r.float_accuracy ? nlohmann::json(*r.float_accuracy) : nullptr;
    j["schemes"] = nlohmann::json::array();
    const auto cmp = compare_schemes(r);
    for (size_t si = 0; si < r.schemes.size(); ++si)
        j["schemes"].push_back(scheme_json(r, r.schemes[si], &cmp[si], layers));
    j["baselines"] = nlohmann::json::array();
    for (const SchemeResult& b : r.baselines)
        j["baselines"].push_back(scheme_json(r, b, nullptr, layers));
    j["timing"] = {{"wall_seconds", r.seconds}};
    return j;
}

std::string results_json_text(const EvalResult& r) {
    return results_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sparsecim
