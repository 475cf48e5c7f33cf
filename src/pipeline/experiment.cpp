#include "pipeline/experiment.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/yaml_util.hpp"
#include "hw/hw_config.hpp"
#include "report/eval_report.hpp"
#include "schemes/scheme.hpp"

namespace sparsecim {

namespace {

const std::set<std::string> kKeys = {"name",
                                     "description",
                                     "stand_in",
                                     "claims",
                                     "models",
                                     "hw",
                                     "schemes",
                                     "params",
                                     "hw_overrides",
                                     "images",
                                     "accuracy_images",
                                     "adc_accuracy_images",
                                     "finetune_epochs",
                                     "finetune_images",
                                     "calib_images",
                                     "calibration",
                                     "percentile",
                                     "check_exact",
                                     "seed",
                                     "sweep",
                                     "data",
                                     "out"};

std::string scalar(const YAML::Node& n, const std::string& src, const std::string& key) {
    return parse_string(n, src, key);
}

// A string or a list of strings.
std::vector<std::string> strings(const YAML::Node& n, const std::string& src,
                                 const std::string& key) {
    std::vector<std::string> out;
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence() || n.size() == 0)
        fail(src, key, "expected a name or a non-empty list, got " + describe(n));
    for (size_t i = 0; i < n.size(); ++i)
        out.push_back(scalar(n[i], src, key + "[" + std::to_string(i) + "]"));
    return out;
}

bool boolean(const YAML::Node& n, const std::string& src, const std::string& key) {
    if (n.IsScalar()) {
        if (n.Scalar() == "true") return true;
        if (n.Scalar() == "false") return false;
    }
    fail(src, key, "expected true or false, got " + describe(n));
}

// "scheme.key=value" assignments from params: {scheme: {key: value}}; values keep their YAML
// type (numbers stay numbers, anything else becomes a JSON string).
std::vector<std::string> param_assignments(const YAML::Node& n, const std::string& src) {
    std::vector<std::string> out;
    if (!n.IsMap()) fail(src, "params", "expected a mapping scheme: {key: value}");
    for (const auto& kv : n) {
        const std::string scheme = key_text(kv.first, src, "params");
        const std::string field = "params." + scheme;
        try {
            find_scheme(scheme);
        } catch (const Error& e) {
            fail(src, field, e.what());
        }
        if (!kv.second.IsMap()) fail(src, field, "expected a mapping key: value");
        for (const auto& p : kv.second) {
            const std::string key = key_text(p.first, src, field);
            if (!p.second.IsScalar())
                fail(src, field + "." + key,
                     "expected a number or a string, got " + describe(p.second));
            out.push_back(scheme + "." + key + "=" + p.second.Scalar());
        }
    }
    return out;
}

std::string stem_of(const std::string& spec) {
    if (spec.rfind("zoo:", 0) == 0) return spec.substr(4);
    return std::filesystem::path(spec).stem().string();
}

}  // namespace

Experiment load_experiment(const std::filesystem::path& path,
                           const std::filesystem::path& out_override) {
    return parse_experiment(read_file(path), path, out_override);
}

Experiment parse_experiment(const std::string& yaml_text, const std::filesystem::path& path,
                            const std::filesystem::path& out_override) {
    const std::string src = path.string();
    const YAML::Node root = load_yaml(yaml_text, src);
    if (!root.IsMap()) fail(src, "(top level)", "expected a mapping of experiment fields");
    for (const auto& kv : root) {
        const std::string key = key_text(kv.first, src, "(top level)");
        if (!kKeys.count(key)) {
            std::string known;
            for (const auto& k : kKeys) known += (known.empty() ? "" : ", ") + k;
            fail(src, key, "unknown key (known: " + known + ")");
        }
    }
    const std::filesystem::path base = path.parent_path();
    auto rel = [&](const std::string& p) {
        const std::filesystem::path q(p);
        return (q.is_absolute() || base.empty() ? q : base / q).lexically_normal();
    };

    Experiment ex;
    ex.source = path;
    ex.name = root["name"] ? scalar(root["name"], src, "name") : path.stem().string();
    if (root["description"]) ex.description = scalar(root["description"], src, "description");
    ex.out = !out_override.empty() ? out_override
             : root["out"]         ? std::filesystem::path(scalar(root["out"], src, "out"))
                                   : std::filesystem::path("out") / ex.name;

    EvalOptions base_opt;
    base_opt.accuracy_images = 1000;
    base_opt.adc_accuracy_images = 100;
    base_opt.experiment = ex.name;
    if (root["schemes"]) base_opt.schemes = strings(root["schemes"], src, "schemes");
    for (const auto& s : base_opt.schemes) {
        try {
            find_scheme(s);
        } catch (const Error& e) {
            fail(src, "schemes", e.what());
        }
    }
    // Every report compares against dense: run it first when the file does not list it.
    if (std::find(base_opt.schemes.begin(), base_opt.schemes.end(), "dense") ==
        base_opt.schemes.end())
        base_opt.schemes.insert(base_opt.schemes.begin(), "dense");
    if (root["stand_in"]) ex.stand_in = scalar(root["stand_in"], src, "stand_in");
    if (root["claims"]) ex.claims = parse_claims(root["claims"], src, base_opt.schemes);
    if (root["params"]) base_opt.scheme_params = param_assignments(root["params"], src);
    if (root["hw_overrides"])
        base_opt.hw_overrides = strings(root["hw_overrides"], src, "hw_overrides");
    // Counts, each within what the data set (10,000 test, 60,000 training images) allows.
    auto count = [&](const char* key, auto& dst, int lo, int hi) {
        if (!root[key]) return;
        const int v = parse_int(root[key], src, key);
        if (v < lo || v > hi)
            fail(src, key,
                 "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + " (got " +
                     std::to_string(v) + ")");
        dst = v;
    };
    count("images", base_opt.images, 1, 10000);
    count("accuracy_images", base_opt.accuracy_images, 0, 10000);
    count("adc_accuracy_images", base_opt.adc_accuracy_images, 0, 10000);
    count("calib_images", base_opt.calib_images, 1, 60000);
    count("finetune_images", base_opt.finetune_images, 0, 60000);
    count("finetune_epochs", base_opt.finetune_epochs, 0, 1000);
    if (root["calibration"]) {
        base_opt.quant.calibration = scalar(root["calibration"], src, "calibration");
        if (base_opt.quant.calibration != "max" && base_opt.quant.calibration != "percentile")
            fail(src, "calibration",
                 "expected max or percentile, got '" + base_opt.quant.calibration + "'");
    }
    if (root["percentile"]) {
        base_opt.quant.percentile = parse_double(root["percentile"], src, "percentile");
        if (!(base_opt.quant.percentile > 0.0 && base_opt.quant.percentile <= 100.0))
            fail(src, "percentile", "must be in (0, 100]");
    }
    if (root["check_exact"])
        base_opt.check_exact = boolean(root["check_exact"], src, "check_exact");
    count("seed", base_opt.seed, 0, std::numeric_limits<int>::max());
    if (root["data"]) base_opt.data_dir = rel(scalar(root["data"], src, "data")).string();

    if (const YAML::Node sw = root["sweep"]) {
        if (!sw.IsMap()) fail(src, "sweep", "expected {param: scheme.key, values: [...]}");
        for (const auto& kv : sw) {
            const std::string key = key_text(kv.first, src, "sweep");
            if (key != "param" && key != "values")
                fail(src, "sweep." + key, "unknown key (known: param, values)");
        }
        if (!sw["param"] || !sw["values"])
            fail(src, "sweep", "needs both param (scheme.key) and values");
        ex.sweep_param = scalar(sw["param"], src, "sweep.param");
        const auto dot = ex.sweep_param.find('.');
        if (dot == std::string::npos || dot == 0 || dot + 1 == ex.sweep_param.size())
            fail(src, "sweep.param", "expected scheme.key, e.g. twofold.sparsity");
        const std::string scheme = ex.sweep_param.substr(0, dot);
        if (std::find(base_opt.schemes.begin(), base_opt.schemes.end(), scheme) ==
            base_opt.schemes.end())
            fail(src, "sweep.param", "scheme '" + scheme + "' is not in schemes");
        ex.sweep_values = strings(sw["values"], src, "sweep.values");
    }

    const std::vector<std::string> models =
        root["models"] ? strings(root["models"], src, "models") : std::vector<std::string>{""};
    const std::vector<std::string> hws =
        root["hw"] ? strings(root["hw"], src, "hw") : std::vector<std::string>{""};
    std::set<std::string> ids;
    for (size_t mi = 0; mi < models.size(); ++mi)
        for (size_t hi = 0; hi < hws.size(); ++hi) {
            ExperimentUnit u;
            u.options = base_opt;
            const std::string& m = models[mi];
            u.options.model = m.empty() || m.rfind("zoo:", 0) == 0 ? m : rel(m).string();
            if (!u.options.model.empty() && m.rfind("zoo:", 0) != 0 &&
                !std::filesystem::exists(u.options.model))
                fail(src, "models[" + std::to_string(mi) + "]", "no such file: " + u.options.model);
            if (!hws[hi].empty()) {
                u.options.hw_path = rel(hws[hi]).string();
                if (!std::filesystem::exists(u.options.hw_path))
                    fail(src, "hw[" + std::to_string(hi) + "]",
                         "no such file: " + u.options.hw_path);
            }
            u.id = stem_of(m.empty() ? "zoo:default" : m) + "__" +
                   (hws[hi].empty() ? "dense" : stem_of(hws[hi]));
            if (!ids.insert(u.id).second) fail(src, "models/hw", "two units share the id " + u.id);
            if (ex.sweep_values.empty()) {
                ex.units.push_back(std::move(u));
                continue;
            }
            for (const std::string& v : ex.sweep_values) {
                ExperimentUnit su = u;
                su.sweep_value = v;
                su.options.scheme_params.push_back(ex.sweep_param + "=" + v);
                su.id += "__" + ex.sweep_param.substr(ex.sweep_param.find('.') + 1) + "=" + v;
                if (!ids.insert(su.id).second)
                    fail(src, "sweep.values", "the value " + v + " appears twice");
                ex.units.push_back(std::move(su));
            }
        }
    for (auto& u : ex.units) u.out = ex.units.size() == 1 ? ex.out : ex.out / u.id;
    return ex;
}

namespace {

// FNV-1a, 64 bits: a stable digest (the same on every machine and build), enough to notice that
// a unit's inputs changed; not a security measure.
struct Fnv64 {
    uint64_t h = 1469598103934665603ull;
    void add(std::string_view bytes) {
        for (unsigned char c : bytes) {
            h ^= c;
            h *= 1099511628211ull;
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h *= 1099511628211ull;
    }
    std::string hex() const {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
        return buf;
    }
};

const nlohmann::json* find_unit(const nlohmann::json& units, const std::string& id) {
    for (const auto& u : units)
        if (u.is_object() && u.value("id", "") == id) return &u;
    return nullptr;
}

}  // namespace

std::string unit_fingerprint(const ExperimentUnit& u) {
    const EvalOptions& o = u.options;
    Fnv64 f;
    f.add(SPARSECIM_VERSION);
    f.add(options_json(o).dump());
    f.add(o.model);
    if (!o.model.empty() && o.model.rfind("zoo:", 0) != 0) f.add(read_file(o.model));
    f.add(
        read_file(o.hw_path.empty() ? hw_preset_path("dense") : std::filesystem::path(o.hw_path)));
    f.add(o.data_dir);
    return f.hex();
}

RunLog::RunLog(const Experiment& ex, bool resume) : ex_(ex) {
    log_ = {{"experiment", ex.name},
            {"description", ex.description},
            {"source", ex.source.string()},
            {"units", nlohmann::json::array()}};
    for (const auto& u : ex.units)
        log_["units"].push_back({{"id", u.id},
                                 {"dir", u.out.string()},
                                 {"status", "pending"},
                                 {"fingerprint", nullptr},
                                 {"exit_code", nullptr}});
    previous_ = nlohmann::json::array();
    const auto path = ex.out / "experiment.json";
    if (!resume || !std::filesystem::exists(path)) return;
    const nlohmann::json old = nlohmann::json::parse(read_file(path), nullptr, false);
    if (old.is_discarded() || !old.is_object() || !old.contains("units") ||
        !old["units"].is_array())
        throw Error(path.string() +
                    ": not a run record (expected the experiment.json of an earlier run; "
                    "remove it to start afresh)");
    previous_ = old["units"];
}

bool RunLog::finished(size_t i, const std::string& fingerprint, int& exit_code) const {
    const ExperimentUnit& u = ex_.units.at(i);
    const nlohmann::json* rec = find_unit(previous_, u.id);
    if (!rec || rec->value("status", "") != "done") return false;
    if (!rec->contains("fingerprint") || !(*rec)["fingerprint"].is_string() ||
        (*rec)["fingerprint"].get<std::string>() != fingerprint)
        return false;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(u.out / "results.json", ec)) return false;
    const auto& code = (*rec)["exit_code"];
    exit_code = code.is_number_integer() ? code.get<int>() : 0;
    return true;
}

void RunLog::finish(size_t i, const std::string& fingerprint, int exit_code) {
    nlohmann::json& rec = log_["units"].at(i);
    rec["status"] = "done";
    rec["fingerprint"] = fingerprint;
    rec["exit_code"] = exit_code;
    write_file_atomic(ex_.out / "experiment.json", log_.dump(2) + "\n");
}

}  // namespace sparsecim
