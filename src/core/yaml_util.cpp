#include "core/yaml_util.hpp"

#include <charconv>
#include <cmath>
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

YAML::Node load_yaml(const std::string& text, const std::string& source) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw Error(source + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                    std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
    }
}

}  // namespace sparsecim
