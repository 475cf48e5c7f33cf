// Small text helpers shared by the command line and the library.
#pragma once

#include <string>
#include <vector>

namespace sparsecim {

// The items of a `sep`-separated list, spaces removed, empty items dropped: "a, b,,c" -> a b c.
inline std::vector<std::string> split_list(const std::string& s, char sep = ',') {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else if (c != ' ') {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

}  // namespace sparsecim
