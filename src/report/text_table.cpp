// Column widths from the widest cell; a cell that parses as a number is right-aligned.
#include "report/text_table.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace sparsecim {

namespace {
bool numeric(const std::string& s) {
    if (s.empty()) return false;
    const char c = s[0];
    return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.';
}
}  // namespace

std::string TextTable::render() const {
    std::vector<size_t> w(header.size(), 0);
    for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
    std::string out;
    auto line = [&](const std::vector<std::string>& cells, bool is_header) {
        for (size_t i = 0; i < w.size(); ++i) {
            const std::string c = i < cells.size() ? cells[i] : "";
            const std::string pad(w[i] - c.size(), ' ');
            if (i) out += "  ";
            if (!is_header && numeric(c))
                out += pad + c;
            else
                out += c + (i + 1 < w.size() ? pad : "");
        }
        out += '\n';
    };
    line(header, true);
    size_t total = 0;
    for (size_t x : w) total += x;
    out += std::string(total + 2 * (w.empty() ? 0 : w.size() - 1), '-') + '\n';
    for (const auto& r : rows) line(r, false);
    return out;
}

std::string fmt_int(int64_t v) {
    std::string s = std::to_string(v < 0 ? -v : v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<size_t>(i), ",");
    return v < 0 ? "-" + s : s;
}

std::string fmt_sci(double v) {
    char buf[64];
    if (v != 0.0 && (std::fabs(v) >= 1e4 || std::fabs(v) < 1e-2))
        std::snprintf(buf, sizeof buf, "%.3g", v);
    else
        std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::string fmt_pct(double f) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * f);
    return buf;
}

std::string fmt_sci_short(double v) {
    std::string s = fmt_sci(v);
    const size_t e = s.find('e');
    if (e == std::string::npos) return s;
    std::string exp = s.substr(e + 1);
    const bool neg = !exp.empty() && exp[0] == '-';
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) exp.erase(0, 1);
    while (exp.size() > 1 && exp[0] == '0') exp.erase(0, 1);
    return s.substr(0, e + 1) + (neg ? "-" : "") + exp;
}

std::string fmt_pct_short(double f) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * f);
    return buf;
}

std::string wrap_text(const std::string& text, size_t width, const std::string& indent) {
    // Words keep the spaces before them (so aligned labels stay aligned) except at a break.
    std::string out, line;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t word_at = text.find_first_not_of(' ', pos);
        if (word_at == std::string::npos) break;
        size_t end = text.find(' ', word_at);
        if (end == std::string::npos) end = text.size();
        const std::string gap = text.substr(pos, word_at - pos);
        const std::string word = text.substr(word_at, end - word_at);
        pos = end;
        const bool fresh = line.empty() || (!out.empty() && line == indent);
        if (!fresh && line.size() + gap.size() + word.size() > width) {
            out += line + '\n';
            line = indent + word;
        } else {
            line += gap + word;
        }
    }
    return out + line + '\n';
}

}  // namespace sparsecim
