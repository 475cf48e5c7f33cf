// Small SVG chart writer for the self-contained HTML report: grouped or stacked bar charts and a
// labelled scatter plot, as plain text (no script, no external resource).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sparsecim {

struct Series {
    std::string name;
    std::vector<double> values;  // one per category; NaN = no bar
};

struct BarChart {
    std::string title;
    std::string y_label;
    std::vector<std::string> categories;
    std::vector<Series> series;
    bool stacked = false;
    std::optional<double> reference;  // a dashed horizontal line (e.g. 1 for ratios vs dense)
};

struct ScatterPoint {
    std::string label;
    double x = 0.0, y = 0.0;
};

struct Scatter {
    std::string title;
    std::string x_label, y_label;
    std::vector<ScatterPoint> points;
};

std::string svg_bar_chart(const BarChart& c);
std::string svg_scatter(const Scatter& s);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string xml_escape(const std::string& s);

// Axis ticks: about `target` round values (1, 2, 5 x 10^k steps) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

}  // namespace sparsecim
