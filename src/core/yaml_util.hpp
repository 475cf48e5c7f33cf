// Reading YAML fields with errors that name the file and the field: one line, as the house style
// requires. Shared by every YAML the project reads (hardware configs, experiments).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace sparsecim {

// Throws Error("SOURCE: FIELD: PROBLEM").
[[noreturn]] void fail(const std::string& source, const std::string& field,
                       const std::string& problem);
// "nothing", "a mapping", "a list" or the quoted scalar: for "expected X, got Y" messages.
std::string describe(const YAML::Node& node);
// A scalar as text; fails naming the field when it is not a scalar or not UTF-8 (an escape such as
// "\uD800" can make yaml-cpp produce bytes that are not).
std::string parse_string(const YAML::Node& node, const std::string& source, const std::string& key);
int parse_int(const YAML::Node& node, const std::string& source, const std::string& key);
double parse_double(const YAML::Node& node, const std::string& source, const std::string& key);
// The text of a mapping key; fails unless it is a plain scalar.
std::string key_text(const YAML::Node& key_node, const std::string& source,
                     const std::string& where);
// Parses YAML text; a syntax error becomes "SOURCE: line L, column C: malformed YAML: ...".
YAML::Node load_yaml(const std::string& text, const std::string& source);

}  // namespace sparsecim
