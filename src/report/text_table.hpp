// TextTable: an aligned plain-text table (numbers right-aligned, text left-aligned).
#pragma once

#include <string>
#include <vector>

namespace sparsecim {

struct TextTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::string render() const;
};

// Compact human number formats.
std::string fmt_int(int64_t v);        // 1234567 -> "1,234,567"
std::string fmt_sci(double v);         // "1.23e+06" (3 digits) from 1e4 on, else 4 digits: "512.3"
std::string fmt_pct(double fraction);  // 0.1234 -> "12.34%"

}  // namespace sparsecim
