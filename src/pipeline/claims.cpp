#include "pipeline/claims.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/yaml_util.hpp"

namespace sparsecim {

namespace {

const std::vector<std::string> kRatioMetrics = {"speedup",         "energy_efficiency",
                                                "area_efficiency", "crossbar_efficiency",
                                                "compression",     "sparsity_utilization"};

const std::set<std::string> kClaimKeys = {"label",      "scheme",    "metric",
                                          "components", "numerator", "denominator",
                                          "source",     "note",      "against"};

bool is_ratio_metric(const std::string& m) {
    return std::find(kRatioMetrics.begin(), kRatioMetrics.end(), m) != kRatioMetrics.end();
}

std::string text(const YAML::Node& n, const std::string& src, const std::string& field) {
    return parse_string(n, src, field);
}

std::optional<double> number(const nlohmann::json& j) {
    if (j.is_number()) return j.get<double>();
    return std::nullopt;
}

const nlohmann::json* find_scheme(const nlohmann::json& results, const std::string& name) {
    if (!results.contains("schemes")) return nullptr;
    for (const auto& s : results["schemes"])
        if (s.value("name", "") == name) return &s;
    return nullptr;
}

// The dense entry `s`'s ratios are against: its matched baseline ("baselines"), else the run's.
const nlohmann::json* baseline_of(const nlohmann::json& results, const nlohmann::json& s) {
    const auto b = s.find("baseline");
    if (b != s.end() && b->is_string() && *b != "dense" && results.contains("baselines"))
        for (const auto& e : results["baselines"])
            if (e.value("name", "") == b->get<std::string>()) return &e;
    return find_scheme(results, "dense");
}

std::optional<double> energy_of(const nlohmann::json& s, const std::vector<std::string>& parts) {
    if (!s.contains("energy_pj_by_component")) return std::nullopt;
    double sum = 0.0;
    for (const auto& p : parts) {
        const auto& e = s["energy_pj_by_component"];
        if (e.contains(p) && e[p].is_number()) sum += e[p].get<double>();
    }
    return sum;
}

}  // namespace

const std::vector<std::string>& claim_metrics() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> m = kRatioMetrics;
        m.insert(m.end(), {"energy_efficiency_of", "accuracy", "accuracy_finetuned",
                           "accuracy_change", "accuracy_change_finetuned", "figure_ratio"});
        return m;
    }();
    return all;
}

std::vector<Claim> parse_claims(const YAML::Node& node, const std::string& src,
                                const std::vector<std::string>& schemes) {
    if (!node.IsSequence()) fail(src, "claims", "expected a list of claims, got " + describe(node));
    std::vector<Claim> out;
    for (size_t i = 0; i < node.size(); ++i) {
        const std::string at = "claims[" + std::to_string(i) + "]";
        const YAML::Node& c = node[i];
        if (!c.IsMap()) fail(src, at, "expected a mapping, got " + describe(c));
        for (const auto& kv : c) {
            const std::string key = key_text(kv.first, src, at);
            if (!kClaimKeys.count(key)) fail(src, at + "." + key, "unknown key");
        }
        for (const char* required : {"label", "scheme", "metric", "source"})
            if (!c[required]) fail(src, at + "." + required, "required");
        Claim cl;
        cl.label = text(c["label"], src, at + ".label");
        cl.scheme = text(c["scheme"], src, at + ".scheme");
        if (std::find(schemes.begin(), schemes.end(), cl.scheme) == schemes.end())
            fail(src, at + ".scheme", "'" + cl.scheme + "' is not one of the experiment's schemes");
        cl.metric = text(c["metric"], src, at + ".metric");
        const auto& known = claim_metrics();
        if (std::find(known.begin(), known.end(), cl.metric) == known.end()) {
            std::string list;
            for (const auto& m : known) list += (list.empty() ? "" : ", ") + m;
            fail(src, at + ".metric", "unknown metric '" + cl.metric + "' (known: " + list + ")");
        }
        cl.source_value = text(c["source"], src, at + ".source");
        if (c["note"]) cl.note = text(c["note"], src, at + ".note");
        if (c["against"]) {
            cl.against = text(c["against"], src, at + ".against");
            if (cl.against != "matched" && cl.against != "run_dense")
                fail(src, at + ".against",
                     "expected matched or run_dense, got '" + cl.against + "'");
            if (!is_ratio_metric(cl.metric)) fail(src, at + ".against", "only for a ratio metric");
        }
        if (cl.metric == "energy_efficiency_of") {
            if (!c["components"] || !c["components"].IsSequence() || c["components"].size() == 0)
                fail(src, at + ".components", "energy_efficiency_of needs a non-empty list");
            for (size_t k = 0; k < c["components"].size(); ++k)
                cl.components.push_back(
                    text(c["components"][k], src, at + ".components[" + std::to_string(k) + "]"));
        } else if (c["components"]) {
            fail(src, at + ".components", "only for metric energy_efficiency_of");
        }
        if (cl.metric == "figure_ratio") {
            for (const char* k : {"numerator", "denominator"})
                if (!c[k]) fail(src, at + "." + k, "required by metric figure_ratio");
            cl.numerator = text(c["numerator"], src, at + ".numerator");
            cl.denominator = text(c["denominator"], src, at + ".denominator");
        } else if (c["numerator"] || c["denominator"]) {
            fail(src, at + (c["numerator"] ? ".numerator" : ".denominator"),
                 "only for metric figure_ratio");
        }
        out.push_back(std::move(cl));
    }
    return out;
}

std::optional<double> measure_claim(const Claim& claim, const nlohmann::json& results) {
    const nlohmann::json* s = find_scheme(results, claim.scheme);
    if (!s) return std::nullopt;
    const std::string& m = claim.metric;
    if (is_ratio_metric(m)) {
        const char* key = claim.against == "run_dense" ? "vs_run_dense" : "vs_dense";
        if (!s->contains(key) || !(*s)[key].is_object() || !(*s)[key].contains(m))
            return std::nullopt;
        return number((*s)[key][m]);
    }
    if (m == "accuracy" || m == "accuracy_finetuned")
        return s->contains(m) ? number((*s)[m]) : std::nullopt;
    const nlohmann::json* dense = find_scheme(results, "dense");
    if (m == "energy_efficiency_of") {
        const nlohmann::json* base = baseline_of(results, *s);
        if (!base) return std::nullopt;
        const auto d = energy_of(*base, claim.components), e = energy_of(*s, claim.components);
        if (!d || !e || *e <= 0.0) return std::nullopt;
        return *d / *e;
    }
    if (m == "accuracy_change" || m == "accuracy_change_finetuned") {
        const std::string key = m == "accuracy_change" ? "accuracy" : "accuracy_finetuned";
        if (!dense || !s->contains(key) || !dense->contains("accuracy")) return std::nullopt;
        const auto a = number((*s)[key]), d = number((*dense)["accuracy"]);
        if (!a || !d) return std::nullopt;
        return *a - *d;
    }
    if (m == "figure_ratio") {
        if (!s->contains("scheme_figures")) return std::nullopt;
        const auto& f = (*s)["scheme_figures"];
        if (!f.contains(claim.numerator) || !f.contains(claim.denominator)) return std::nullopt;
        const auto n = number(f[claim.numerator]), d = number(f[claim.denominator]);
        if (!n || !d || *d == 0.0) return std::nullopt;
        return *n / *d;
    }
    return std::nullopt;
}

std::string format_claim_value(const Claim& claim, const std::optional<double>& v) {
    if (!v) return "n/a";
    char buf[48];
    const std::string& m = claim.metric;
    if (m == "accuracy_change" || m == "accuracy_change_finetuned")
        std::snprintf(buf, sizeof buf, "%+.2f pp", 100.0 * *v);
    else if (m == "accuracy" || m == "accuracy_finetuned" || m == "sparsity_utilization" ||
             m == "figure_ratio")
        std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * *v);
    else
        std::snprintf(buf, sizeof buf, "%.2fx", *v);
    return buf;
}

}  // namespace sparsecim
