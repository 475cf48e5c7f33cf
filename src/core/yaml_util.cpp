#include "core/yaml_util.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/error.hpp"

namespace sparsecim {

[[noreturn]] void fail(const std::string& source, const std::string& field,
                       const std::string& problem) {
    throw Error(source + ": " + field + ": " + problem);
}

std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a list";
    return "'" + node.Scalar() + "'";
}

int parse_int(const YAML::Node& node, const std::string& source, const std::string& key) {
    if (!node.IsScalar()) fail(source, key, "expected an integer, got " + describe(node));
    const std::string& s = node.Scalar();
    long long v = 0;
    const char* first = s.data();
    if (!s.empty() && s[0] == '+') ++first;
    const auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (s.empty() || ec == std::errc::invalid_argument || ptr != s.data() + s.size()) {
        fail(source, key, "expected an integer, got " + describe(node));
    }
    if (ec == std::errc::result_out_of_range || v < std::numeric_limits<int>::min() ||
        v > std::numeric_limits<int>::max()) {
        fail(source, key, "integer " + s + " out of range");
    }
    return static_cast<int>(v);
}

double parse_double(const YAML::Node& node, const std::string& source, const std::string& key) {
    if (!node.IsScalar()) fail(source, key, "expected a finite number, got " + describe(node));
    const std::string& s = node.Scalar();
    double v = 0.0;
    const char* first = s.data();
    if (!s.empty() && s[0] == '+') ++first;
    const auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
        fail(source, key, "expected a finite number, got " + describe(node));
    }
    return v;
}

std::string key_text(const YAML::Node& key_node, const std::string& source,
                     const std::string& where) {
    if (!key_node.IsScalar()) fail(source, where, "keys must be plain names");
    return key_node.Scalar();
}

namespace {

// Offset of the first byte that is not part of well-formed UTF-8 (no overlongs, no surrogates,
// at most U+10FFFF), or npos.
size_t invalid_utf8_at(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t len = 0;
        uint32_t cp = 0, min = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return i;
        }
        if (i + len > s.size()) return i;
        for (size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return std::string::npos;
}

}  // namespace

YAML::Node load_yaml(const std::string& text, const std::string& source) {
    // YAML is Unicode text; anything else would also end up in results.json, which must be UTF-8.
    if (const size_t at = invalid_utf8_at(text); at != std::string::npos) {
        const size_t line =
            1 + static_cast<size_t>(
                    std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
        const size_t nl = text.rfind('\n', at == 0 ? 0 : at - 1);
        const size_t column = at == 0 || nl == std::string::npos ? at + 1 : at - nl;
        throw Error(source + ": line " + std::to_string(line) + ", column " +
                    std::to_string(column) + ": not UTF-8 text (byte " + std::to_string(at) + ")");
    }
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw Error(source + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                    std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
    }
}

}  // namespace sparsecim
