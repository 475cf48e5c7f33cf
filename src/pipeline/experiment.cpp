#include "pipeline/experiment.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <type_traits>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/keyed_memo.hpp"
#include "core/yaml_util.hpp"
#include "hw/hw_config.hpp"
#include "results/results_json.hpp"
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
                                     "trials",
                                     "size_adc_images",
                                     "size_adc_top1_images",
                                     "size_adc_max_drop",
                                     "finetune_epochs",
                                     "finetune_images",
                                     "finetune_lr",
                                     "finetune_lr_scheme",
                                     "finetune_epochs_scheme",
                                     "finetune_distill",
                                     "finetune_temperature",
                                     "finetune_prune",
                                     "finetune_grid",
                                     "tuned",
                                     "accuracy_split",
                                     "calib_images",
                                     "calibration",
                                     "percentile",
                                     "check_exact",
                                     "seed",
                                     "sweep",
                                     "axes",
                                     "points",
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

// What an axis field sets in a unit.
enum class FieldKind { Hw, Param, Schemes };

struct AxisSpec {
    SweepAxis axis;
    FieldKind kind = FieldKind::Hw;
    std::string where;  // the field errors about its values name, e.g. "axes.ou.rows"
};

FieldKind field_kind(const std::string& field, const std::string& src, const std::string& where) {
    if (field == "schemes") return FieldKind::Schemes;
    const auto dot = field.find('.');
    if (dot != std::string::npos && dot > 0 && dot + 1 < field.size()) {
        const std::string head = field.substr(0, dot);
        for (const Scheme& sc : scheme_registry())
            if (sc.name == head) return FieldKind::Param;
    }
    if (is_hw_key(field)) return FieldKind::Hw;
    fail(src, where,
         "unknown field (expected a hardware key section.key, a scheme parameter scheme.key, "
         "or schemes)");
}

// The values of an axis: a non-empty list of scalars, no value twice.
std::vector<std::string> axis_values(const YAML::Node& n, const std::string& src,
                                     const std::string& where) {
    if (!n.IsSequence() || n.size() == 0)
        fail(src, where, "expected a non-empty list of values, got " + describe(n));
    std::vector<std::string> out;
    for (size_t i = 0; i < n.size(); ++i) {
        const std::string v = scalar(n[i], src, where + "[" + std::to_string(i) + "]");
        if (std::find(out.begin(), out.end(), v) != out.end())
            fail(src, where, "the value " + v + " appears twice");
        out.push_back(v);
    }
    return out;
}

// A value as it appears in a unit id (a folder name): characters other than letters, digits and
// . _ + - become _.
std::string id_text(const std::string& v) {
    std::string out = v;
    for (char& c : out)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '+' &&
            c != '-')
            c = '_';
    return out;
}

void apply_coord(EvalOptions& o, FieldKind kind, const std::string& field,
                 const std::string& value) {
    switch (kind) {
        case FieldKind::Hw:
            o.hw_overrides.push_back(field + "=" + value);
            break;
        case FieldKind::Param:
            o.scheme_params.push_back(field + "=" + value);
            break;
        case FieldKind::Schemes:
            o.schemes = {"dense"};
            if (value != "dense") o.schemes.push_back(value);
            break;
    }
}

// Checks what a sweep unit's axis values set: the hardware they give, every scheme's parameters;
// an error names the file and the axis field (`where` of the first value of its kind).
void check_unit(const ExperimentUnit& u, const std::map<std::string, std::string>& where_of,
                const std::string& src) {
    auto first_where = [&](auto pred) {
        for (const auto& [field, value] : u.coords)
            if (pred(field)) return where_of.at(field);
        return std::string("(top level)");
    };
    // An error about one axis field (a FieldError naming it) is reported at that field.
    auto fail_at = [&](const Error& e, const std::string& otherwise) {
        const auto* fe = dynamic_cast<const FieldError*>(&e);
        if (fe && where_of.count(fe->name())) fail(src, where_of.at(fe->name()), fe->detail());
        fail(src, otherwise, e.what());
    };
    HwConfig hw;
    try {
        hw = resolve_hw(u.options.hw_path, u.options.hw_overrides);
    } catch (const Error& e) {
        fail_at(e, first_where([](const std::string& f) { return is_hw_key(f); }));
    }
    for (const std::string& name : u.options.schemes) {
        try {
            scheme_context(name, hw, u.options);
        } catch (const Error& e) {
            fail_at(e,
                    first_where([&](const std::string& f) { return f.rfind(name + ".", 0) == 0; }));
        }
    }
}

// The axes of a sweep (`sweep:`, `axes:` or `points:`), each unit's (field, value) list, and the
// field errors about each axis name.
struct SweepSpec {
    std::vector<AxisSpec> axes;
    std::vector<std::vector<std::pair<std::string, std::string>>> points;
    std::vector<std::string> point_where;  // per point, what a duplicate names
};

SweepSpec parse_sweep(const YAML::Node& root, const std::string& src,
                      const std::vector<std::string>& schemes) {
    SweepSpec sp;
    const int given = (root["sweep"] ? 1 : 0) + (root["axes"] ? 1 : 0) + (root["points"] ? 1 : 0);
    if (given == 0) return sp;
    if (given > 1) fail(src, "sweep", "give one of sweep, axes and points");
    auto scheme_known = [&](const std::string& field, const std::string& where) {
        const std::string scheme = field.substr(0, field.find('.'));
        bool axis_has = false;
        for (const AxisSpec& a : sp.axes)
            if (a.kind == FieldKind::Schemes)
                axis_has = axis_has || std::find(a.axis.values.begin(), a.axis.values.end(),
                                                 scheme) != a.axis.values.end();
        if (!axis_has && std::find(schemes.begin(), schemes.end(), scheme) == schemes.end())
            fail(src, where, "scheme '" + scheme + "' is not in schemes");
    };
    if (const YAML::Node sw = root["sweep"]) {
        if (!sw.IsMap()) fail(src, "sweep", "expected {param: scheme.key, values: [...]}");
        for (const auto& kv : sw) {
            const std::string key = key_text(kv.first, src, "sweep");
            if (key != "param" && key != "values")
                fail(src, "sweep." + key, "unknown key (known: param, values)");
        }
        if (!sw["param"] || !sw["values"])
            fail(src, "sweep", "needs both param (scheme.key) and values");
        AxisSpec a;
        a.axis.field = scalar(sw["param"], src, "sweep.param");
        const auto dot = a.axis.field.find('.');
        if (dot == std::string::npos || dot == 0 || dot + 1 == a.axis.field.size())
            fail(src, "sweep.param", "expected scheme.key, e.g. twofold.sparsity");
        a.axis.label = a.axis.field.substr(dot + 1);
        a.kind = field_kind(a.axis.field, src, "sweep.param");
        if (a.kind != FieldKind::Param)
            fail(src, "sweep.param", "expected scheme.key, e.g. twofold.sparsity");
        scheme_known(a.axis.field, "sweep.param");
        a.axis.values = axis_values(sw["values"], src, "sweep.values");
        a.where = "sweep.values";
        sp.axes.push_back(std::move(a));
    }
    if (const YAML::Node ax = root["axes"]) {
        if (!ax.IsMap() || ax.size() == 0)
            fail(src, "axes", "expected a mapping FIELD: [values...], got " + describe(ax));
        for (const auto& kv : ax) {
            AxisSpec a;
            a.axis.field = key_text(kv.first, src, "axes");
            a.axis.label = a.axis.field;
            a.where = "axes." + a.axis.field;
            for (const AxisSpec& b : sp.axes)
                if (b.axis.field == a.axis.field) fail(src, a.where, "duplicate axis");
            a.kind = field_kind(a.axis.field, src, a.where);
            a.axis.values = axis_values(kv.second, src, a.where);
            if (a.kind == FieldKind::Schemes)
                for (const std::string& v : a.axis.values) try {
                        find_scheme(v);
                    } catch (const Error& e) {
                        fail(src, a.where, e.what());
                    }
            sp.axes.push_back(std::move(a));
        }
        for (const AxisSpec& a : sp.axes)
            if (a.kind == FieldKind::Param) scheme_known(a.axis.field, a.where);
    }
    if (!root["points"]) {
        // The full grid, the first axis outermost.
        sp.points = {{}};
        for (const AxisSpec& a : sp.axes) {
            std::vector<std::vector<std::pair<std::string, std::string>>> next;
            for (const auto& p : sp.points)
                for (const std::string& v : a.axis.values) {
                    next.push_back(p);
                    next.back().emplace_back(a.axis.field, v);
                }
            sp.points = std::move(next);
        }
        sp.point_where.assign(sp.points.size(), "axes");
    }
    if (const YAML::Node pts = root["points"]) {
        if (!pts.IsSequence() || pts.size() == 0)
            fail(src, "points", "expected a non-empty list of {FIELD: value, ...}");
        for (size_t i = 0; i < pts.size(); ++i) {
            const std::string at = "points[" + std::to_string(i) + "]";
            if (!pts[i].IsMap() || pts[i].size() == 0)
                fail(src, at, "expected a non-empty mapping FIELD: value, got " + describe(pts[i]));
            auto& point = sp.points.emplace_back();
            for (const auto& kv : pts[i]) {
                const std::string field = key_text(kv.first, src, at);
                const std::string where = at + "." + field;
                const FieldKind kind = field_kind(field, src, where);
                const std::string v = scalar(kv.second, src, where);
                if (kind == FieldKind::Schemes) try {
                        find_scheme(v);
                    } catch (const Error& e) {
                        fail(src, where, e.what());
                    }
                auto it = std::find_if(sp.axes.begin(), sp.axes.end(),
                                       [&](const AxisSpec& a) { return a.axis.field == field; });
                if (it == sp.axes.end()) {
                    AxisSpec a;
                    a.axis.field = a.axis.label = field;
                    a.kind = kind;
                    a.where = "points";
                    sp.axes.push_back(std::move(a));
                    it = sp.axes.end() - 1;
                }
                if (std::find(it->axis.values.begin(), it->axis.values.end(), v) ==
                    it->axis.values.end())
                    it->axis.values.push_back(v);
                point.emplace_back(field, v);
                if (kind == FieldKind::Param) scheme_known(field, where);
            }
            sp.point_where.push_back(at);
        }
    }
    return sp;
}

}  // namespace

namespace {

// A map SCHEME: VALUE at `key` (e.g. finetune_lr_scheme: {sme: 3e-4}) into `into`; a value `ok`
// rejects is an error at KEY.SCHEME saying `problem`.
template <typename T, typename Ok>
void per_scheme(const YAML::Node& root, const std::string& src, const std::string& key,
                const std::string& what, std::map<std::string, T>& into, Ok ok,
                const std::string& problem) {
    const YAML::Node by = root[key];
    if (!by) return;
    if (!by.IsMap()) fail(src, key, "must be a map SCHEME: " + what);
    for (const auto& kv : by) {
        const std::string name = kv.first.as<std::string>();
        const std::string field = key + "." + name;
        T value{};
        if constexpr (std::is_integral_v<T>)
            value = parse_int(kv.second, src, field);
        else
            value = parse_double(kv.second, src, field);
        if (!ok(value)) fail(src, field, problem);
        into[name] = value;
    }
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
    count("trials", base_opt.trials, 0, 10000);
    count("size_adc_images", base_opt.size_adc_images, 0, 60000);
    count("size_adc_top1_images", base_opt.size_adc_top1_images, 0, 10000);
    if (root["size_adc_max_drop"]) {
        base_opt.size_adc_max_drop =
            parse_double(root["size_adc_max_drop"], src, "size_adc_max_drop");
        if (!(base_opt.size_adc_max_drop >= 0.0 && base_opt.size_adc_max_drop <= 100.0))
            fail(src, "size_adc_max_drop", "must be in 0..100 percentage points");
    }
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
    if (root["finetune_lr"]) {
        base_opt.finetune_lr = parse_double(root["finetune_lr"], src, "finetune_lr");
        if (!(base_opt.finetune_lr > 0.0 && base_opt.finetune_lr < 1.0))
            fail(src, "finetune_lr", "must be in (0, 1)");
    }
    per_scheme(
        root, src, "finetune_lr_scheme", "LR", base_opt.finetune_lr_scheme,
        [](double lr) { return lr > 0.0 && lr < 1.0; }, "must be in (0, 1)");
    per_scheme(
        root, src, "finetune_epochs_scheme", "EPOCHS", base_opt.finetune_epochs_scheme,
        [](int epochs) { return epochs >= 1; }, "must be >= 1");
    if (root["finetune_distill"]) {
        base_opt.finetune_distill = parse_double(root["finetune_distill"], src, "finetune_distill");
        if (!(base_opt.finetune_distill >= 0.0 && base_opt.finetune_distill <= 1.0))
            fail(src, "finetune_distill", "must be in [0, 1]");
    }
    if (root["finetune_temperature"]) {
        base_opt.finetune_temperature =
            parse_double(root["finetune_temperature"], src, "finetune_temperature");
        if (!(base_opt.finetune_temperature > 0.0 && base_opt.finetune_temperature <= 100.0))
            fail(src, "finetune_temperature", "must be in (0, 100]");
    }
    if (root["finetune_grid"]) {
        base_opt.finetune_grid = scalar(root["finetune_grid"], src, "finetune_grid");
        if (base_opt.finetune_grid != "scheme" && base_opt.finetune_grid != "int8")
            fail(src, "finetune_grid",
                 "expected scheme or int8, got '" + base_opt.finetune_grid + "'");
    }
    if (root["finetune_prune"]) {
        base_opt.finetune_prune = scalar(root["finetune_prune"], src, "finetune_prune");
        if (base_opt.finetune_prune != "gradual" && base_opt.finetune_prune != "oneshot")
            fail(src, "finetune_prune",
                 "expected gradual or oneshot, got '" + base_opt.finetune_prune + "'");
    }
    if (root["tuned"]) {
        const std::string t = scalar(root["tuned"], src, "tuned");
        base_opt.tuned = t == "none" ? t : rel(t).string();
    }
    if (root["accuracy_split"]) {
        base_opt.accuracy_split = scalar(root["accuracy_split"], src, "accuracy_split");
        if (base_opt.accuracy_split != "test" && base_opt.accuracy_split != "val")
            fail(src, "accuracy_split",
                 "expected test or val, got '" + base_opt.accuracy_split + "'");
    }
    if (root["check_exact"])
        base_opt.check_exact = boolean(root["check_exact"], src, "check_exact");
    count("seed", base_opt.seed, 0, std::numeric_limits<int>::max());
    if (const YAML::Node d = root["data"]; d && d.IsMap()) {
        // The user's own .npy arrays (paths relative to the file), or a Fashion-MNIST `dir`.
        for (const auto& kv : d) {
            const std::string key = key_text(kv.first, src, "data");
            const std::string field = "data." + key;
            DataSource& ds = base_opt.data;
            if (key == "mean" || key == "std") {
                std::vector<float>& v = key == "mean" ? ds.mean : ds.stdev;
                const YAML::Node list = kv.second;
                if (list.IsSequence()) {
                    for (size_t i = 0; i < list.size(); ++i)
                        v.push_back(static_cast<float>(
                            parse_double(list[i], src, field + "[" + std::to_string(i) + "]")));
                } else {
                    v.push_back(static_cast<float>(parse_double(list, src, field)));
                }
                continue;
            }
            std::string* target = key == "dir"            ? &ds.dir
                                  : key == "inputs"       ? &ds.inputs
                                  : key == "labels"       ? &ds.labels
                                  : key == "train_inputs" ? &ds.train_inputs
                                  : key == "train_labels" ? &ds.train_labels
                                                          : nullptr;
            if (!target)
                fail(src, field,
                     "unknown key (expected dir, inputs, labels, train_inputs, train_labels, "
                     "mean, std)");
            *target = rel(scalar(kv.second, src, field)).string();
        }
    } else if (d) {
        base_opt.data.dir = rel(scalar(d, src, "data")).string();
    }

    const SweepSpec sweep = parse_sweep(root, src, base_opt.schemes);
    std::map<std::string, std::string> where_of;  // axis field -> what its errors name
    std::map<std::string, FieldKind> kind_of;
    for (const AxisSpec& a : sweep.axes) {
        ex.axes.push_back(a.axis);
        where_of[a.axis.field] = a.where;
        kind_of[a.axis.field] = a.kind;
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
                !path_exists(u.options.model))
                fail(src, "models[" + std::to_string(mi) + "]", "no such file: " + u.options.model);
            if (!hws[hi].empty()) {
                u.options.hw_path = rel(hws[hi]).string();
                if (!path_exists(u.options.hw_path))
                    fail(src, "hw[" + std::to_string(hi) + "]",
                         "no such file: " + u.options.hw_path);
            }
            u.id = stem_of(m.empty() ? "zoo:default" : m) + "__" +
                   (hws[hi].empty() ? "dense" : stem_of(hws[hi]));
            if (!ids.insert(u.id).second) fail(src, "models/hw", "two units share the id " + u.id);
            u.group = u.id;
            if (sweep.points.empty()) {
                ex.units.push_back(std::move(u));
                continue;
            }
            for (size_t pi = 0; pi < sweep.points.size(); ++pi) {
                ExperimentUnit su = u;
                // Points set their fields in axis order, so equal points get equal ids.
                for (const SweepAxis& a : ex.axes)
                    for (const auto& [field, v] : sweep.points[pi])
                        if (field == a.field) {
                            su.coords.emplace_back(field, v);
                            apply_coord(su.options, kind_of.at(field), field, v);
                            su.id += "__" + a.label + "=" + id_text(v);
                        }
                if (!ids.insert(su.id).second) {
                    if (sweep.point_where[pi] != "axes" || su.coords.empty())
                        fail(src, sweep.point_where[pi], "the same point as an earlier one");
                    // Two values of one axis that differ only in characters ids replace.
                    const auto& [field, v] = su.coords.back();
                    fail(src, where_of.at(field), "the value " + v + " gives a unit id twice");
                }
                std::map<std::string, std::string> where = where_of;
                if (sweep.point_where[pi] != "axes")
                    for (const auto& [field, v] : su.coords)
                        where[field] = sweep.point_where[pi] + "." + field;
                check_unit(su, where, src);
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

// The FNV digest of a file's bytes. A sweep fingerprints every point with the same model and
// hardware files, and FNV goes one byte at a time (a 445 kB model took 14% of a 2,000-point
// re-pricing sweep), so a digest is kept by the file's stamp (core/atomic_file.hpp).
std::string file_digest(const std::filesystem::path& path) {
    auto hash = [&] {
        Fnv64 f;
        f.add(read_file(path));  // its error names the file
        return f.hex();
    };
    const std::string stamp = file_stamp(path);
    if (stamp.empty()) return hash();
    static KeyedMemo<std::string> known;
    return known.get(path.string() + '\n' + stamp, hash);
}

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
    if (!o.model.empty() && o.model.rfind("zoo:", 0) != 0) f.add(file_digest(o.model));
    f.add(file_digest(o.hw_path.empty() ? hw_preset_path("dense")
                                        : std::filesystem::path(o.hw_path)));
    f.add(o.data.dir);
    for (const std::string* p :
         {&o.data.inputs, &o.data.labels, &o.data.train_inputs, &o.data.train_labels})
        if (!p->empty()) f.add(file_digest(*p));
    for (const auto* v : {&o.data.mean, &o.data.stdev})
        for (float x : *v) f.add(std::to_string(x));
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
    if (!resume || !path_exists(path)) return;
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
