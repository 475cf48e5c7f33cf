// Parsing and validation of the csr parameters.
#include "schemes/csr/csr_params.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace sparsecim {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& what) {
    throw Error("--param csr." + key + ": " + what);
}

int64_t get_int(const nlohmann::json& v, const std::string& key, int64_t lo, int64_t hi,
                const std::string& what) {
    if (v.is_number_integer() || v.is_number_unsigned()) {
        const int64_t x = v.get<int64_t>();
        if (x >= lo && x <= hi) return x;
    }
    bad(key, what);
}

double get_double(const nlohmann::json& v, const std::string& key, double lo, double hi,
                  bool lo_open, const std::string& what) {
    if (v.is_number()) {
        const double x = v.get<double>();
        if (std::isfinite(x) && (lo_open ? x > lo : x >= lo) && x <= hi) return x;
    }
    bad(key, what);
}

std::string get_choice(const nlohmann::json& v, const std::string& key,
                       std::initializer_list<const char*> choices) {
    std::string list;
    for (const char* c : choices) {
        if (v.is_string() && v.get<std::string>() == c) return c;
        list += (list.empty() ? "" : ", ") + std::string(c);
    }
    bad(key, "must be one of " + list);
}

bool get_bool(const nlohmann::json& v, const std::string& key) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1))
        return v.get<int64_t>() == 1;
    bad(key, "must be true or false");
}

}  // namespace

CsrParams parse_csr_params(const nlohmann::json& params, uint64_t run_seed) {
    CsrParams p;
    if (!params.is_null() && !params.is_object())
        throw Error("--param csr: expected key=value parameters");
    if (params.is_object())
        for (const auto& [key, v] : params.items()) {
            if (key == "beta") {
                p.beta = static_cast<int>(get_int(v, key, 1, 1024, "must be a positive integer"));
            } else if (key == "sparsity") {
                p.sparsity = get_double(v, key, 0.0, 1.0, false, "must be a number in [0, 1]");
            } else if (key == "scope") {
                p.scope = get_choice(v, key, {"layer", "global"});
            } else if (key == "alpha") {
                p.alpha = static_cast<int>(get_int(v, key, 1, 1024, "must be a positive integer"));
            } else if (key == "search") {
                p.search = get_choice(v, key, {"ga", "exhaustive", "none"});
            } else if (key == "balance") {
                p.balance = get_choice(v, key, {"layer", "window", "none"});
            } else if (key == "ga_population") {
                p.ga_population =
                    static_cast<int>(get_int(v, key, 2, 100000, "must be an integer >= 2"));
            } else if (key == "ga_generations") {
                p.ga_generations =
                    static_cast<int>(get_int(v, key, 0, 1000000, "must be an integer >= 0"));
            } else if (key == "ga_mutation") {
                p.ga_mutation = get_double(v, key, 0.0, 1.0, false, "must be a number in [0, 1]");
            } else if (key == "ga_tournament") {
                p.ga_tournament =
                    static_cast<int>(get_int(v, key, 1, 1000, "must be a positive integer"));
            } else if (key == "ga_elite") {
                p.ga_elite =
                    static_cast<int>(get_int(v, key, 0, 100000, "must be an integer >= 0"));
            } else if (key == "ga_seed") {
                p.ga_seed = static_cast<uint64_t>(
                    get_int(v, key, 0, INT64_MAX, "must be a non-negative integer"));
            } else if (key == "skip_zero") {
                p.skip_zero = get_bool(v, key);
            } else if (key == "pipeline") {
                p.pipeline = get_bool(v, key);
            } else if (key == "kmeans_k") {
                p.kmeans_k = static_cast<int>(
                    get_int(v, key, 0, 1000000, "must be a non-negative integer (0 = auto)"));
            } else if (key == "exempt") {
                p.exempt = get_choice(v, key, {"ends", "none"});
            } else if (key == "kmeans_seed") {
                p.kmeans_seed = static_cast<uint64_t>(
                    get_int(v, key, 0, INT64_MAX, "must be a non-negative integer"));
            } else {
                bad(key,
                    "unknown parameter (known: beta, sparsity, scope, alpha, search, balance, "
                    "ga_population, ga_generations, ga_mutation, ga_tournament, ga_elite, "
                    "ga_seed, skip_zero, pipeline, kmeans_k, kmeans_seed, exempt)");
            }
        }
    if (p.ga_elite >= p.ga_population) bad("ga_elite", "must be smaller than ga_population");
    if (p.ga_seed == 0) p.ga_seed = run_seed;
    if (p.kmeans_seed == 0) p.kmeans_seed = run_seed;
    return p;
}

}  // namespace sparsecim
