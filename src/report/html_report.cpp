#include "report/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/atomic_file.hpp"
#include "report/eval_report.hpp"
#include "report/svg.hpp"
#include "report/text_table.hpp"
#include "results/compare.hpp"

namespace sparsecim {

namespace {

std::string opt_ratio(const std::optional<double>& v) {
    if (!v) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", *v);
    return buf;
}

std::string opt_pct(const std::optional<double>& v) {
    return v ? fmt_pct(*v) : "-";
}

double nan_or(const std::optional<double>& v) {
    return v ? *v : std::nan("");
}

std::string td(const std::string& s) {
    return "<td>" + xml_escape(s) + "</td>";
}

// Components with a non-zero value in any scheme, in a stable order.
std::vector<std::string> components(const EvalResult& r, bool energy) {
    std::set<std::string> seen;
    for (const auto& s : r.schemes)
        for (const auto& [k, v] : energy ? s.cost.energy_pj : s.cost.area_um2)
            if (v != 0.0) seen.insert(k);
    return {seen.begin(), seen.end()};
}

BarChart by_component(const EvalResult& r, bool energy) {
    BarChart c;
    c.title = energy ? "Energy by component" : "Area by component";
    c.y_label = energy ? "energy (nJ)" : "area (mm2)";
    c.stacked = true;
    for (const auto& s : r.schemes) c.categories.push_back(s.name);
    for (const std::string& comp : components(r, energy)) {
        Series se{comp, {}};
        for (const auto& s : r.schemes) {
            const auto& m = energy ? s.cost.energy_pj : s.cost.area_um2;
            const auto it = m.find(comp);
            se.values.push_back((it == m.end() ? 0.0 : it->second) * (energy ? 1e-3 : 1e-6));
        }
        c.series.push_back(std::move(se));
    }
    return c;
}

BarChart per_layer(const EvalResult& r, const std::vector<SchemeComparison>& cmp, bool speedup) {
    BarChart c;
    c.title = speedup ? "Per-layer speedup over dense" : "Per-layer compression over dense";
    c.y_label = speedup ? "dense cycles / scheme cycles" : "dense cells / scheme cells";
    c.reference = 1.0;
    const auto bi = baseline_index(r);
    if (!bi) return c;
    for (const auto& l : r.schemes[*bi].layers) c.categories.push_back(l.name);
    for (const auto& sc : cmp) {
        if (sc.name == "dense") continue;
        Series se{sc.name, {}};
        for (const auto& l : sc.layers)
            se.values.push_back(nan_or(speedup ? l.speedup : l.compression));
        c.series.push_back(std::move(se));
    }
    return c;
}

// Cells by state, one bar group per state and one bar per scheme (a histogram per scheme): the
// stored cells, or the cell reads the simulator counted (what per-state read energies price).
// No chart (empty categories) when no scheme has more than one state.
BarChart by_cell_state(const EvalResult& r, bool reads) {
    BarChart c;
    c.title = reads ? "Cell reads by state (all simulated images)" : "Stored cells by state";
    c.y_label = reads ? "cell reads" : "stored cells";
    size_t states = 0;
    for (const auto& s : r.schemes)
        states =
            std::max(states, reads ? s.stats.cell_reads_by_state.size() : s.cell_states.size());
    if (states < 2) return c;
    int bits = 0;
    while ((size_t{1} << bits) < states) ++bits;
    for (size_t st = 0; st < states; ++st) {
        std::string label;
        for (int b = bits - 1; b >= 0; --b) label += ((st >> b) & 1) ? '1' : '0';
        c.categories.push_back(label);
    }
    for (const auto& s : r.schemes) {
        Series se{s.name, {}};
        for (size_t st = 0; st < states; ++st) {
            if (reads)
                se.values.push_back(st < s.stats.cell_reads_by_state.size()
                                        ? static_cast<double>(s.stats.cell_reads_by_state[st])
                                        : 0.0);
            else
                se.values.push_back(
                    st < s.cell_states.size() ? static_cast<double>(s.cell_states[st]) : 0.0);
        }
        c.series.push_back(std::move(se));
    }
    return c;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char ch : s) o += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return o + "\"";
}

std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

std::string table_html(const TextTable& t) {
    std::string s = "<table><thead><tr>";
    for (const auto& h : t.header) s += "<th>" + xml_escape(h) + "</th>";
    s += "</tr></thead><tbody>";
    for (const auto& row : t.rows) {
        s += "<tr>";
        for (const auto& c : row) s += td(c);
        s += "</tr>";
    }
    return s + "</tbody></table>";
}

std::string render_html(const EvalResult& r) {
    const auto cmp = compare_schemes(r);
    std::string h =
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
        "<meta charset=\"utf-8\"/><title>sparsecim report: " +
        xml_escape(r.model) +
        "</title><style>"
        "body{font-family:sans-serif;margin:24px;color:#222;max-width:1600px}"
        "table{border-collapse:collapse;margin:8px 0 20px}"
        "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}"
        "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        ".charts{display:flex;flex-wrap:wrap}.charts svg{margin:6px;border:1px solid #eee}"
        ".note{color:#a33}"
        "</style></head><body>\n<h1>sparsecim: every scheme against dense</h1>\n<p>model <b>" +
        xml_escape(r.model) + "</b>";
    if (!r.model_note.empty())
        h += "<br/><span class=\"note\">" + xml_escape(r.model_note) + "</span>";
    if (!r.activations_note.empty())
        h += "<br/><span class=\"note\">activations " + xml_escape(r.activations_note) +
             ": every layer's inputs are synthetic (column &quot;activations&quot; below); "
             "cycles and energy follow that model, accuracy is not measured</span>";
    h += "<br/>hardware <b>" + xml_escape(r.hw.name) + "</b> (" + xml_escape(r.hw.source) +
         ")<br/>images simulated bit-serially: " + std::to_string(r.options.images);
    if (r.float_accuracy)
        h += "; float top-1 on " + std::to_string(r.options.accuracy_images) + " images of " +
             xml_escape(r.data) + ": " + fmt_pct(*r.float_accuracy);
    h += "<br/>sparsecim " + std::string(SPARSECIM_VERSION) + ", seed " +
         std::to_string(r.options.seed) + "</p>\n<h2>Summary</h2>\n";

    TextTable t;
    t.header = {"scheme",
                "crossbars",
                "area (mm2)",
                "stored cells",
                "compression",
                "sparsity util.",
                "weight sparsity",
                "OU ops",
                "OU ops skipped",
                "cycles",
                "speedup",
                "energy (nJ)",
                "energy eff.",
                "area eff.",
                "index bits",
                "accuracy",
                "ADC accuracy change",
                "mismatches (real ADC)"};
    for (size_t i = 0; i < r.schemes.size(); ++i) {
        const SchemeResult& s = r.schemes[i];
        const SchemeComparison& c = cmp[i];
        t.rows.push_back(
            {s.name, fmt_int(s.footprint.crossbars), fmt_sci(s.cost.total_area_um2() * 1e-6),
             fmt_int(s.footprint.stored_cells), opt_ratio(c.compression),
             opt_pct(c.sparsity_utilization), fmt_pct(s.weight_sparsity),
             fmt_int(static_cast<int64_t>(s.stats.ou_ops)),
             fmt_int(static_cast<int64_t>(s.stats.ou_ops_skipped)),
             fmt_int(static_cast<int64_t>(s.stats.cycles)), opt_ratio(c.speedup),
             fmt_sci(s.cost.total_energy_pj() * 1e-3), opt_ratio(c.energy_eff),
             opt_ratio(c.area_eff), fmt_int(s.footprint.index_bits), opt_pct(s.accuracy),
             s.adc_sim_accuracy ? fmt_pct(*s.adc_sim_accuracy - *s.adc_exact_accuracy) : "-",
             s.outputs_checked ? fmt_pct(static_cast<double>(s.mismatches) /
                                         static_cast<double>(s.outputs_checked))
                               : "-"});
    }
    if (r.options.finetune_epochs > 0) {
        const auto at = std::find(t.header.begin(), t.header.end(), "accuracy") - t.header.begin();
        t.header.insert(t.header.begin() + at + 1, "accuracy finetuned");
        for (size_t i = 0; i < r.schemes.size(); ++i)
            t.rows[i].insert(t.rows[i].begin() + at + 1, opt_pct(r.schemes[i].finetuned_accuracy));
    }
    h += table_html(t);
    h += "<p>Ratios are dense / scheme on the same model, hardware and images (higher is "
         "better), each against dense on the cell bits and zero-input skipping the scheme uses "
         "(its baseline below). Sparsity utilization: cells saved over dense / cells the zero "
         "weights occupy in the dense mapping.</p>\n";
    TextTable fair;
    fair.header = {"scheme",
                   "baseline",
                   "compression vs the run's dense",
                   "speedup vs the run's dense",
                   "energy eff. vs the run's dense",
                   "area eff. vs the run's dense"};
    for (const SchemeComparison& c : cmp)
        if (c.vs_run_dense)
            fair.rows.push_back({c.name, c.baseline, opt_ratio(c.vs_run_dense->compression),
                                 opt_ratio(c.vs_run_dense->speedup),
                                 opt_ratio(c.vs_run_dense->energy_eff),
                                 opt_ratio(c.vs_run_dense->area_eff)});
    if (!fair.rows.empty())
        h += "<h2>Baselines</h2>\n<p>dense[cell_bits=N]: the run's dense model on N-bit cells; "
             "dense[skip_zero]: with the zero-input OU skipping of csr and pattern. The same "
             "schemes against the run's dense:</p>\n" +
             table_html(fair);
    h += "<h2>Charts</h2>\n<div class=\"charts\">\n";
    h += svg_bar_chart(by_component(r, true)) + "\n";
    h += svg_bar_chart(by_component(r, false)) + "\n";
    h += svg_bar_chart(per_layer(r, cmp, true)) + "\n";
    h += svg_bar_chart(per_layer(r, cmp, false)) + "\n";
    Scatter sc;
    sc.title = "Accuracy against energy efficiency";
    sc.x_label = "energy efficiency over dense (x)";
    sc.y_label = "top-1 accuracy (%)";
    for (size_t i = 0; i < r.schemes.size(); ++i)
        sc.points.push_back({r.schemes[i].name, nan_or(cmp[i].energy_eff),
                             r.schemes[i].accuracy ? *r.schemes[i].accuracy * 100 : std::nan("")});
    h += svg_scatter(sc) + "\n";
    for (bool reads : {false, true})
        if (const BarChart c = by_cell_state(r, reads); !c.categories.empty())
            h += svg_bar_chart(c) + "\n";
    h += "</div>\n";

    h += "<h2>Per layer</h2>\n";
    for (size_t i = 0; i < r.schemes.size(); ++i) {
        const SchemeResult& s = r.schemes[i];
        TextTable lt;
        lt.header = {"layer",     "op",          "K x N",        "activations", "weight sparsity",
                     "crossbars", "array util.", "stored cells", "OU ops",      "skipped",
                     "cycles",    "energy (nJ)", "speedup",      "compression", "notes"};
        for (size_t li = 0; li < s.layers.size(); ++li) {
            const LayerResult& l = s.layers[li];
            std::string notes;
            for (const auto& n : l.notes) notes += (notes.empty() ? "" : "; ") + n;
            lt.rows.push_back(
                {l.name, l.op,
                 std::to_string(l.K) + " x " + std::to_string(l.N) +
                     (l.groups > 1 ? ", " + std::to_string(l.groups) + " groups" : ""),
                 activation_label(l), fmt_pct(l.weight_sparsity), fmt_int(l.footprint.crossbars),
                 fmt_pct(l.footprint.array_utilization()), fmt_int(l.footprint.stored_cells),
                 fmt_int(static_cast<int64_t>(l.stats.ou_ops)),
                 fmt_int(static_cast<int64_t>(l.stats.ou_ops_skipped)),
                 fmt_int(static_cast<int64_t>(l.stats.cycles)),
                 fmt_sci(l.cost.total_energy_pj() * 1e-3), opt_ratio(cmp[i].layers[li].speedup),
                 opt_ratio(cmp[i].layers[li].compression), notes});
        }
        h += "<h3>" + xml_escape(s.name) + "</h3><p>" + xml_escape(s.summary) + "</p>" +
             table_html(lt);
        if (!s.figures.empty()) {
            TextTable ft;
            ft.header = {"scheme figure (summed over layers)", "value"};
            for (const auto& [k, v] : s.figures) ft.rows.push_back({k, num(v)});
            h += table_html(ft);
        }
    }
    return h + "</body></html>\n";
}

std::string layers_csv(const EvalResult& r) {
    const auto cmp = compare_schemes(r);
    std::string s =
        "scheme,layer,op,K,N,positions,weight_sparsity,crossbars,stored_cells,index_bits,ou_ops,"
        "ou_ops_skipped,cycles,energy_pj,area_mm2,outputs_checked,mismatches,speedup_vs_dense,"
        "compression_vs_dense,activations,activation_density,bit_density,array_utilization\n";
    for (size_t i = 0; i < r.schemes.size(); ++i)
        for (size_t li = 0; li < r.schemes[i].layers.size(); ++li) {
            const LayerResult& l = r.schemes[i].layers[li];
            const LayerComparison& c = cmp[i].layers[li];
            s += csv_field(r.schemes[i].name) + "," + csv_field(l.name) + "," + csv_field(l.op) +
                 "," + std::to_string(l.K) + "," + std::to_string(l.N) + "," +
                 std::to_string(l.positions) + "," + num(l.weight_sparsity) + "," +
                 std::to_string(l.footprint.crossbars) + "," +
                 std::to_string(l.footprint.stored_cells) + "," +
                 std::to_string(l.footprint.index_bits) + "," + std::to_string(l.stats.ou_ops) +
                 "," + std::to_string(l.stats.ou_ops_skipped) + "," +
                 std::to_string(l.stats.cycles) + "," + num(l.cost.total_energy_pj()) + "," +
                 num(l.cost.total_area_um2() * 1e-6) + "," + std::to_string(l.outputs_checked) +
                 "," + std::to_string(l.mismatches) + "," + (c.speedup ? num(*c.speedup) : "") +
                 "," + (c.compression ? num(*c.compression) : "") + "," +
                 (l.modelled
                      ? "modelled," + num(l.model.density) + "," + num(l.model.bit_density)
                      : "trace," + num(l.measured.density) + "," + num(l.measured.bit_density)) +
                 "," + num(l.footprint.array_utilization()) + "\n";
        }
    return s;
}

std::filesystem::path write_report_files(const EvalResult& r, const std::filesystem::path& dir) {
    const std::string json = results_json_text(r);
    const std::string csv = layers_csv(r);
    const std::string html = render_html(r);
    write_file_atomic(dir / "results.json", json);
    write_file_atomic(dir / "layers.csv", csv);
    write_file_atomic(dir / "report.html", html);
    return dir / "results.json";
}

}  // namespace sparsecim
