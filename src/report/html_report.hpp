// report.html: one self-contained page (inline SVG charts, inline CSS, no script, no network) with
// the comparison of every scheme against dense; and layers.csv, one row per scheme x layer.
#pragma once

#include <filesystem>
#include <string>

#include "report/text_table.hpp"
#include "results/results.hpp"

namespace sparsecim {

std::string render_html(const EvalResult& r);
// A TextTable as an HTML <table> (cells escaped).
std::string table_html(const TextTable& t);
std::string layers_csv(const EvalResult& r);

// Writes results.json, layers.csv and report.html into `dir` (each atomically, all rendered before
// the first is written). Returns the path of results.json.
std::filesystem::path write_report_files(const EvalResult& r, const std::filesystem::path& dir);

}  // namespace sparsecim
