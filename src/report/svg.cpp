#include "report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sparsecim {

namespace {

constexpr double kW = 760, kH = 340;
constexpr double kLeft = 72, kRight = 170, kTop = 34, kBottom = 86;
// 20 distinguishable colours (Tableau 10 and its light variants, interleaved).
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
                                "#1f3b5c", "#ffbe7d", "#8c1c1e", "#b6e3dd", "#2c5e27",
                                "#f1e2a0", "#5e3a57", "#c9787f", "#d7b5a6", "#595959"};

const char* colour(size_t i) {
    return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string tick_label(double v) {
    char buf[32];
    const double a = std::fabs(v);
    if (a != 0.0 && (a >= 1e5 || a < 1e-2))
        std::snprintf(buf, sizeof buf, "%.0e", v);
    else
        std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string text(double x, double y, const std::string& s, const std::string& attrs = "") {
    return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" + (attrs.empty() ? "" : " " + attrs) +
           ">" + xml_escape(s) + "</text>";
}

std::string open_svg(const std::string& title) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kW) + "\" height=\"" +
           num(kH) + "\" viewBox=\"0 0 " + num(kW) + " " + num(kH) +
           "\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\"><title>" +
           xml_escape(title) + "</title>" +
           text(kW / 2, 18, title, "text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\"");
}

// Y axis with grid lines over [lo, hi]; returns the mapping value -> pixel.
struct Axis {
    double lo = 0, hi = 1, px_lo = 0, px_hi = 1;
    double at(double v) const { return px_lo + (v - lo) / (hi - lo) * (px_hi - px_lo); }
};

std::string y_axis(const Axis& a, const std::vector<double>& ticks, const std::string& label) {
    std::string s;
    for (double t : ticks) {
        const double y = a.at(t);
        s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kW - kRight) + "\" y1=\"" + num(y) +
             "\" y2=\"" + num(y) + "\" stroke=\"#ddd\"/>";
        s += text(kLeft - 6, y + 4, tick_label(t), "text-anchor=\"end\"");
    }
    s += text(16, (kTop + kH - kBottom) / 2, label,
              "text-anchor=\"middle\" transform=\"rotate(-90 16 " + num((kTop + kH - kBottom) / 2) +
                  ")\"");
    s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft) + "\" y1=\"" + num(kTop) +
         "\" y2=\"" + num(kH - kBottom) + "\" stroke=\"#333\"/>";
    return s;
}

std::string legend(const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) {
        const double y = kTop + 8 + static_cast<double>(i) * 16;
        s += "<rect x=\"" + num(kW - kRight + 14) + "\" y=\"" + num(y - 9) +
             "\" width=\"10\" height=\"10\" fill=\"" + colour(i) + "\"/>";
        s += text(kW - kRight + 29, y, names[i]);
    }
    return s;
}

}  // namespace

std::string xml_escape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) switch (c) {
            case '&':
                o += "&amp;";
                break;
            case '<':
                o += "&lt;";
                break;
            case '>':
                o += "&gt;";
                break;
            case '"':
                o += "&quot;";
                break;
            case '\'':
                o += "&#39;";
                break;
            default:
                o += c;
        }
    return o;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    if (!(hi > lo)) hi = lo + 1.0;
    const double raw = (hi - lo) / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    // From the step at or below lo to the step at or above hi, so the ticks cover the range.
    const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
    std::vector<double> t;
    for (double i = first; i <= last; i += 1.0) t.push_back(i == 0.0 ? 0.0 : i * step);
    if (t.size() < 2) t.push_back((last + 1.0) * step);
    return t;
}

std::string svg_bar_chart(const BarChart& c) {
    std::string s = open_svg(c.title);
    const size_t nc = c.categories.size(), ns = c.series.size();
    auto value = [&](size_t si, size_t ci) {
        const auto& v = c.series[si].values;
        return ci < v.size() && std::isfinite(v[ci]) ? v[ci] : std::nan("");
    };
    double hi = c.reference.value_or(0.0), lo = 0.0;
    for (size_t ci = 0; ci < nc; ++ci) {
        double stack = 0.0;
        for (size_t si = 0; si < ns; ++si) {
            const double v = value(si, ci);
            if (std::isnan(v)) continue;
            if (c.stacked) {
                stack += v;
                hi = std::max(hi, stack);
            } else {
                hi = std::max(hi, v);
                lo = std::min(lo, v);
            }
        }
    }
    const std::vector<double> ticks = nice_ticks(lo, hi > lo ? hi : lo + 1.0);
    const Axis a{ticks.front(), ticks.back(), kH - kBottom, kTop};
    s += y_axis(a, ticks, c.y_label);
    const double plot_w = kW - kLeft - kRight;
    const double group_w = nc ? plot_w / static_cast<double>(nc) : plot_w;
    const double bar_w =
        c.stacked || ns == 0 ? group_w * 0.6 : group_w * 0.8 / static_cast<double>(ns);
    for (size_t ci = 0; ci < nc; ++ci) {
        const double gx = kLeft + group_w * static_cast<double>(ci);
        double base = 0.0;
        for (size_t si = 0; si < ns; ++si) {
            const double v = value(si, ci);
            if (std::isnan(v)) continue;
            const double x = c.stacked ? gx + group_w * 0.2
                                       : gx + group_w * 0.1 + bar_w * static_cast<double>(si);
            const double v0 = c.stacked ? base : 0.0, v1 = c.stacked ? base + v : v;
            const double y0 = a.at(std::max(v0, v1)), y1 = a.at(std::min(v0, v1));
            s += "<rect x=\"" + num(x) + "\" y=\"" + num(y0) + "\" width=\"" + num(bar_w) +
                 "\" height=\"" + num(std::max(0.0, y1 - y0)) + "\" fill=\"" + colour(si) +
                 "\"><title>" +
                 xml_escape(c.categories[ci] + " / " + c.series[si].name + ": " + tick_label(v)) +
                 "</title></rect>";
            if (c.stacked) base += v;
        }
        const double lx = gx + group_w / 2, ly = kH - kBottom + 12;
        s += text(
            lx, ly, c.categories[ci],
            nc > 6 ? "text-anchor=\"end\" transform=\"rotate(-35 " + num(lx) + " " + num(ly) + ")\""
                   : "text-anchor=\"middle\"");
    }
    s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kW - kRight) + "\" y1=\"" + num(a.at(0)) +
         "\" y2=\"" + num(a.at(0)) + "\" stroke=\"#333\"/>";
    if (c.reference)
        s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kW - kRight) + "\" y1=\"" +
             num(a.at(*c.reference)) + "\" y2=\"" + num(a.at(*c.reference)) +
             "\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>";
    std::vector<std::string> names;
    for (const Series& se : c.series) names.push_back(se.name);
    return s + legend(names) + "</svg>";
}

std::string svg_scatter(const Scatter& sc) {
    std::string s = open_svg(sc.title);
    double xlo = 0, xhi = 1, ylo = 0, yhi = 1;
    bool first = true;
    for (const auto& p : sc.points) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
        xlo = first ? p.x : std::min(xlo, p.x);
        xhi = first ? p.x : std::max(xhi, p.x);
        ylo = first ? p.y : std::min(ylo, p.y);
        yhi = first ? p.y : std::max(yhi, p.y);
        first = false;
    }
    auto pad = [](double& lo, double& hi) {
        const double span = hi - lo > 0 ? hi - lo : std::max(1e-3, std::fabs(hi) * 0.1);
        lo -= span * 0.1;
        hi += span * 0.1;
    };
    pad(xlo, xhi);
    pad(ylo, yhi);
    const std::vector<double> yt = nice_ticks(ylo, yhi), xt = nice_ticks(xlo, xhi);
    const Axis ay{yt.front(), yt.back(), kH - kBottom, kTop};
    const Axis ax{xt.front(), xt.back(), kLeft, kW - kRight};
    s += y_axis(ay, yt, sc.y_label);
    for (double t : xt) {
        const double x = ax.at(t);
        s += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(kTop) + "\" y2=\"" +
             num(kH - kBottom) + "\" stroke=\"#eee\"/>";
        s += text(x, kH - kBottom + 14, tick_label(t), "text-anchor=\"middle\"");
    }
    s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kW - kRight) + "\" y1=\"" +
         num(kH - kBottom) + "\" y2=\"" + num(kH - kBottom) + "\" stroke=\"#333\"/>";
    s += text((kLeft + kW - kRight) / 2, kH - kBottom + 34, sc.x_label, "text-anchor=\"middle\"");
    const bool by_series = !sc.series.empty();
    std::vector<std::string> names = sc.series;
    for (size_t i = 0; i < sc.points.size(); ++i) {
        const auto& p = sc.points[i];
        if (!by_series) names.push_back(p.label);
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
        const size_t c = by_series ? static_cast<size_t>(std::max(0, p.series)) : i;
        s += "<circle cx=\"" + num(ax.at(p.x)) + "\" cy=\"" + num(ay.at(p.y)) + "\" r=\"" +
             (p.highlight ? "6\" stroke=\"#000\" stroke-width=\"2"
              : by_series ? "4"
                          : "6") +
             "\" fill=\"" + colour(c) + "\"><title>" +
             xml_escape(p.label + ": (" + tick_label(p.x) + ", " + tick_label(p.y) + ")") +
             "</title></circle>";
        if (!by_series) s += text(ax.at(p.x) + 8, ay.at(p.y) - 8, p.label);
    }
    return s + legend(names) + "</svg>";
}

}  // namespace sparsecim
