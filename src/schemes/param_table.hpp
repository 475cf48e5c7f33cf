// One table per scheme of its `--param SCHEME.KEY=VALUE` parameters, as the hardware field table
// (hw/hw_config.cpp) is for the hardware: a row per key (key, unit, member of the scheme's params
// struct, what values it takes, meaning) drives parsing, the unknown-key message, the defaults
// shown by `sparsecim params` and the docs, so they cannot drift apart. Every bad value gets one
// wording per kind of parameter: "SCHEME.KEY: must be ..." (a FieldError, Origin::SchemeParam).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace sparsecim {

// One parameter as plain descriptive data, for `sparsecim params` and the docs.
struct ParamInfo {
    std::string key;
    std::string type;          // int, number, optional number, bool, choice, int list
    std::string unit;          // "" when none
    std::string default_text;  // the default-constructed params struct's value
    std::string range;         // e.g. "1..1024", "[0, 1)", ">= 0", "layer, global"
    std::string description;
};

enum class ParamType { Int, Number, Bool, Choice, IntList };

// The values a parameter takes. Build it with the helpers below.
struct ParamSpec {
    ParamType type = ParamType::Int;
    // Int, and every element of an IntList: lo..hi. `cap`: hi only guards against absurd values,
    // so errors say "a positive integer", "a non-negative integer" or "an integer >= lo".
    int64_t int_lo = 0, int_hi = 0;
    bool cap = false;
    // Int: what 0 means (e.g. "auto"); that word is read as 0 too.
    std::string zero_means;
    // Number: lo..hi with open or closed ends; hi = +inf for no upper bound.
    double lo = 0.0, hi = 0.0;
    bool lo_open = false, hi_open = false;
    bool optional = false;             // Number: unset by default (a std::optional<double> member)
    std::vector<std::string> choices;  // Choice
    bool accepts_01 = false;           // Bool: the integers 0 and 1 read as false and true
};

ParamSpec int_in(int64_t lo, int64_t hi, std::string zero_means = "");
// An integer >= lo; `cap` bounds it silently (an int member needs at most INT32_MAX).
ParamSpec int_at_least(int64_t lo, int64_t cap = std::numeric_limits<int32_t>::max(),
                       std::string zero_means = "");
enum class Ends { Closed, LoOpen, HiOpen };
ParamSpec number_in(double lo, double hi, Ends ends = Ends::Closed);
ParamSpec number_at_least(double lo);
ParamSpec optional_number_in(double lo, double hi, Ends ends = Ends::Closed);
ParamSpec flag();
ParamSpec flag_or_01();  // true/false, or 1/0
ParamSpec choice(std::vector<std::string> names);
ParamSpec int_list(int64_t lo, int64_t hi);

struct ChoiceIndex {
    size_t index = 0;
};
// A checked value: Int -> int64_t, Number -> double, Bool -> bool, Choice -> ChoiceIndex,
// IntList -> std::vector<int64_t>.
using ParamValue = std::variant<int64_t, double, bool, ChoiceIndex, std::vector<int64_t>>;

// Throws FieldError "SCHEME.KEY: WHAT".
[[noreturn]] void param_error(const std::string& scheme, const std::string& key,
                              const std::string& what);
// `v` checked against `spec`; throws FieldError "SCHEME.KEY: must be ..." when it does not fit.
ParamValue check_param_value(const std::string& scheme, const std::string& key,
                             const ParamSpec& spec, const nlohmann::json& v);
// The one wording of a bad value: "must be a positive integer", "must be one of a, b", ...
std::string param_requirement(const ParamSpec& spec);
std::string param_type_name(const ParamSpec& spec);
std::string param_range_text(const ParamSpec& spec);
// A value as `--param` would spell it; nullopt (an unset optional) is "unset".
std::string param_value_text(const ParamSpec& spec, const std::optional<ParamValue>& v);
// Throws FieldError "SCHEME.KEY: unknown parameter (known: a, b, ...)".
[[noreturn]] void unknown_param(const std::string& scheme, const std::string& key,
                                const std::vector<std::string>& known);
// Throws FieldError "SCHEME: expected key=value parameters" unless `params` is an object or
// null; returns whether there is anything to read.
bool check_param_object(const std::string& scheme, const nlohmann::json& params);
// A logic error in a table (a value that does not fit its member); never a user error.
[[noreturn]] void param_table_bug(const std::string& key, const std::string& what);

// An enum member read and written through the index of its name in the row's choices.
template <class P>
struct EnumMember {
    std::function<size_t(const P&)> get;
    std::function<void(P&, size_t)> set;
};

// `values[i]` is the enum value of the row's i-th choice name.
template <class P, class E>
EnumMember<P> enum_member(E P::*m, std::vector<E> values) {
    return {[m, values](const P& p) {
                for (size_t i = 0; i < values.size(); ++i)
                    if (values[i] == p.*m) return i;
                return values.size();
            },
            [m, values](P& p, size_t i) { p.*m = values.at(i); }};
}

template <class P>
using ParamMember = std::variant<int P::*, uint64_t P::*, double P::*, bool P::*, std::string P::*,
                                 std::optional<double> P::*, std::vector<int> P::*, EnumMember<P>>;

template <class P>
struct ParamRow {
    const char* key;
    const char* unit;  // "" when none
    ParamMember<P> member;
    ParamSpec spec;
    const char* description;
};

template <class P>
using ParamTable = std::vector<ParamRow<P>>;

namespace param_detail {

inline size_t choice_of(const ParamSpec& spec, const std::string& s) {
    for (size_t i = 0; i < spec.choices.size(); ++i)
        if (spec.choices[i] == s) return i;
    return spec.choices.size();
}

template <class P>
void assign(P& p, const ParamRow<P>& row, const ParamValue& v) {
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, int P::*>) {
                const int64_t x = std::get<int64_t>(v);
                if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
                    param_table_bug(row.key, "value does not fit an int");
                p.*m = static_cast<int>(x);
            } else if constexpr (std::is_same_v<M, uint64_t P::*>) {
                const int64_t x = std::get<int64_t>(v);
                if (x < 0) param_table_bug(row.key, "negative value for an unsigned member");
                p.*m = static_cast<uint64_t>(x);
            } else if constexpr (std::is_same_v<M, double P::*> ||
                                 std::is_same_v<M, std::optional<double> P::*>) {
                p.*m = std::get<double>(v);
            } else if constexpr (std::is_same_v<M, bool P::*>) {
                p.*m = std::get<bool>(v);
            } else if constexpr (std::is_same_v<M, std::string P::*>) {
                p.*m = row.spec.choices.at(std::get<ChoiceIndex>(v).index);
            } else if constexpr (std::is_same_v<M, std::vector<int> P::*>) {
                std::vector<int> out;
                for (int64_t x : std::get<std::vector<int64_t>>(v)) {
                    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
                        param_table_bug(row.key, "list element does not fit an int");
                    out.push_back(static_cast<int>(x));
                }
                p.*m = std::move(out);
            } else {
                m.set(p, std::get<ChoiceIndex>(v).index);
            }
        },
        row.member);
}

// The value is built in place (emplace): returning a ParamValue temporary through the visitor
// makes GCC 12 at -O1 (the asan preset) warn that its vector alternative may be uninitialized.
template <class P>
std::optional<ParamValue> read(const P& p, const ParamRow<P>& row) {
    std::optional<ParamValue> out;
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, int P::*> || std::is_same_v<M, uint64_t P::*>) {
                out.emplace(std::in_place_type<int64_t>, static_cast<int64_t>(p.*m));
            } else if constexpr (std::is_same_v<M, double P::*>) {
                out.emplace(std::in_place_type<double>, p.*m);
            } else if constexpr (std::is_same_v<M, bool P::*>) {
                out.emplace(std::in_place_type<bool>, p.*m);
            } else if constexpr (std::is_same_v<M, std::optional<double> P::*>) {
                if (p.*m) out.emplace(std::in_place_type<double>, *(p.*m));
            } else if constexpr (std::is_same_v<M, std::string P::*>) {
                out.emplace(std::in_place_type<ChoiceIndex>,
                            ChoiceIndex{choice_of(row.spec, p.*m)});
            } else if constexpr (std::is_same_v<M, std::vector<int> P::*>) {
                out.emplace(std::in_place_type<std::vector<int64_t>>, (p.*m).begin(), (p.*m).end());
            } else {
                out.emplace(std::in_place_type<ChoiceIndex>, ChoiceIndex{m.get(p)});
            }
        },
        row.member);
    return out;
}

}  // namespace param_detail

// Reads `params` ({key: value}, or null for none) over `start` (default: the struct's defaults).
// Throws FieldError "SCHEME.KEY: ..." for an unknown key (listing the table's keys) or a value
// the row's spec rejects. Cross-field checks are the caller's, after this.
template <class P>
P parse_params(const std::string& scheme, const ParamTable<P>& table, const nlohmann::json& params,
               P start = P{}) {
    P p = std::move(start);
    if (!check_param_object(scheme, params)) return p;
    for (const auto& [key, v] : params.items()) {
        const ParamRow<P>* row = nullptr;
        for (const ParamRow<P>& r : table)
            if (key == r.key) row = &r;
        if (row == nullptr) {
            std::vector<std::string> known;
            for (const ParamRow<P>& r : table) known.push_back(r.key);
            unknown_param(scheme, key, known);
        }
        param_detail::assign(p, *row, check_param_value(scheme, key, row->spec, v));
    }
    return p;
}

// The table as plain data; each default is the default-constructed struct's value.
template <class P>
std::vector<ParamInfo> param_infos(const ParamTable<P>& table) {
    const P defaults{};
    std::vector<ParamInfo> out;
    for (const ParamRow<P>& r : table)
        out.push_back({r.key, param_type_name(r.spec), r.unit,
                       param_value_text(r.spec, param_detail::read(defaults, r)),
                       param_range_text(r.spec), r.description});
    return out;
}

}  // namespace sparsecim
