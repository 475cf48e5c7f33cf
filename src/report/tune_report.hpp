// The files of an iso-accuracy search (`sparsecim tune`): tune.json (every candidate, the
// frontiers, the choices and their test figures), tune.html (each scheme's accuracy-efficiency
// plane with its frontier and chosen point), and the final run's results.json/report.html.
#pragma once

#include <filesystem>

#include "results/tune.hpp"

namespace sparsecim {

std::string render_tune_html(const TuneResult& t);

// Writes tune.json, tune.html and the final run's report files into `dir`. Returns tune.html.
std::filesystem::path write_tune_files(const TuneResult& t, const std::filesystem::path& dir);

}  // namespace sparsecim
