#include "report/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "report/html_report.hpp"
#include "report/svg.hpp"
#include "report/text_table.hpp"

namespace sparsecim {

namespace {

double num_or_nan(const nlohmann::json& v) {
    return v.is_number() ? v.get<double>() : std::nan("");
}

std::string num(double v) {
    if (std::isnan(v)) return "";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

std::vector<bool> pareto_optimal(const std::vector<std::vector<double>>& points) {
    std::vector<bool> out(points.size(), false);
    auto finite = [](const std::vector<double>& p) {
        return std::all_of(p.begin(), p.end(), [](double v) { return std::isfinite(v); });
    };
    for (size_t i = 0; i < points.size(); ++i) {
        if (!finite(points[i])) continue;
        bool dominated = false;
        for (size_t j = 0; j < points.size() && !dominated; ++j) {
            if (j == i || !finite(points[j])) continue;
            bool no_worse = true, better = false;
            for (size_t k = 0; k < points[i].size(); ++k) {
                no_worse = no_worse && points[j][k] <= points[i][k];
                better = better || points[j][k] < points[i][k];
            }
            dominated = no_worse && better;
        }
        out[i] = !dominated;
    }
    return out;
}

namespace {

std::string csv_field(const std::string& v) {
    if (v.find_first_of(",\"\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// One scheme entry of one point, with the figures the report plots.
struct Entry {
    std::string id, scheme;
    double accuracy, energy_nj, area_mm2, speedup, index_kbit;
};

// Per (model, hardware) group, every figure against the points in file order (categories: the
// points' axis values), one bar per non-dense scheme: a one-axis study's sweet spot shows as a
// peak. The ratios (without dense) carry a reference line at 1; top-1 shows dense too.
std::string charts_by_point(const std::vector<std::string>& axes,
                            const std::vector<nlohmann::json>& records) {
    std::vector<std::string> groups;
    for (const nlohmann::json& rec : records) {
        const std::string g = rec.value("group", "");
        if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    }
    std::string axes_text;
    for (const auto& a : axes) axes_text += (axes_text.empty() ? "" : " / ") + a;
    std::string out;
    for (const std::string& group : groups) {
        std::vector<std::string> labels, schemes;
        std::vector<const nlohmann::json*> runs;
        for (const nlohmann::json& rec : records) {
            if (rec.value("group", "") != group) continue;
            std::string label;
            for (const auto& a : axes)
                if (rec["coords"].contains(a) && rec["coords"][a].is_string())
                    label += (label.empty() ? "" : " / ") + rec["coords"][a].get<std::string>();
            labels.push_back(label.empty() ? rec.value("id", "") : label);
            runs.push_back(&rec["results"]);
            for (const auto& s : rec["results"]["schemes"]) {
                const std::string name = s.value("name", "");
                if (name != "dense" &&
                    std::find(schemes.begin(), schemes.end(), name) == schemes.end())
                    schemes.push_back(name);
            }
        }
        schemes.push_back("dense");  // last, so a scheme keeps its colour in every chart
        auto chart = [&](const std::string& title, const std::string& y_label, double scale,
                         std::vector<const char*> path, std::optional<double> reference) {
            BarChart c{title + " (" + axes_text + ")", y_label, labels, {}, false, reference};
            bool any = false;
            for (const std::string& name : schemes) {
                if (reference && name == "dense") continue;  // a ratio against itself
                Series se{name, {}};
                for (const nlohmann::json* run : runs) {
                    double v = std::nan("");
                    for (const auto& s : (*run)["schemes"]) {
                        if (s.value("name", "") != name) continue;
                        const nlohmann::json* x = &s;
                        for (const char* k : path)
                            if (x) x = x->is_object() && x->contains(k) ? &(*x)[k] : nullptr;
                        if (x) v = num_or_nan(*x) * scale;
                    }
                    any = any || !std::isnan(v);
                    se.values.push_back(v);
                }
                c.series.push_back(std::move(se));
            }
            // No value at all (top-1 of a model on modelled activations): no empty chart.
            return any ? svg_bar_chart(c) + "\n" : std::string();
        };
        out += "<h2>" + xml_escape(group) + ": figures by point</h2>\n<div class=\"charts\">\n" +
               chart("Energy efficiency over dense", "dense energy / energy", 1.0,
                     {"vs_dense", "energy_efficiency"}, 1.0) +
               chart("Area efficiency over dense", "dense area / area", 1.0,
                     {"vs_dense", "area_efficiency"}, 1.0) +
               chart("Speedup over dense", "dense cycles / cycles", 1.0, {"vs_dense", "speedup"},
                     1.0) +
               chart("Top-1 accuracy", "top-1 (%)", 100.0, {"accuracy"}, std::nullopt) +
               chart("Top-1 through the real devices and ADC (mean of the trials)", "top-1 (%)",
                     100.0, {"nonideal", "top1_mean"}, std::nullopt) +
               chart("Energy", "energy (nJ)", 1e-3, {"energy_pj"}, std::nullopt);
        // Each non-dense entry's energy, stacked by the components it spends it in.
        for (const std::string& name : schemes) {
            if (name == "dense") continue;
            BarChart parts{name + ": energy by component (" + axes_text + ")",
                           "energy (nJ)",
                           labels,
                           {},
                           true,
                           std::nullopt};
            std::vector<std::string> comps;
            for (const nlohmann::json* run : runs)
                for (const auto& s : (*run)["schemes"])
                    if (s.value("name", "") == name && s["energy_pj_by_component"].is_object())
                        for (const auto& [k, v] : s["energy_pj_by_component"].items())
                            if (num_or_nan(v) != 0.0 &&
                                std::find(comps.begin(), comps.end(), k) == comps.end())
                                comps.push_back(k);
            for (const std::string& c : comps) {
                Series se{c, {}};
                for (const nlohmann::json* run : runs) {
                    double v = 0.0;
                    for (const auto& s : (*run)["schemes"])
                        if (s.value("name", "") == name && s["energy_pj_by_component"].is_object())
                            v = num_or_nan(s["energy_pj_by_component"].value(c, 0.0)) * 1e-3;
                    se.values.push_back(v);
                }
                parts.series.push_back(std::move(se));
            }
            if (!comps.empty()) out += svg_bar_chart(parts) + "\n";
        }
        out += "</div>\n";
    }
    return out;
}

}  // namespace

std::filesystem::path write_sweep_results(const std::string& name,
                                          const std::vector<std::string>& axes,
                                          const std::vector<nlohmann::json>& records,
                                          const std::filesystem::path& dir) {
    static const std::vector<std::pair<const char*, std::vector<const char*>>> kFigures = {
        {"accuracy", {"accuracy"}},
        {"energy_pj", {"energy_pj"}},
        {"area_mm2", {"area_mm2"}},
        {"cycles", {"cycles"}},
        {"latency_ns", {"latency_ns"}},
        {"crossbars", {"crossbars"}},
        {"stored_cells", {"stored_cells"}},
        {"index_bits", {"index_bits"}},
        {"weight_sparsity", {"weight_sparsity"}},
        {"speedup", {"vs_dense", "speedup"}},
        {"energy_efficiency", {"vs_dense", "energy_efficiency"}},
        {"area_efficiency", {"vs_dense", "area_efficiency"}},
        {"compression", {"vs_dense", "compression"}},
        {"ideal_mismatches", {"ideal_mismatches"}},
        {"nonideal_top1_mean", {"nonideal", "top1_mean"}},
        {"nonideal_top1_std", {"nonideal", "top1_std"}},
        {"rms_error", {"rms_error"}}};
    auto figure = [](const nlohmann::json& s, const std::vector<const char*>& path) {
        const nlohmann::json* v = &s;
        for (const char* k : path) {
            if (!v->is_object() || !v->contains(k)) return std::nan("");
            v = &(*v)[k];
        }
        return num_or_nan(*v);
    };
    std::string csv = "id,group";
    for (const auto& a : axes) csv += "," + csv_field(a);
    csv += ",scheme,finetuned_from";
    for (const auto& [col, path] : kFigures) csv += std::string(",") + col;
    csv += ",stored_cell_states,energy_pj_by_component\n";
    std::vector<Entry> entries;
    std::vector<std::string> schemes;
    for (const nlohmann::json& rec : records) {
        const std::string id = rec.value("id", "");
        for (const auto& s : rec["results"]["schemes"]) {
            const std::string scheme = s.value("name", "");
            csv += csv_field(id) + "," + csv_field(rec.value("group", ""));
            for (const auto& a : axes)
                csv += "," + csv_field(rec["coords"].contains(a) && rec["coords"][a].is_string()
                                           ? rec["coords"][a].get<std::string>()
                                           : "");
            csv += "," + scheme + "," +
                   (s["finetuned_from"].is_string() ? s["finetuned_from"].get<std::string>() : "");
            for (const auto& [col, path] : kFigures) csv += "," + num(figure(s, path));
            // Cell counts by state (`;`-separated) and energy by component (`name=pJ;...`).
            std::string states, comps;
            if (s["stored_cell_states"].is_array())
                for (const auto& c : s["stored_cell_states"])
                    states += (states.empty() ? "" : ";") + c.dump();
            if (s["energy_pj_by_component"].is_object())
                for (const auto& [k, e] : s["energy_pj_by_component"].items())
                    comps += (comps.empty() ? "" : ";") + k + "=" + num(num_or_nan(e));
            csv += "," + csv_field(states) + "," + csv_field(comps) + "\n";
            if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end())
                schemes.push_back(scheme);
            entries.push_back({id, scheme, figure(s, {"accuracy"}) * 100.0,
                               figure(s, {"energy_pj"}) * 1e-3, figure(s, {"area_mm2"}),
                               figure(s, {"vs_dense", "speedup"}),
                               figure(s, {"index_bits"}) / 1024.0});
        }
    }
    // Dense last, as in the charts by point, so that a scheme has one colour in every chart.
    if (const auto d = std::find(schemes.begin(), schemes.end(), "dense"); d != schemes.end())
        std::rotate(d, d + 1, schemes.end());
    auto series_of_entry = [&](const Entry& e) {
        return static_cast<int>(std::find(schemes.begin(), schemes.end(), e.scheme) -
                                schemes.begin());
    };
    // One plot per figure pair; the Pareto front over all entries marked.
    auto plot = [&](const std::string& title, const std::string& xl, const std::string& yl, auto xy,
                    auto objectives) {
        std::vector<std::vector<double>> obj;
        for (const Entry& e : entries) obj.push_back(objectives(e));
        const std::vector<bool> front = pareto_optimal(obj);
        Scatter sc{title, xl, yl, {}, schemes};
        for (size_t i = 0; i < entries.size(); ++i) {
            const auto [x, y] = xy(entries[i]);
            sc.points.push_back({entries[i].id + " " + entries[i].scheme, x, y,
                                 series_of_entry(entries[i]), front[i]});
        }
        return svg_scatter(sc);
    };
    std::string body = "<div class=\"charts\">\n";
    body += plot(
                "Energy against area", "area (mm^2)", "energy (nJ)",
                [](const Entry& e) {
                    return std::pair{e.area_mm2, e.energy_nj};
                },
                [](const Entry& e) {
                    return std::vector<double>{e.area_mm2, e.energy_nj};
                }) +
            "\n";
    body += plot(
                "Top-1 accuracy against energy", "energy (nJ)", "top-1 (%)",
                [](const Entry& e) {
                    return std::pair{e.energy_nj, e.accuracy};
                },
                [](const Entry& e) {
                    return std::vector<double>{e.energy_nj, -e.accuracy};
                }) +
            "\n";
    body += plot(
                "Speedup over dense against index storage", "index (kbit)", "speedup (x)",
                [](const Entry& e) {
                    return std::pair{e.index_kbit, e.speedup};
                },
                [](const Entry& e) {
                    return std::vector<double>{e.index_kbit, -e.speedup};
                }) +
            "\n</div>\n";
    body += charts_by_point(axes, records);
    // The entries no other beats in energy, area and accuracy together.
    std::vector<std::vector<double>> obj;
    for (const Entry& e : entries) obj.push_back({e.energy_nj, e.area_mm2, -e.accuracy});
    const std::vector<bool> front = pareto_optimal(obj);
    TextTable t;
    t.header = {"point",       "scheme",  "top-1",       "energy (nJ)",
                "area (mm^2)", "speedup", "index (kbit)"};
    for (size_t i = 0; i < entries.size(); ++i) {
        if (!front[i]) continue;
        const Entry& e = entries[i];
        t.rows.push_back({e.id, e.scheme, std::isnan(e.accuracy) ? "-" : num(e.accuracy) + "%",
                          num(e.energy_nj), num(e.area_mm2),
                          std::isnan(e.speedup) ? "-" : num(e.speedup) + "x", num(e.index_kbit)});
    }
    body += "<h2>Pareto-optimal entries (energy, area, top-1)</h2>\n" + table_html(t);
    std::string axes_text;
    for (const auto& a : axes) axes_text += (axes_text.empty() ? "" : " x ") + a;
    const std::string html =
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
        "<meta charset=\"utf-8\"/><title>sparsecim sweep: " +
        xml_escape(name) +
        "</title><style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse}"
        "th,td{border:1px solid #bbb;padding:2px 6px;font-size:13px;text-align:right}"
        ".charts{display:flex;flex-wrap:wrap}</style></head><body>\n<h1>" +
        xml_escape(name) + ": " + std::to_string(records.size()) + " points over " +
        xml_escape(axes_text.empty() ? "(no axes)" : axes_text) +
        "</h1>\n<p>Ringed points are Pareto-optimal in the plot's two figures.</p>\n" + body +
        "</body></html>\n";
    write_file_atomic(dir / "sweep.csv", csv);
    write_file_atomic(dir / "sweep.html", html);
    return dir / "sweep.html";
}

int finish_sweep(const Experiment& ex, SweepLog& log, size_t kept, double seconds,
                 const std::string& how, const EvalCache& cache) {
    const auto records = log.take_records();
    const auto html = write_sweep_results(ex.name, axis_fields(ex), records, ex.out);
    const size_t run = ex.units.size() - kept;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "sweep %s: %zu points (%zu run, %zu kept from an earlier run) in %.2f s, %.2f "
                  "points/s, %s\n",
                  ex.name.c_str(), ex.units.size(), run, kept, seconds,
                  seconds > 0 ? static_cast<double>(run) / seconds : 0.0, how.c_str());
    std::string summary = buf;
    for (const auto& [stage, c] : cache.counts()) {
        std::snprintf(buf, sizeof buf, "  %-13s computed %lld, reused %lld (%.2f s computing)\n",
                      stage.c_str(), static_cast<long long>(c.computed),
                      static_cast<long long>(c.reused), c.seconds);
        summary += buf;
    }
    std::fprintf(stderr, "%s", summary.c_str());
    std::printf("sweep: %s\n", html.string().c_str());
    return sweep_exit_code(records);
}

}  // namespace sparsecim
