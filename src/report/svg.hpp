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
    int series = -1;         // with Scatter::series: which one (its colour and legend entry)
    bool highlight = false;  // drawn larger with a dark ring (e.g. on the Pareto front)
};

struct Scatter {
    std::string title;
    std::string x_label, y_label;
    std::vector<ScatterPoint> points;
    // Empty: every point its own colour, legend entry and text label. Else points are coloured
    // by their series, the legend lists these names, and labels show on hover only (many points).
    std::vector<std::string> series;
};

std::string svg_bar_chart(const BarChart& c);
std::string svg_scatter(const Scatter& s);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string xml_escape(const std::string& s);

// Axis ticks: about `target` round values (1, 2, 5 x 10^k steps) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

}  // namespace sparsecim
