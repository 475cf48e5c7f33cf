#include "report/sweep_report.hpp"

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

// The entries of one group, in first-seen order, and a value per (point, entry) via `get`.
template <typename Get>
std::vector<Series> series_of(const std::vector<std::string>& entries,
                              const std::vector<nlohmann::json>& runs, Get get) {
    std::vector<Series> out;
    for (const auto& e : entries) {
        Series se{e, {}};
        for (const auto& run : runs) {
            double v = std::nan("");
            for (const auto& s : run["schemes"])
                if (s["name"] == e) v = get(s);
            se.values.push_back(v);
        }
        out.push_back(std::move(se));
    }
    return out;
}

}  // namespace

std::filesystem::path write_sweep_report(const std::string& experiment, const std::string& param,
                                         const std::vector<SweepPoint>& points,
                                         const std::filesystem::path& dir) {
    std::vector<std::string> groups;
    std::map<std::string, std::vector<std::pair<std::string, nlohmann::json>>> by_group;
    for (const SweepPoint& p : points) {
        nlohmann::json j = nlohmann::json::parse(read_file(p.results), nullptr, false);
        if (j.is_discarded() || !j["schemes"].is_array())
            throw Error(p.results.string() + ": not a results.json");
        if (!by_group.count(p.group)) groups.push_back(p.group);
        by_group[p.group].emplace_back(p.value, std::move(j));
    }
    std::string csv =
        "group,value,scheme,finetuned_from,accuracy,energy_pj,energy_efficiency,weight_sparsity,"
        "stored_cell_states,energy_pj_by_component\n";
    std::string body;
    for (const std::string& group : groups) {
        const auto& pts = by_group[group];
        std::vector<std::string> values, entries;
        std::vector<nlohmann::json> runs;
        for (const auto& [v, j] : pts) {
            values.push_back(v);
            runs.push_back(j);
            for (const auto& s : j["schemes"]) {
                const std::string name = s["name"];
                if (std::find(entries.begin(), entries.end(), name) == entries.end())
                    entries.push_back(name);
                std::string states, comps;
                for (const auto& c : s["stored_cell_states"])
                    states += (states.empty() ? "" : ";") + c.dump();
                for (const auto& [k, e] : s["energy_pj_by_component"].items())
                    comps += (comps.empty() ? "" : ";") + k + "=" + num(e.get<double>());
                csv += group + "," + v + "," + name + "," +
                       (s["finetuned_from"].is_string() ? s["finetuned_from"].get<std::string>()
                                                        : "") +
                       "," + num(num_or_nan(s["accuracy"])) + "," +
                       num(num_or_nan(s["energy_pj"])) + "," +
                       num(num_or_nan(s["vs_dense"]["energy_efficiency"])) + "," +
                       num(num_or_nan(s["weight_sparsity"])) + "," + states + "," + comps + "\n";
            }
        }
        BarChart acc{
            "Top-1 accuracy against " + param,
            "top-1 (%)",
            values,
            series_of(entries, runs,
                      [](const nlohmann::json& s) { return num_or_nan(s["accuracy"]) * 100.0; }),
            false,
            std::nullopt};
        BarChart energy{
            "Energy against " + param,
            "energy (nJ)",
            values,
            series_of(entries, runs,
                      [](const nlohmann::json& s) { return num_or_nan(s["energy_pj"]) * 1e-3; }),
            false,
            std::nullopt};
        std::vector<std::string> others;
        for (const auto& e : entries)
            if (e != "dense") others.push_back(e);
        BarChart eff{"Energy efficiency over dense against " + param,
                     "dense energy / energy",
                     values,
                     series_of(others, runs,
                               [](const nlohmann::json& s) {
                                   return num_or_nan(s["vs_dense"]["energy_efficiency"]);
                               }),
                     false,
                     1.0};
        body += "<h2>" + xml_escape(group) + "</h2>\n<div class=\"charts\">\n" +
                svg_bar_chart(acc) + "\n" + svg_bar_chart(energy) + "\n" + svg_bar_chart(eff) +
                "\n";
        for (const auto& e : others) {
            BarChart parts{
                e + ": energy by component", "energy (nJ)", values, {}, true, std::nullopt};
            std::vector<std::string> comps;
            for (const auto& run : runs)
                for (const auto& s : run["schemes"])
                    if (s["name"] == e)
                        for (const auto& [k, v] : s["energy_pj_by_component"].items())
                            if (v.get<double>() != 0.0 &&
                                std::find(comps.begin(), comps.end(), k) == comps.end())
                                comps.push_back(k);
            for (const auto& c : comps)
                parts.series.push_back(series_of({e}, runs, [&](const nlohmann::json& s) {
                                           const auto& m = s["energy_pj_by_component"];
                                           return m.contains(c) ? m[c].get<double>() * 1e-3 : 0.0;
                                       }).front());
            for (size_t i = 0; i < comps.size(); ++i) parts.series[i].name = comps[i];
            body += svg_bar_chart(parts) + "\n";
        }
        body += "</div>\n";
        TextTable t;
        t.header = {param,
                    "scheme",
                    "top-1",
                    "energy (nJ)",
                    "energy eff.",
                    "weight sparsity",
                    "stored cells by state"};
        for (size_t i = 0; i < runs.size(); ++i)
            for (const auto& s : runs[i]["schemes"]) {
                std::string states;
                for (const auto& c : s["stored_cell_states"])
                    states += (states.empty() ? "" : " / ") + c.dump();
                const double a = num_or_nan(s["accuracy"]);
                const double ee = num_or_nan(s["vs_dense"]["energy_efficiency"]);
                t.rows.push_back({values[i], s["name"].get<std::string>(),
                                  std::isnan(a) ? "-" : fmt_pct(a),
                                  fmt_sci(num_or_nan(s["energy_pj"]) * 1e-3),
                                  std::isnan(ee) ? "-" : num(ee) + "x",
                                  fmt_pct(num_or_nan(s["weight_sparsity"])), states});
            }
        body += table_html(t);
    }
    const std::string html =
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
        "<meta charset=\"utf-8\"/><title>sparsecim sweep: " +
        xml_escape(experiment) +
        "</title><style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse}"
        "th,td{border:1px solid #bbb;padding:2px 6px;font-size:13px;text-align:right}"
        ".charts{display:flex;flex-wrap:wrap}</style></head><body>\n<h1>" +
        xml_escape(experiment) + ": sweep of " + xml_escape(param) + "</h1>\n" + body +
        "</body></html>\n";
    write_file_atomic(dir / "sweep.csv", csv);
    write_file_atomic(dir / "sweep.html", html);
    return dir / "sweep.html";
}

}  // namespace sparsecim
