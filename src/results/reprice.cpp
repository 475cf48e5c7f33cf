// Re-pricing a results.json and exporting it to Accelergy: both read back what a run stored (the
// counts and footprint of every entry and layer, and the hardware each entry was priced on).
#include "results/reprice.hpp"

#include <cstdio>
#include <memory>
#include <set>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "results/compare.hpp"
#include "results/results_json.hpp"

namespace sparsecim {

namespace {

using json = nlohmann::json;

const json& field(const json& j, const std::string& key, const std::string& source,
                  const std::string& where) {
    if (!j.is_object() || !j.contains(key))
        throw Error(source + ": " + where + "." + key +
                    ": missing (not a sparsecim results.json?)");
    return j.at(key);
}

int64_t int_field(const json& j, const std::string& key, const std::string& source,
                  const std::string& where) {
    const json& v = field(j, key, source, where);
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
        throw Error(source + ": " + where + "." + key + ": expected a non-negative integer, got " +
                    v.dump());
    return v.get<int64_t>();
}

// One priced part of a results.json: an entry (scheme or baseline) or one of its layers.
struct Part {
    std::string entry;  // the entry's name
    std::string layer;  // empty for the entry's sum
    size_t layer_index = 0;
    json::json_pointer at;  // where its fields are
    std::shared_ptr<const HwConfig> hw;
    CostItems items;
};

Footprint footprint_of(const json& j, const std::string& source, const std::string& where) {
    Footprint fp;
    fp.crossbars = int_field(j, "crossbars", source, where);
    fp.stored_cells = int_field(j, "stored_cells", source, where);
    fp.index_bits = int_field(j, "index_bits", source, where);
    const json& units = field(j, "periphery_units", source, where);
    if (!units.is_object())
        throw Error(source + ": " + where + ".periphery_units: expected an object");
    for (const auto& [name, n] : units.items())
        fp.units[name] = int_field(units, name, source, where + ".periphery_units");
    return fp;
}

std::vector<Part> parts_of(const json& results, const std::string& source) {
    const auto run_hw = std::make_shared<const HwConfig>(parse_hw_config(
        field(field(results, "config", source, "results"), "hw", source, "config").dump(),
        source + ": config.hw"));
    std::vector<Part> parts;
    for (const char* list : {"schemes", "baselines"}) {
        const json& entries = field(results, list, source, "results");
        if (!entries.is_array()) throw Error(source + ": " + list + ": expected a list");
        for (size_t i = 0; i < entries.size(); ++i) {
            const json& e = entries[i];
            const std::string where = std::string(list) + "[" + std::to_string(i) + "]";
            const json& name = field(e, "name", source, where);
            if (!name.is_string()) throw Error(source + ": " + where + ".name: expected a string");
            auto hw = run_hw;
            if (e.contains("hw"))
                hw = std::make_shared<const HwConfig>(
                    parse_hw_config(e.at("hw").dump(), source + ": " + where + ".hw"));
            auto part = [&](const json& j, const std::string& at, const std::string& w,
                            const std::string& layer, size_t li) {
                const Stats st =
                    stats_from_json(field(j, "counts", source, w), source + ": " + w + ".counts");
                parts.push_back({name.get<std::string>(), layer, li, json::json_pointer(at), hw,
                                 cost_items(st, footprint_of(j, source, w), *hw)});
            };
            const std::string at = "/" + std::string(list) + "/" + std::to_string(i);
            part(e, at, where, "", 0);
            const json& layers = field(e, "layers", source, where);
            if (!layers.is_array()) throw Error(source + ": " + where + ".layers: expected a list");
            for (size_t li = 0; li < layers.size(); ++li) {
                const std::string lw = where + ".layers[" + std::to_string(li) + "]";
                const json& lname = field(layers[li], "name", source, lw);
                part(layers[li], at + "/layers/" + std::to_string(li), lw,
                     lname.is_string() ? lname.get<std::string>() : lname.dump(), li);
            }
        }
    }
    return parts;
}

json opt(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

// A file name from an entry or layer name: letters, digits and ._+- kept, the rest '_'.
std::string file_name(const std::string& name) {
    std::string out;
    for (char c : name) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' || c == '-';
        out += keep ? c : '_';
    }
    return out.empty() || out[0] == '.' ? "_" + out : out;
}

}  // namespace

json read_results_json(const std::filesystem::path& path) {
    try {
        return json::parse(read_file(path));
    } catch (const json::exception& e) {
        throw Error(path.string() + ": malformed JSON: " + e.what());
    }
}

json reprice_results(const json& results, const std::string& source, const PricesFor& prices) {
    json out = results;
    std::map<const HwConfig*, PriceTable> tables;
    std::map<std::string, Cost> entry_cost;  // by json pointer of the entry
    for (const Part& p : parts_of(results, source)) {
        auto t = tables.find(p.hw.get());
        if (t == tables.end()) t = tables.emplace(p.hw.get(), prices(*p.hw)).first;
        const Cost c = price(p.items, t->second, p.hw->clock_mhz);
        set_cost_fields(out[p.at], c);
        if (p.layer.empty()) entry_cost[p.at.to_string()] = c;
    }
    // The energy and area ratios, against the entries compare_schemes chose (named in "baseline").
    auto index_of = [&](const char* list, const std::string& name) -> std::optional<size_t> {
        for (size_t i = 0; i < out[list].size(); ++i)
            if (out[list][i].value("name", "") == name) return i;
        return std::nullopt;
    };
    const auto dense = index_of("schemes", "dense");
    auto cost_at = [&](const char* list, size_t i) -> const Cost& {
        return entry_cost.at("/" + std::string(list) + "/" + std::to_string(i));
    };
    auto set_ratios = [&](json& r, const Cost* base, const Cost& s) {
        if (!r.is_object()) return;
        r["energy_efficiency"] =
            base ? opt(times_better(base->total_energy_pj(), s.total_energy_pj())) : nullptr;
        r["area_efficiency"] =
            base ? opt(times_better(base->total_area_um2(), s.total_area_um2())) : nullptr;
    };
    for (size_t i = 0; i < out["schemes"].size(); ++i) {
        json& s = out["schemes"][i];
        const Cost& own = cost_at("schemes", i);
        const Cost* run_dense = dense ? &cost_at("schemes", *dense) : nullptr;
        const Cost* base = run_dense;
        if (s.contains("baseline") && s["baseline"].is_string())
            if (const auto b = index_of("baselines", s["baseline"].get<std::string>()))
                base = &cost_at("baselines", *b);
        if (s.contains("vs_dense")) set_ratios(s["vs_dense"], base, own);
        if (s.contains("vs_run_dense")) set_ratios(s["vs_run_dense"], run_dense, own);
    }
    return out;
}

std::map<std::string, std::string> accelergy_export(const json& results, const std::string& source,
                                                    const AccelergyBinding& binding) {
    std::map<std::string, std::string> files;
    AccelergyTableWriter writer(binding);
    std::map<const HwConfig*, PriceTable> tables;
    std::map<std::string, std::string> dirs;  // entry name -> its folder
    std::set<std::string> taken;
    std::map<std::string, std::string> instances;  // folder -> instances.yaml body
    const std::vector<Part> parts = parts_of(results, source);
    std::map<std::string, size_t> layers_of;
    for (const Part& p : parts)
        if (!p.layer.empty()) layers_of[p.entry] = std::max(layers_of[p.entry], p.layer_index + 1);
    for (const Part& p : parts) {
        auto t = tables.find(p.hw.get());
        if (t == tables.end()) t = tables.emplace(p.hw.get(), hw_prices(*p.hw)).first;
        writer.add(p.items, t->second, p.entry + (p.layer.empty() ? "" : " layer " + p.layer));
        auto d = dirs.find(p.entry);
        if (d == dirs.end()) {
            std::string dir = file_name(p.entry);
            for (int k = 2; taken.count(dir); ++k)
                dir = file_name(p.entry) + "_" + std::to_string(k);
            taken.insert(dir);
            d = dirs.emplace(p.entry, dir).first;
        }
        const std::string folder = "action_counts/" + d->second + "/";
        std::string name = "total";
        if (!p.layer.empty()) {
            char num[16];
            const int width = layers_of[p.entry] > 99 ? 3 : 2;
            std::snprintf(num, sizeof num, "%0*zu", width, p.layer_index);
            name = std::string(num) + "_" + file_name(p.layer);
        }
        files[folder + name + ".yaml"] =
            "# " + p.entry + (p.layer.empty() ? ", all layers" : ", layer " + p.layer) +
            ": sparsecim's counted events as Accelergy action counts.\n" +
            action_counts_yaml(p.items, binding);
        std::string& inst = instances[folder];
        inst += "- layer: " + json(p.layer.empty() ? "(all layers)" : p.layer).dump() +
                "\n  components:\n";
        for (const CostItem& item : p.items.area)
            if (item.count != 0.0)
                inst += "    " + json(binding.area_target(item.name)).dump() + ": " +
                        json(item.count).dump() + "\n";
    }
    for (const auto& [folder, body] : instances)
        files[folder + "instances.yaml"] =
            "# Instances of each ART component (area = ART area x instances), the entry's sum "
            "first, then per layer.\ninstances:\n" +
            body;
    files["ERT.yaml"] = writer.ert_yaml();
    files["ART.yaml"] = writer.art_yaml();
    files["bindings.yaml"] = writer.binding_yaml();
    return files;
}

std::vector<std::filesystem::path> write_accelergy_export(const json& results,
                                                          const std::string& source,
                                                          const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> written;
    for (const auto& [path, text] : accelergy_export(results, source, default_binding())) {
        write_file_atomic(dir / path, text);
        written.push_back(dir / path);
    }
    return written;
}

}  // namespace sparsecim
