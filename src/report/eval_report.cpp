// Summary table and results.json of an evaluation.
#include "report/eval_report.hpp"

#include "report/text_table.hpp"

namespace sparsecim {

namespace {

const std::vector<std::string> kEnergyParts = {"cells",   "adc",    "dac",  "shift_add",
                                               "digital", "buffer", "index"};

double part(const std::map<std::string, double>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? 0.0 : it->second;
}

nlohmann::json figures(const Footprint& fp, const Stats& st, const Cost& c) {
    nlohmann::json j;
    j["crossbars"] = fp.crossbars;
    j["area_mm2"] = c.total_area_um2() * 1e-6;
    j["area_um2_by_component"] = c.area_um2;
    j["stored_cells"] = fp.stored_cells;
    j["index_bits"] = fp.index_bits;
    j["periphery_units"] = fp.units;
    j["ou_ops"] = st.ou_ops;
    j["ou_ops_skipped"] = st.ou_ops_skipped;
    j["cycles"] = st.cycles;
    j["latency_ns"] = c.latency_ns;
    j["energy_pj"] = c.total_energy_pj();
    j["energy_pj_by_component"] = c.energy_pj;
    j["counts"] = to_json(st);
    return j;
}

}  // namespace

std::string summary_table(const EvalResult& r) {
    TextTable t;
    t.header = {"scheme", "crossbars", "area_mm2", "stored_cells", "ou_ops", "skipped", "cycles"};
    for (const auto& p : kEnergyParts) t.header.push_back("E_" + p + "_nJ");
    t.header.insert(t.header.end(), {"E_total_nJ", "mismatch", "accuracy"});
    const bool finetuned = r.options.finetune_epochs > 0;
    if (finetuned) t.header.push_back("finetuned");
    for (const auto& s : r.schemes) {
        std::vector<std::string> row = {s.name,
                                        fmt_int(s.footprint.crossbars),
                                        fmt_sci(s.cost.total_area_um2() * 1e-6),
                                        fmt_int(s.footprint.stored_cells),
                                        fmt_int(static_cast<int64_t>(s.stats.ou_ops)),
                                        fmt_int(static_cast<int64_t>(s.stats.ou_ops_skipped)),
                                        fmt_int(static_cast<int64_t>(s.stats.cycles))};
        for (const auto& p : kEnergyParts) row.push_back(fmt_sci(part(s.cost.energy_pj, p) * 1e-3));
        row.push_back(fmt_sci(s.cost.total_energy_pj() * 1e-3));
        row.push_back(s.outputs_checked ? fmt_pct(static_cast<double>(s.mismatches) /
                                                  static_cast<double>(s.outputs_checked))
                                        : "-");
        row.push_back(s.accuracy ? fmt_pct(*s.accuracy) : "-");
        if (finetuned) row.push_back(s.finetuned_accuracy ? fmt_pct(*s.finetuned_accuracy) : "-");
        t.rows.push_back(std::move(row));
    }
    std::string out = "model: " + r.model + "\n";
    if (!r.model_note.empty()) out += "note:  " + r.model_note + "\n";
    out += "hw:    " + r.hw.name + " (" + r.hw.source + ")\n";
    out += "images simulated: " + std::to_string(r.options.images);
    if (r.float_accuracy)
        out += ";  float top-1 on " + std::to_string(r.options.accuracy_images) +
               " test images: " + fmt_pct(*r.float_accuracy);
    out += "\n\n" + t.render();
    out += "mismatch: outputs differing from the integer reference under the config's ADC";
    for (const auto& s : r.schemes)
        if (s.adc_sim_accuracy)
            out += "\n" + s.name + ": top-1 on " + std::to_string(r.options.adc_accuracy_images) +
                   " images through the simulated ADC " + fmt_pct(*s.adc_sim_accuracy) +
                   " vs exact integer " + fmt_pct(*s.adc_exact_accuracy);
    for (const auto& s : r.schemes)
        if (s.ideal_mismatches)
            out += "\n" + s.name + ": ideal-ADC mismatches " + std::to_string(*s.ideal_mismatches) +
                   " of " + std::to_string(s.outputs_checked) +
                   (*s.ideal_mismatches == 0 ? " (exact)" : " (NOT EXACT)");
    return out + "\n";
}

nlohmann::json results_json(const EvalResult& r) {
    nlohmann::json j;
    j["schema_version"] = kResultsSchemaVersion;
    j["tool"] = {{"name", "sparsecim"}, {"version", SPARSECIM_VERSION}};
    j["model"] = {{"spec", r.model}, {"note", r.model_note}};
    j["config"] = {{"hw", to_json(r.hw)},
                   {"schemes", r.options.schemes},
                   {"images", r.options.images},
                   {"accuracy_images", r.options.accuracy_images},
                   {"calib_images", r.options.calib_images},
                   {"adc_accuracy_images", r.options.adc_accuracy_images},
                   {"calibration", r.options.quant.calibration},
                   {"percentile", r.options.quant.percentile},
                   {"check_exact", r.options.check_exact},
                   {"finetune_epochs", r.options.finetune_epochs},
                   {"seed", r.options.seed},
                   {"hw_overrides", r.options.hw_overrides},
                   {"scheme_params", r.options.scheme_params}};
    j["float_accuracy"] = r.float_accuracy ? nlohmann::json(*r.float_accuracy) : nullptr;
    j["schemes"] = nlohmann::json::array();
    for (const auto& s : r.schemes) {
        nlohmann::json js = figures(s.footprint, s.stats, s.cost);
        js["name"] = s.name;
        js["summary"] = s.summary;
        js["weight_sparsity"] = s.weight_sparsity;
        js["stored_cell_states"] = s.cell_states;
        js["scheme_figures"] = s.figures;
        js["outputs_checked"] = s.outputs_checked;
        js["mismatches"] = s.mismatches;
        js["ideal_mismatches"] = s.ideal_mismatches ? nlohmann::json(*s.ideal_mismatches) : nullptr;
        js["accuracy"] = s.accuracy ? nlohmann::json(*s.accuracy) : nullptr;
        js["accuracy_finetuned"] =
            s.finetuned_accuracy ? nlohmann::json(*s.finetuned_accuracy) : nullptr;
        js["adc_accuracy"] = nullptr;
        if (s.adc_sim_accuracy)
            js["adc_accuracy"] = {{"images", r.options.adc_accuracy_images},
                                  {"exact", *s.adc_exact_accuracy},
                                  {"simulated", *s.adc_sim_accuracy},
                                  {"change", *s.adc_sim_accuracy - *s.adc_exact_accuracy}};
        js["layers"] = nlohmann::json::array();
        for (const auto& l : s.layers) {
            nlohmann::json jl = figures(l.footprint, l.stats, l.cost);
            jl["name"] = l.name;
            jl["op"] = l.op;
            jl["K"] = l.K;
            jl["N"] = l.N;
            jl["weight_sparsity"] = l.weight_sparsity;
            jl["stored_cell_states"] = l.cell_states;
            jl["scheme_figures"] = l.figures;
            jl["notes"] = l.notes;
            jl["positions"] = l.positions;
            jl["outputs_checked"] = l.outputs_checked;
            jl["mismatches"] = l.mismatches;
            jl["ideal_mismatches"] =
                l.ideal_mismatches ? nlohmann::json(*l.ideal_mismatches) : nullptr;
            js["layers"].push_back(std::move(jl));
        }
        j["schemes"].push_back(std::move(js));
    }
    j["timing"] = {{"wall_seconds", r.seconds}};
    return j;
}

}  // namespace sparsecim
