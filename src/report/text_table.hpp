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
// The terminal table's narrower forms: "1.23e6" (exponent without sign padding) and "12.3%".
std::string fmt_sci_short(double v);
std::string fmt_pct_short(double fraction);

// `text` broken at spaces into lines of at most `width` columns (a longer word stays whole); lines
// after the first start with `indent`. Every line ends with a newline.
std::string wrap_text(const std::string& text, size_t width, const std::string& indent);

}  // namespace sparsecim
