// Parsing of --param sme.* values.
#include "schemes/sme/sme_params.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace sparsecim {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& what) {
    throw Error("--param sme." + key + ": " + what);
}

std::string one_of(const nlohmann::json& v, const std::string& key,
                   std::initializer_list<const char*> allowed) {
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    if (v.is_string())
        for (const char* a : allowed)
            if (v.get<std::string>() == a) return a;
    bad(key, "must be one of " + list + ", got " + v.dump());
}

}  // namespace

SmeParams parse_sme_params(const nlohmann::json& params, int w_bits) {
    SmeParams p;
    if (params.is_null()) return p;
    if (!params.is_object()) throw Error("--param sme: expected key=value assignments");
    for (const auto& [key, v] : params.items()) {
        if (key == "S") {
            if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > w_bits)
                bad(key, "must be an integer in 1.." + std::to_string(w_bits) +
                             " (weight bits), got " + v.dump());
            p.S = static_cast<int>(v.get<int64_t>());
        } else if (key == "source") {
            p.source = one_of(v, key, {"float", "int8"});
        } else if (key == "scale") {
            p.scale = one_of(v, key, {"channel", "layer"});
        } else if (key == "squeeze") {
            if (!v.is_boolean()) bad(key, "must be true or false, got " + v.dump());
            p.squeeze = v.get<bool>();
        } else if (key == "signed_inputs") {
            p.signed_inputs = one_of(v, key, {"group", "skip"});
        } else if (key == "shift_at") {
            p.shift_at = one_of(v, key, {"input", "output"});
        } else {
            bad(key,
                "unknown parameter (known: S, source, scale, squeeze, signed_inputs, shift_at)");
        }
    }
    return p;
}

}  // namespace sparsecim
