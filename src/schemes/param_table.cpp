// The generic part of the scheme parameter tables: value checks, the one wording of a bad value,
// and the descriptive text of a row.
#include "schemes/param_table.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "core/error.hpp"

namespace sparsecim {

namespace {

// Shortest text that reads back as the same double: 0.5, 1, 1e-4 (no exponent padding).
std::string number_text(double x) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    std::string s(buf, r.ptr);
    const auto e = s.find('e');
    if (e != std::string::npos) {
        size_t digits = e + 1 + (s[e + 1] == '-' || s[e + 1] == '+');
        while (digits + 1 < s.size() && s[digits] == '0') s.erase(digits, 1);
    }
    return s;
}

bool no_upper_bound(const ParamSpec& s) {
    return s.int_hi == std::numeric_limits<int32_t>::max() ||
           s.int_hi == std::numeric_limits<int64_t>::max();
}

std::string zero_note(const ParamSpec& s) {
    return s.zero_means.empty() ? "" : " (0 = " + s.zero_means + ")";
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string interval(const ParamSpec& s) {
    if (std::isinf(s.hi)) return (s.lo_open ? "> " : ">= ") + number_text(s.lo);
    return (s.lo_open ? "(" : "[") + number_text(s.lo) + ", " + number_text(s.hi) +
           (s.hi_open ? ")" : "]");
}

std::optional<int64_t> int_value(const ParamSpec& s, const nlohmann::json& v) {
    if (!s.zero_means.empty() && v.is_string() && v.get<std::string>() == s.zero_means) return 0;
    if (v.is_number_unsigned()) {
        if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return std::nullopt;
    } else if (!v.is_number_integer()) {
        return std::nullopt;
    }
    const int64_t x = v.get<int64_t>();
    if (x < s.int_lo || x > s.int_hi) return std::nullopt;
    return x;
}

}  // namespace

ParamSpec int_in(int64_t lo, int64_t hi, std::string zero_means) {
    ParamSpec s;
    s.type = ParamType::Int;
    s.int_lo = lo;
    s.int_hi = hi;
    s.zero_means = std::move(zero_means);
    return s;
}

ParamSpec int_at_least(int64_t lo, int64_t cap, std::string zero_means) {
    ParamSpec s = int_in(lo, cap, std::move(zero_means));
    s.cap = true;
    return s;
}

ParamSpec number_in(double lo, double hi, Ends ends) {
    ParamSpec s;
    s.type = ParamType::Number;
    s.lo = lo;
    s.hi = hi;
    s.lo_open = ends == Ends::LoOpen;
    s.hi_open = ends == Ends::HiOpen;
    return s;
}

ParamSpec number_at_least(double lo) {
    return number_in(lo, std::numeric_limits<double>::infinity());
}

ParamSpec optional_number_in(double lo, double hi, Ends ends) {
    ParamSpec s = number_in(lo, hi, ends);
    s.optional = true;
    return s;
}

ParamSpec flag() {
    ParamSpec s;
    s.type = ParamType::Bool;
    return s;
}

ParamSpec flag_or_01() {
    ParamSpec s = flag();
    s.accepts_01 = true;
    return s;
}

ParamSpec choice(std::vector<std::string> names) {
    ParamSpec s;
    s.type = ParamType::Choice;
    s.choices = std::move(names);
    return s;
}

ParamSpec int_list(int64_t lo, int64_t hi) {
    ParamSpec s = int_in(lo, hi);
    s.type = ParamType::IntList;
    return s;
}

void param_error(const std::string& scheme, const std::string& key, const std::string& what) {
    throw FieldError(Origin::SchemeParam, scheme + "." + key, what);
}

void unknown_param(const std::string& scheme, const std::string& key,
                   const std::vector<std::string>& known) {
    param_error(scheme, key, "unknown parameter (known: " + joined(known) + ")");
}

bool check_param_object(const std::string& scheme, const nlohmann::json& params) {
    if (params.is_null()) return false;
    if (!params.is_object())
        throw FieldError(Origin::SchemeParam, scheme, "expected key=value parameters");
    return true;
}

void param_table_bug(const std::string& key, const std::string& what) {
    throw std::logic_error("parameter table row '" + key + "': " + what);
}

std::string param_requirement(const ParamSpec& s) {
    switch (s.type) {
        case ParamType::Int:
            if (!s.cap) return "must be an integer " + param_range_text(s);
            if (s.int_lo == 1) return "must be a positive integer" + zero_note(s);
            if (s.int_lo == 0) return "must be a non-negative integer" + zero_note(s);
            return "must be an integer >= " + std::to_string(s.int_lo) + zero_note(s);
        case ParamType::Number:
            return std::isinf(s.hi) ? "must be a number " + interval(s)
                                    : "must be a number in " + interval(s);
        case ParamType::Bool:
            return "must be true or false";
        case ParamType::Choice:
            return "must be one of " + joined(s.choices);
        case ParamType::IntList:
            return "must be a non-empty list of integers " + std::to_string(s.int_lo) + ".." +
                   std::to_string(s.int_hi);
    }
    return "?";
}

std::string param_type_name(const ParamSpec& s) {
    switch (s.type) {
        case ParamType::Int:
            return "int";
        case ParamType::Number:
            return s.optional ? "optional number" : "number";
        case ParamType::Bool:
            return "bool";
        case ParamType::Choice:
            return "choice";
        case ParamType::IntList:
            return "int list";
    }
    return "?";
}

std::string param_range_text(const ParamSpec& s) {
    switch (s.type) {
        case ParamType::Int:
            if (s.cap && no_upper_bound(s)) return ">= " + std::to_string(s.int_lo) + zero_note(s);
            return std::to_string(s.int_lo) + ".." + std::to_string(s.int_hi) + zero_note(s);
        case ParamType::Number:
            return interval(s);
        case ParamType::Bool:
            return s.accepts_01 ? "true, false (or 1, 0)" : "true, false";
        case ParamType::Choice:
            return joined(s.choices);
        case ParamType::IntList:
            return "each " + std::to_string(s.int_lo) + ".." + std::to_string(s.int_hi);
    }
    return "?";
}

std::string param_value_text(const ParamSpec& s, const std::optional<ParamValue>& v) {
    if (!v) return "unset";
    if (const auto* i = std::get_if<int64_t>(&*v)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&*v)) return number_text(*d);
    if (const auto* b = std::get_if<bool>(&*v)) return *b ? "true" : "false";
    if (const auto* c = std::get_if<ChoiceIndex>(&*v))
        return c->index < s.choices.size() ? s.choices[c->index] : "?";
    std::string out;
    for (int64_t x : std::get<std::vector<int64_t>>(*v))
        out += (out.empty() ? "" : ",") + std::to_string(x);
    return "[" + out + "]";
}

ParamValue check_param_value(const std::string& scheme, const std::string& key, const ParamSpec& s,
                             const nlohmann::json& v) {
    switch (s.type) {
        case ParamType::Int:
            if (const auto x = int_value(s, v)) return *x;
            break;
        case ParamType::Number:
            if (v.is_number()) {
                const double x = v.get<double>();
                const bool above = s.lo_open ? x > s.lo : x >= s.lo;
                const bool below = std::isinf(s.hi) || (s.hi_open ? x < s.hi : x <= s.hi);
                if (std::isfinite(x) && above && below) return x;
            }
            break;
        case ParamType::Bool:
            if (v.is_boolean()) return v.get<bool>();
            if (s.accepts_01 && v.is_number_integer() &&
                (v.get<int64_t>() == 0 || v.get<int64_t>() == 1))
                return v.get<int64_t>() == 1;
            break;
        case ParamType::Choice:
            if (v.is_string())
                for (size_t i = 0; i < s.choices.size(); ++i)
                    if (v.get<std::string>() == s.choices[i]) return ChoiceIndex{i};
            break;
        case ParamType::IntList:
            if (v.is_array() && !v.empty()) {
                std::vector<int64_t> out;
                for (const auto& e : v) {
                    const auto x = int_value(s, e);
                    if (!x) break;
                    out.push_back(*x);
                }
                if (out.size() == v.size()) return out;
            }
            break;
    }
    param_error(scheme, key, param_requirement(s));
}

}  // namespace sparsecim
