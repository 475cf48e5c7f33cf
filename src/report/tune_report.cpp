#include "report/tune_report.hpp"

#include <cstdio>

#include "core/atomic_file.hpp"
#include "report/html_report.hpp"
#include "report/svg.hpp"
#include "report/text_table.hpp"

namespace sparsecim {

namespace {

std::string fixed(double v, const char* fmt) {
    char buf[48];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

}  // namespace

std::string render_tune_html(const TuneResult& t) {
    const nlohmann::json j = tune_json(t);
    std::string charts, body;
    TextTable table;
    table.header = {"scheme",
                    "knob",
                    "chosen",
                    "val top-1",
                    "dense val top-1",
                    "drop (pp)",
                    "metric",
                    "efficiency (val run)",
                    "verified val top-1",
                    "test top-1",
                    "dense test top-1"};
    for (size_t s = 0; s < t.schemes.size(); ++s) {
        const TuneScheme& ts = t.schemes[s];
        const nlohmann::json& js = j["schemes"][s];
        Scatter sc;
        sc.title = ts.scheme + ": " + ts.metric + " against validation top-1";
        sc.x_label = "top-1 on the validation split (%)";
        sc.y_label = ts.metric + " (x vs dense)";
        sc.series = {"candidates", "on the frontier", "chosen", "dense",
                     "verified (full finetune)"};
        for (size_t i = 0; i < ts.candidates.size(); ++i) {
            const TuneCandidate& c = ts.candidates[i];
            ScatterPoint p;
            p.label = ts.key + "=" + c.value;
            p.x = 100.0 * c.val_top1;
            p.y = c.efficiency;
            p.series = i == ts.chosen ? 2 : js["candidates"][i]["on_frontier"].get<bool>() ? 1 : 0;
            p.highlight = i == ts.chosen;
            sc.points.push_back(p);
            if (c.verified_top1) {
                ScatterPoint v = p;
                v.label += " verified";
                v.x = 100.0 * *c.verified_top1;
                v.series = 4;
                v.highlight = false;
                sc.points.push_back(v);
            }
        }
        if (!ts.candidates.empty())
            sc.points.push_back({"dense", 100.0 * ts.candidates.front().dense_val_top1, 1.0, 3});
        charts += svg_scatter(sc);
        if (ts.candidates.empty()) continue;
        const TuneCandidate& c = ts.candidates[ts.chosen];
        auto pct = [](const nlohmann::json& v) {
            return v.is_number() ? fixed(100.0 * v.get<double>(), "%.2f%%") : std::string("-");
        };
        table.rows.push_back(
            {ts.scheme, ts.key, c.value + (ts.within ? "" : " (none within)"),
             fixed(100.0 * c.val_top1, "%.2f%%"), fixed(100.0 * c.dense_val_top1, "%.2f%%"),
             fixed(100.0 * (c.dense_val_top1 - c.val_top1), "%.2f"), ts.metric,
             fixed(c.efficiency, "%.2fx"),
             c.verified_top1 ? fixed(100.0 * *c.verified_top1, "%.2f%%") : std::string("-"),
             pct(js.value("test_top1", nlohmann::json())), pct(j["dense_test_top1"])});
    }
    return "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
           "<meta charset=\"utf-8\"/><title>sparsecim tune: " +
           xml_escape(t.final.model) +
           "</title><style>body{font-family:sans-serif;margin:20px}table{border-collapse:"
           "collapse}th,td{border:1px solid #bbb;padding:2px 6px;font-size:13px;text-align:"
           "right}.charts{display:flex;flex-wrap:wrap}</style></head><body>\n<h1>Iso-accuracy "
           "search: " +
           xml_escape(t.final.model) +
           "</h1>\n<p>Each scheme's knob ranked by a short finetune "
           "scored on the validation split (with --verify, the frontier above the ranking's "
           "choice bisected by full finetunes, plotted as 'verified'); chosen: the most efficient "
           "value within " +
           fixed(t.max_drop_pp, "%.2f") +
           " pp of dense (ringed). The test top-1 is from the final, full finetune at the "
           "chosen value (report.html).</p>\n" +
           table_html(table) + "<div class=\"charts\">" + charts + "</div>\n</body></html>\n";
}

std::filesystem::path write_tune_files(const TuneResult& t, const std::filesystem::path& dir) {
    const std::string json = tune_json(t).dump(2) + "\n";
    const std::string html = render_tune_html(t);
    write_report_files(t.final, dir);
    write_file_atomic(dir / "tune.json", json);
    write_file_atomic(dir / "tune.html", html);
    return dir / "tune.html";
}

}  // namespace sparsecim
