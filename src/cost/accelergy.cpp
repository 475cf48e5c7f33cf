// Accelergy's reference tables and action counts, read and written (docs/accelergy.md).
#include "cost/accelergy.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/yaml_util.hpp"

namespace sparsecim {

namespace {

// Accelergy names instances with ranges (macro.column[0..31].adc); a price is per instance, so
// the ranges are dropped before names are compared.
std::string without_ranges(const std::string& name) {
    std::string out;
    int depth = 0;
    for (char c : name) {
        if (c == '[') ++depth;
        if (depth == 0) out += c;
        if (c == ']' && depth > 0) --depth;
    }
    return out;
}

// The shortest text that reads back as the same double.
std::string number(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

// A YAML double-quoted scalar (JSON's string syntax is a subset of it).
std::string quoted(const std::string& s) {
    return nlohmann::json(s).dump();
}

std::string args_key(const std::vector<std::pair<std::string, int64_t>>& args) {
    std::string k;
    for (const auto& [name, value] : args) k += name + "=" + std::to_string(value) + ";";
    return k;
}

std::string args_text(const std::vector<std::pair<std::string, int64_t>>& args) {
    if (args.empty()) return "no arguments";
    std::string t = "arguments {";
    for (size_t i = 0; i < args.size(); ++i)
        t += (i ? ", " : "") + args[i].first + ": " + std::to_string(args[i].second);
    return t + "}";
}

// `  arguments: {a: 1, b: 2}` lines of an action, or nothing.
std::string args_yaml(const std::vector<std::pair<std::string, int64_t>>& args,
                      const std::string& indent) {
    if (args.empty()) return indent + "arguments: null\n";
    std::string t = indent + "arguments: {";
    for (size_t i = 0; i < args.size(); ++i)
        t += (i ? ", " : "") + quoted(args[i].first) + ": " + std::to_string(args[i].second);
    return t + "}\n";
}

const YAML::Node list_at(const YAML::Node& parent, const std::string& key,
                         const std::string& source, const std::string& field) {
    const YAML::Node n = parent[key];
    if (!n || !n.IsSequence()) fail(source, field, "expected a list, got " + describe(n));
    return n;
}

YAML::Node root_of(const std::filesystem::path& path, const std::string& key) {
    const std::string source = path.string();
    const YAML::Node doc = load_yaml(read_file(path), source);
    if (!doc.IsMap() || !doc[key] || !doc[key].IsMap())
        fail(source, key, "missing (an Accelergy " + key + " file starts with `" + key + ":`)");
    return doc[key];
}

}  // namespace

AccelergyTarget AccelergyBinding::energy_target(const std::string& event) const {
    const auto it = energy.find(event);
    return it != energy.end() ? it->second : AccelergyTarget{"macro." + event, "read"};
}

std::string AccelergyBinding::area_target(const std::string& unit) const {
    const auto it = area.find(unit);
    return it != area.end() ? it->second : "macro." + unit;
}

AccelergyBinding default_binding() {
    AccelergyBinding b;
    b.energy = {{"cell_read", {"macro.cell", "read"}},
                {"adc_conversion", {"macro.adc", "read"}},
                {"driver_activation", {"macro.row_drivers", "read"}},
                {"shift_add", {"macro.shift_add", "read"}},
                {"digital_add", {"macro.psum_adder", "add"}},
                {"buffer_byte", {"macro.input_buffer", "read"}},
                {"index_bit", {"macro.index_memory", "read"}}};
    b.area = {{"crossbar", "macro.array"},         {"adc", "macro.adc"},
              {"row_driver", "macro.row_drivers"}, {"shift_add", "macro.shift_add"},
              {"buffer", "macro.input_buffer"},    {"index_kbit", "macro.index_memory"}};
    return b;
}

AccelergyBinding load_binding(const std::filesystem::path& path) {
    AccelergyBinding b = default_binding();
    b.source = path.string();
    const std::string& source = b.source;
    const YAML::Node root = root_of(path, "bindings");
    for (const auto& section : root) {
        const std::string name = key_text(section.first, source, "bindings");
        if (name == "version") continue;
        if (name != "energy" && name != "area")
            fail(source, "bindings." + name, "unknown section (energy, area or version)");
        if (!section.second.IsMap())
            fail(source, "bindings." + name, "expected a mapping, got " + describe(section.second));
        for (const auto& kv : section.second) {
            const std::string item = key_text(kv.first, source, "bindings." + name);
            const std::string field = "bindings." + name + "." + item;
            if (name == "area") {
                b.area[item] = parse_string(kv.second, source, field);
                continue;
            }
            if (!kv.second.IsMap())
                fail(source, field,
                     "expected {component: NAME, action: NAME}, got " + describe(kv.second));
            AccelergyTarget t;
            t.component = parse_string(kv.second["component"], source, field + ".component");
            t.action = parse_string(kv.second["action"], source, field + ".action");
            b.energy[item] = t;
        }
    }
    return b;
}

AccelergyTables load_accelergy_tables(const std::filesystem::path& ert,
                                      const std::filesystem::path& art) {
    AccelergyTables t;
    t.ert_source = ert.string();
    t.art_source = art.string();
    {
        const std::string& source = t.ert_source;
        const YAML::Node tables = list_at(root_of(ert, "ERT"), "tables", source, "ERT.tables");
        for (size_t i = 0; i < tables.size(); ++i) {
            const std::string field = "ERT.tables[" + std::to_string(i) + "]";
            const std::string component =
                without_ranges(parse_string(tables[i]["name"], source, field + ".name"));
            auto& actions = t.ert[component];
            const YAML::Node list = list_at(tables[i], "actions", source, field + ".actions");
            for (size_t a = 0; a < list.size(); ++a) {
                const std::string af = field + ".actions[" + std::to_string(a) + "]";
                const std::string action = parse_string(list[a]["name"], source, af + ".name");
                AccelergyTables::Entry e;
                e.energy_pj = parse_double(list[a]["energy"], source, af + ".energy");
                const YAML::Node args = list[a]["arguments"];
                if (args && !args.IsNull()) {
                    if (!args.IsMap())
                        fail(source, af + ".arguments",
                             "expected a mapping or null, got " + describe(args));
                    e.any_arguments = false;
                    for (const auto& kv : args) {
                        const std::string k = key_text(kv.first, source, af + ".arguments");
                        e.arguments[k] = parse_string(kv.second, source, af + ".arguments." + k);
                    }
                }
                actions[action].push_back(std::move(e));
            }
        }
    }
    {
        const std::string& source = t.art_source;
        const YAML::Node tables = list_at(root_of(art, "ART"), "tables", source, "ART.tables");
        for (size_t i = 0; i < tables.size(); ++i) {
            const std::string field = "ART.tables[" + std::to_string(i) + "]";
            const std::string component =
                without_ranges(parse_string(tables[i]["name"], source, field + ".name"));
            t.art[component] = parse_double(tables[i]["area"], source, field + ".area");
        }
    }
    return t;
}

PriceTable accelergy_prices(const AccelergyTables& tables, const AccelergyBinding& binding) {
    auto t = std::make_shared<const AccelergyTables>(tables);
    auto b = std::make_shared<const AccelergyBinding>(binding);
    PriceTable p;
    p.energy_pj = [t, b](const CostItem& item) -> double {
        const AccelergyTarget target = b->energy_target(item.name);
        const std::string bound =
            " (bound to sparsecim event " + item.name + " by " + b->source + ")";
        const auto comp = t->ert.find(without_ranges(target.component));
        if (comp == t->ert.end())
            throw Error(t->ert_source + ": no table for component " + target.component + bound);
        const auto action = comp->second.find(target.action);
        if (action == comp->second.end())
            throw Error(t->ert_source + ": component " + target.component + " has no action " +
                        target.action + bound);
        const AccelergyTables::Entry* fallback = nullptr;
        for (const AccelergyTables::Entry& e : action->second) {
            if (e.any_arguments) {
                if (!fallback) fallback = &e;
                continue;
            }
            bool same = e.arguments.size() == item.args.size();
            for (const auto& [k, v] : item.args) {
                const auto it = e.arguments.find(k);
                same = same && it != e.arguments.end() && it->second == std::to_string(v);
            }
            if (same) return e.energy_pj;
        }
        if (fallback) return fallback->energy_pj;
        throw Error(t->ert_source + ": component " + target.component + " action " + target.action +
                    " has no entry for " + args_text(item.args) + bound);
    };
    p.area_um2 = [t, b](const CostItem& item) -> double {
        const std::string component = b->area_target(item.name);
        const auto it = t->art.find(without_ranges(component));
        if (it == t->art.end())
            throw Error(t->art_source + ": no table for component " + component +
                        " (bound to sparsecim unit " + item.name + " by " + b->source + ")");
        return it->second;
    };
    return p;
}

AccelergyTableWriter::AccelergyTableWriter(AccelergyBinding binding)
    : binding_(std::move(binding)) {}

void AccelergyTableWriter::add(const CostItems& items, const PriceTable& prices,
                               const std::string& who) {
    auto record = [&](std::vector<Priced>& list, const CostItem& item, const std::string& component,
                      const std::string& action, double value, const char* unit) {
        Priced p{component, action, args_key(item.args), item.args, value, who, item.name};
        for (const Priced& q : list)
            if (q.component == p.component && q.action == p.action && q.args_key == p.args_key) {
                if (q.value != p.value)
                    throw Error("one Accelergy table cannot hold both prices of " + component +
                                (action.empty() ? "" : " " + action) + " (" + args_text(item.args) +
                                "): " + number(q.value) + " " + unit + " for " + q.who + ", " +
                                number(value) + " " + unit + " for " + who +
                                " (entries priced on different hardware)");
                return;
            }
        list.push_back(std::move(p));
    };
    for (const CostItem& item : items.energy) {
        if (item.count == 0.0) continue;
        const AccelergyTarget target = binding_.energy_target(item.name);
        record(energy_, item, target.component, target.action, prices.energy_pj(item), "pJ");
    }
    for (const CostItem& item : items.area) {
        if (item.count == 0.0) continue;
        record(area_, item, binding_.area_target(item.name), "", prices.area_um2(item), "um^2");
    }
}

std::string AccelergyTableWriter::ert_yaml() const {
    std::ostringstream out;
    out << "# Energy Reference Table written by sparsecim: pJ per action, the prices that priced "
           "the run.\nERT:\n  version: 0.4\n  tables:\n";
    std::vector<std::string> order;
    for (const Priced& p : energy_)
        if (std::find(order.begin(), order.end(), p.component) == order.end())
            order.push_back(p.component);
    for (const std::string& component : order) {
        out << "  - name: " << quoted(component) << "\n    actions:\n";
        for (const Priced& p : energy_) {
            if (p.component != component) continue;
            out << "    - name: " << quoted(p.action) << "\n"
                << args_yaml(p.args, "      ") << "      energy: " << number(p.value) << "\n";
        }
    }
    return out.str();
}

std::string AccelergyTableWriter::art_yaml() const {
    std::ostringstream out;
    out << "# Area Reference Table written by sparsecim: um^2 per instance.\nART:\n  version: "
           "0.4\n  tables:\n";
    for (const Priced& p : area_)
        out << "  - name: " << quoted(p.component) << "\n    area: " << number(p.value) << "\n";
    return out.str();
}

std::string AccelergyTableWriter::binding_yaml() const {
    std::ostringstream out;
    out << "# sparsecim's events and units -> the Accelergy components (and actions) that price "
           "them (docs/accelergy.md).\nbindings:\n  version: 0.1\n  energy:\n";
    std::set<std::string> seen;
    for (const Priced& p : energy_)
        if (seen.insert(p.event).second)
            out << "    " << quoted(p.event) << ": {component: " << quoted(p.component)
                << ", action: " << quoted(p.action) << "}\n";
    out << "  area:\n";
    seen.clear();
    for (const Priced& p : area_)
        if (seen.insert(p.event).second)
            out << "    " << quoted(p.event) << ": " << quoted(p.component) << "\n";
    return out.str();
}

std::string action_counts_yaml(const CostItems& items, const AccelergyBinding& binding) {
    std::vector<std::string> order;
    std::map<std::string, std::string> actions;
    for (const CostItem& item : items.energy) {
        if (item.count == 0.0) continue;
        const AccelergyTarget target = binding.energy_target(item.name);
        if (!actions.count(target.component)) order.push_back(target.component);
        actions[target.component] +=
            "    - name: " + quoted(target.action) + "\n" + args_yaml(item.args, "      ") +
            "      counts: " + std::to_string(static_cast<uint64_t>(item.count)) + "\n";
    }
    std::string out = "action_counts:\n  version: 0.4\n  local:\n";
    for (const std::string& component : order)
        out += "  - name: " + quoted(component) + "\n    action_counts:\n" + actions[component];
    return out;
}

}  // namespace sparsecim
