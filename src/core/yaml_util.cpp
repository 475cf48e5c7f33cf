#include "core/yaml_util.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>

#include "core/error.hpp"

namespace sparsecim {

namespace {

// Where text stops being what a YAML stream may hold: the offset of the first byte that is not
// part of well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF), or that starts a
// character outside YAML's printable set (C0 controls other than tab, LF and CR; DEL; C1 controls
// other than NEL; U+FFFE/U+FFFF). yaml-cpp would otherwise guess another encoding from NUL bytes
// and hand back strings that are not UTF-8.
struct TextProblem {
    size_t at = std::string::npos;
    bool unprintable = false;  // UTF-8, but `code` is outside YAML's printable set
    uint32_t code = 0;
};

std::string code_point(uint32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

bool yaml_printable(uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
           (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
}

TextProblem text_problem(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t len = 0;
        uint32_t cp = 0, min = 0;
        if (c < 0x80) {
            len = 1, cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return {i};
        }
        if (i + len > s.size()) return {i};
        for (size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return {i};
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {i};
        if (!yaml_printable(cp)) return {i, true, cp};
        i += len;
    }
    return {};
}

}  // namespace

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

std::string parse_string(const YAML::Node& node, const std::string& source,
                         const std::string& key) {
    if (!node.IsScalar()) fail(source, key, "expected a string, got " + describe(node));
    const std::string& s = node.Scalar();
    const TextProblem p = text_problem(s);
    if (p.at != std::string::npos && !p.unprintable)
        fail(source, key, "not UTF-8 text (byte " + std::to_string(p.at) + " of the value)");
    return s;
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

constexpr size_t kParsedYamlKept = 256;  // distinct YAML texts load_yaml keeps parsed

YAML::Node load_yaml(const std::string& text, const std::string& source) {
    // YAML is Unicode text; anything else would also end up in results.json, which must be UTF-8.
    if (const TextProblem p = text_problem(text); p.at != std::string::npos) {
        const size_t at = p.at;
        const size_t line =
            1 + static_cast<size_t>(
                    std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
        const size_t nl = text.rfind('\n', at == 0 ? 0 : at - 1);
        const size_t column = at == 0 || nl == std::string::npos ? at + 1 : at - nl;
        throw Error(source + ": line " + std::to_string(line) + ", column " +
                    std::to_string(column) + ": " +
                    (p.unprintable ? "control character " + code_point(p.code) +
                                         " is not allowed in YAML text"
                                   : std::string("not UTF-8 text")) +
                    " (byte " + std::to_string(at) + ")");
    }
    // Parsed trees by text: a sweep resolves the same hardware and preset files for every point,
    // and yaml-cpp's scanner costs far more than a copy. Callers get their own copy (nodes share
    // state), and only text that parsed is kept. Copies carry no line marks: the messages that
    // give lines (malformed YAML) come from the parse itself, which a kept text has passed.
    static std::mutex mu;
    static std::map<std::string, YAML::Node, std::less<>> parsed;
    {
        const std::lock_guard<std::mutex> lock(mu);
        if (const auto it = parsed.find(text); it != parsed.end()) return YAML::Clone(it->second);
    }
    try {
        YAML::Node node = YAML::Load(text);
        const std::lock_guard<std::mutex> lock(mu);
        if (parsed.size() < kParsedYamlKept) parsed.emplace(text, YAML::Clone(node));
        return node;
    } catch (const YAML::Exception& e) {
        throw Error(source + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                    std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
    }
}

}  // namespace sparsecim
