// HwConfig loading (yaml-cpp), validation, --set overrides and JSON echo. One table of fields
// (key, unit, member, meaning) drives parsing, overrides, the JSON echo and the key listing, so
// the YAML schema, the docs and the echo cannot drift apart.
#include "hw/hw_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <type_traits>
#include <variant>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/keyed_memo.hpp"
#include "core/yaml_util.hpp"

namespace sparsecim {

const char* encoding_name(Encoding e) {
    switch (e) {
        case Encoding::Differential:
            return "differential";
        case Encoding::Offset:
            return "offset";
        case Encoding::TwosComplement:
            return "twos_complement";
    }
    return "?";
}

bool HwConfig::nonideal() const {
    if (adc_calibration != "unit") return true;
    if (saf_lrs_rate != 0.0 || saf_hrs_rate != 0.0 || d2d_sigma != 0.0 || read_sigma != 0.0)
        return true;
    for (double s : state_sigma)
        if (s != 0.0) return true;
    for (size_t i = 0; i < state_level.size(); ++i)
        if (state_level[i] != static_cast<double>(i)) return true;
    return false;
}

double HwConfig::device_level(int state) const {
    return state_level.empty() ? static_cast<double>(state)
                               : state_level.at(static_cast<size_t>(state));
}

double HwConfig::device_sigma(int state) const {
    return state_sigma.empty() ? d2d_sigma : state_sigma.at(static_cast<size_t>(state));
}

bool HwConfig::adc_is_ideal() const {
    const int64_t adc_max = (int64_t{1} << adc_bits) - 1;
    const int64_t sum_max = int64_t{ou_rows} * ((int64_t{1} << cell_bits) - 1);
    return adc_max >= sum_max;
}

double HwConfig::cell_energy_pj(int state) const {
    const int states = 1 << cell_bits;
    if (state < 0 || state >= states) {
        throw Error(source + ": cell state " + std::to_string(state) + " out of range 0.." +
                    std::to_string(states - 1) + " for " + std::to_string(cell_bits) +
                    "-bit cells");
    }
    if (cell_state_energy_pj.empty()) return cell_read_energy_pj;
    return cell_state_energy_pj[static_cast<size_t>(state)];
}

namespace {

using Member = std::variant<std::string HwConfig::*, int HwConfig::*, double HwConfig::*,
                            Encoding HwConfig::*, std::vector<double> HwConfig::*>;

struct Field {
    const char* key;  // "section.key" or a top-level "key"
    const char* unit;
    Member member;
    const char* description;
};

const std::vector<Field>& fields() {
    static const std::vector<Field> table = {
        {"name", "", &HwConfig::name, "label of the config, echoed in reports"},
        {"crossbar.rows", "cells", &HwConfig::xbar_rows, "wordlines per crossbar, 1..65536"},
        {"crossbar.cols", "cells", &HwConfig::xbar_cols, "bitlines per crossbar, 1..65536"},
        {"crossbar.cell_bits", "bits", &HwConfig::cell_bits,
         "bits stored per cell: 1, 2, 4 or 8, dividing data.weight_bits"},
        {"crossbar.area_um2", "um^2", &HwConfig::xbar_area_um2, "area of one crossbar array"},
        {"data.weight_bits", "bits", &HwConfig::w_bits, "weight precision, 2..16"},
        {"data.activation_bits", "bits", &HwConfig::a_bits,
         "activation precision = input bit-planes per output, 1..16"},
        {"data.encoding", "", &HwConfig::encoding,
         "signed-weight encoding: differential, offset or twos_complement (needs 1-bit cells)"},
        {"ou.rows", "rows", &HwConfig::ou_rows,
         "P_WL: wordlines activated together in one OU op, 1..crossbar.rows"},
        {"ou.cols", "cols", &HwConfig::ou_cols,
         "P_BL: bitlines activated together in one OU op, 1..crossbar.cols"},
        {"adc.bits", "bits", &HwConfig::adc_bits, "ADC resolution, 1..24"},
        {"adc.per_crossbar", "ADCs", &HwConfig::adc_per_xbar,
         "ADCs per crossbar, 1..crossbar.cols"},
        {"adc.energy_pj", "pJ", &HwConfig::adc_energy_pj, "energy of one conversion"},
        {"adc.area_um2", "um^2", &HwConfig::adc_area_um2, "area of one ADC"},
        {"adc.latency_ns", "ns", &HwConfig::adc_latency_ns, "time of one conversion"},
        {"adc.calibration", "", &HwConfig::adc_calibration,
         "ADC range: unit (one level per code, clips above 2^bits-1) | max (step stretched to "
         "the layer's largest possible column sum: no clipping) | profiled (to the largest "
         "column sum seen on calibration images) | percentile (to adc.percentile of them)"},
        {"adc.percentile", "%", &HwConfig::adc_percentile,
         "percentile calibration: percent of the profiled conversions the ADC range covers"},
        {"adc.calibration_images", "images", &HwConfig::adc_calibration_images,
         "profiled and percentile calibration: calibration images profiled per layer"},
        {"dac.energy_pj", "pJ", &HwConfig::dac_energy_pj,
         "energy of driving one wordline with a 1 bit for one OU op"},
        {"dac.area_um2", "um^2", &HwConfig::dac_area_um2, "area of one wordline driver"},
        {"cell.read_energy_pj", "pJ", &HwConfig::cell_read_energy_pj,
         "energy of reading one cell on a driven row (used when no per-state table)"},
        {"cell.state_energy_pj", "pJ", &HwConfig::cell_state_energy_pj,
         "optional list of 2^cell_bits read energies, indexed by cell state"},
        {"shift_add.energy_pj", "pJ", &HwConfig::sa_energy_pj,
         "one shift-and-add of one column result (also prices digital adds)"},
        {"shift_add.area_um2", "um^2", &HwConfig::sa_area_um2, "shift-and-add area per crossbar"},
        {"buffer.energy_pj_per_byte", "pJ/B", &HwConfig::buffer_energy_pj_per_byte,
         "energy of reading one activation byte from the input buffer"},
        {"buffer.area_um2", "um^2", &HwConfig::buffer_area_um2, "buffer area per crossbar"},
        {"index.energy_pj_per_bit", "pJ/bit", &HwConfig::index_energy_pj_per_bit,
         "energy of reading one bit of mapping metadata"},
        {"index.area_um2_per_kbit", "um^2/kbit", &HwConfig::index_area_um2_per_kbit,
         "area of storing 1024 bits of mapping metadata"},
        {"device.saf_lrs_rate", "fraction", &HwConfig::saf_lrs_rate,
         "cells stuck at the low-resistance state (read as the highest state), 0..1"},
        {"device.saf_hrs_rate", "fraction", &HwConfig::saf_hrs_rate,
         "cells stuck at the high-resistance state (read as state 0), 0..1"},
        {"device.sigma", "relative", &HwConfig::d2d_sigma,
         "device-to-device variation: a cell's conductance is G(state) x (1 + sigma N(0,1)), "
         "fixed when programmed"},
        {"device.state_sigma", "relative", &HwConfig::state_sigma,
         "optional list of 2^cell_bits sigmas, per cell state, in place of device.sigma"},
        {"device.state_level", "steps", &HwConfig::state_level,
         "optional list of 2^cell_bits mean read levels, per cell state, in steps above HRS "
         "(ideal: 0, 1, .., 2^cell_bits - 1); a measured table: --device FILE.csv"},
        {"device.read_sigma", "relative", &HwConfig::read_sigma,
         "cycle-to-cycle read noise: each read adds G x read_sigma N(0,1)"},
        {"device.on_off_ratio", "ratio", &HwConfig::on_off_ratio,
         "G_LRS / G_HRS (0: infinite); sets the HRS conductance variation and noise act on"},
        {"timing.clock_mhz", "MHz", &HwConfig::clock_mhz, "clock frequency, > 0"},
        {"timing.ou_op_cycles", "cycles", &HwConfig::ou_op_cycles,
         "cycles one OU op occupies its crossbar, >= 1"},
    };
    return table;
}

const Field* find_field(const std::string& key) {
    for (const Field& f : fields()) {
        if (key == f.key) return &f;
    }
    return nullptr;
}

std::string section_of(const std::string& key) {
    const auto dot = key.find('.');
    return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

std::string leaf_of(const std::string& key) {
    const auto dot = key.find('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
}

// Top-level keys in table order: plain fields and section names.
std::vector<std::string> top_level_keys() {
    std::vector<std::string> out;
    for (const Field& f : fields()) {
        std::string k = section_of(f.key);
        if (k.empty()) k = f.key;
        if (out.empty() || out.back() != k) out.push_back(k);
    }
    return out;
}

std::vector<std::string> section_keys(const std::string& section) {
    std::vector<std::string> out;
    for (const Field& f : fields()) {
        if (section_of(f.key) == section) out.push_back(leaf_of(f.key));
    }
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
}

Encoding parse_encoding(const YAML::Node& node, const std::string& source, const std::string& key) {
    if (node.IsScalar()) {
        const std::string& s = node.Scalar();
        for (Encoding e : {Encoding::Differential, Encoding::Offset, Encoding::TwosComplement}) {
            if (s == encoding_name(e)) return e;
        }
    }
    fail(source, key,
         "expected one of differential, offset, twos_complement, got " + describe(node));
}

void set_field(HwConfig& hw, const Field& f, const YAML::Node& node, const std::string& source) {
    const std::string key = f.key;
    std::visit(
        [&](auto member) {
            using T = std::remove_reference_t<decltype(hw.*member)>;
            if constexpr (std::is_same_v<T, std::string>) {
                hw.*member = parse_string(node, source, key);
            } else if constexpr (std::is_same_v<T, int>) {
                hw.*member = parse_int(node, source, key);
            } else if constexpr (std::is_same_v<T, double>) {
                hw.*member = parse_double(node, source, key);
            } else if constexpr (std::is_same_v<T, Encoding>) {
                hw.*member = parse_encoding(node, source, key);
            } else {
                std::vector<double> values;
                if (node.IsDefined() && !node.IsNull()) {
                    if (!node.IsSequence()) {
                        fail(source, key, "expected a list of numbers, got " + describe(node));
                    }
                    for (size_t i = 0; i < node.size(); ++i) {
                        values.push_back(
                            parse_double(node[i], source, key + "[" + std::to_string(i) + "]"));
                    }
                }
                hw.*member = std::move(values);
            }
        },
        f.member);
}

void check_range(const std::string& source, const std::string& key, int64_t v, int64_t lo,
                 int64_t hi) {
    if (v < lo || v > hi) {
        fail(source, key,
             "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + " (got " +
                 std::to_string(v) + ")");
    }
}

void check_nonneg(const std::string& source, const std::string& key, double v) {
    if (!std::isfinite(v) || v < 0.0) {
        std::ostringstream os;
        os << "must be a finite number >= 0 (got " << v << ")";
        fail(source, key, os.str());
    }
}

void validate_as(const HwConfig& hw, const std::string& source) {
    if (hw.name.empty()) fail(source, "name", "must not be empty");
    check_range(source, "crossbar.rows", hw.xbar_rows, 1, 65536);
    check_range(source, "crossbar.cols", hw.xbar_cols, 1, 65536);
    // A mapping holds every crossbar's cells: a bound on one array bounds what mapping allocates.
    constexpr int64_t kMaxCrossbarCells = int64_t{1} << 22;
    const int64_t cells = int64_t{hw.xbar_rows} * hw.xbar_cols;
    if (cells > kMaxCrossbarCells)
        fail(source, "crossbar",
             "rows x cols = " + std::to_string(hw.xbar_rows) + " x " +
                 std::to_string(hw.xbar_cols) + " = " + std::to_string(cells) +
                 " cells, more than the limit of " + std::to_string(kMaxCrossbarCells) +
                 " (2048 x 2048) per crossbar");
    if (hw.cell_bits != 1 && hw.cell_bits != 2 && hw.cell_bits != 4 && hw.cell_bits != 8) {
        fail(source, "crossbar.cell_bits",
             "must be 1, 2, 4 or 8 (got " + std::to_string(hw.cell_bits) + ")");
    }
    check_range(source, "data.weight_bits", hw.w_bits, 2, 16);
    if (hw.w_bits % hw.cell_bits != 0) {
        fail(source, "crossbar.cell_bits",
             "cell bits (" + std::to_string(hw.cell_bits) + ") do not divide weight bits (" +
                 std::to_string(hw.w_bits) + ")");
    }
    check_range(source, "data.activation_bits", hw.a_bits, 1, 16);
    if (hw.encoding == Encoding::TwosComplement && hw.cell_bits != 1) {
        fail(source, "data.encoding",
             "twos_complement needs crossbar.cell_bits = 1 (got " + std::to_string(hw.cell_bits) +
                 "): a multi-bit cell cannot hold the negatively weighted sign bit together "
                 "with other bits; use differential or offset");
    }
    if (hw.ou_rows < 1) fail(source, "ou.rows", "must be at least 1");
    if (hw.ou_rows > hw.xbar_rows) {
        fail(source, "ou.rows",
             "OU rows (" + std::to_string(hw.ou_rows) + ") exceed crossbar rows (" +
                 std::to_string(hw.xbar_rows) + ")");
    }
    if (hw.ou_cols < 1) fail(source, "ou.cols", "must be at least 1");
    if (hw.ou_cols > hw.xbar_cols) {
        fail(source, "ou.cols",
             "OU columns (" + std::to_string(hw.ou_cols) + ") exceed crossbar columns (" +
                 std::to_string(hw.xbar_cols) + ")");
    }
    check_range(source, "adc.bits", hw.adc_bits, 1, 24);
    check_range(source, "adc.per_crossbar", hw.adc_per_xbar, 1, hw.xbar_cols);
    check_nonneg(source, "crossbar.area_um2", hw.xbar_area_um2);
    check_nonneg(source, "adc.energy_pj", hw.adc_energy_pj);
    check_nonneg(source, "adc.area_um2", hw.adc_area_um2);
    check_nonneg(source, "adc.latency_ns", hw.adc_latency_ns);
    check_nonneg(source, "dac.energy_pj", hw.dac_energy_pj);
    check_nonneg(source, "dac.area_um2", hw.dac_area_um2);
    check_nonneg(source, "cell.read_energy_pj", hw.cell_read_energy_pj);
    const size_t states = size_t{1} << hw.cell_bits;
    if (!hw.cell_state_energy_pj.empty() && hw.cell_state_energy_pj.size() != states) {
        fail(source, "cell.state_energy_pj",
             "has " + std::to_string(hw.cell_state_energy_pj.size()) + " entries, expected " +
                 std::to_string(states) + " (2^crossbar.cell_bits for " +
                 std::to_string(hw.cell_bits) + "-bit cells) or none");
    }
    for (size_t i = 0; i < hw.cell_state_energy_pj.size(); ++i) {
        check_nonneg(source, "cell.state_energy_pj[" + std::to_string(i) + "]",
                     hw.cell_state_energy_pj[i]);
    }
    check_nonneg(source, "shift_add.energy_pj", hw.sa_energy_pj);
    check_nonneg(source, "shift_add.area_um2", hw.sa_area_um2);
    check_nonneg(source, "buffer.energy_pj_per_byte", hw.buffer_energy_pj_per_byte);
    check_nonneg(source, "buffer.area_um2", hw.buffer_area_um2);
    check_nonneg(source, "index.energy_pj_per_bit", hw.index_energy_pj_per_bit);
    check_nonneg(source, "index.area_um2_per_kbit", hw.index_area_um2_per_kbit);
    if (!std::isfinite(hw.clock_mhz) || hw.clock_mhz <= 0.0 || hw.clock_mhz > 1e6) {
        std::ostringstream os;
        os << "must be in (0, 1000000] MHz (got " << hw.clock_mhz << ")";
        fail(source, "timing.clock_mhz", os.str());
    }
    check_range(source, "timing.ou_op_cycles", hw.ou_op_cycles, 1, 1000000);
    if (hw.adc_calibration != "unit" && hw.adc_calibration != "max" &&
        hw.adc_calibration != "profiled" && hw.adc_calibration != "percentile")
        fail(source, "adc.calibration",
             "expected unit, max, profiled or percentile, got '" + hw.adc_calibration + "'");
    if (!std::isfinite(hw.adc_percentile) || hw.adc_percentile <= 0.0 ||
        hw.adc_percentile > 100.0) {
        std::ostringstream os;
        os << "must be in (0, 100] percent (got " << hw.adc_percentile << ")";
        fail(source, "adc.percentile", os.str());
    }
    check_range(source, "adc.calibration_images", hw.adc_calibration_images, 1, 1000000);
    for (const auto& [key, rate] : {std::pair{"device.saf_lrs_rate", hw.saf_lrs_rate},
                                    std::pair{"device.saf_hrs_rate", hw.saf_hrs_rate}}) {
        check_nonneg(source, key, rate);
        if (rate > 1.0) fail(source, key, "must be a fraction of cells in 0..1");
    }
    if (hw.saf_lrs_rate + hw.saf_hrs_rate > 1.0)
        fail(source, "device", "saf_lrs_rate + saf_hrs_rate exceed 1 (every cell stuck)");
    check_nonneg(source, "device.sigma", hw.d2d_sigma);
    check_nonneg(source, "device.read_sigma", hw.read_sigma);
    if (!hw.state_sigma.empty() && hw.state_sigma.size() != states)
        fail(source, "device.state_sigma",
             "has " + std::to_string(hw.state_sigma.size()) + " entries, expected " +
                 std::to_string(states) + " (2^crossbar.cell_bits) or none");
    for (size_t i = 0; i < hw.state_sigma.size(); ++i)
        check_nonneg(source, "device.state_sigma[" + std::to_string(i) + "]", hw.state_sigma[i]);
    if (!hw.state_level.empty() && hw.state_level.size() != states)
        fail(source, "device.state_level",
             "has " + std::to_string(hw.state_level.size()) + " entries, expected " +
                 std::to_string(states) + " (2^crossbar.cell_bits) or none");
    for (size_t i = 0; i < hw.state_level.size(); ++i)
        check_nonneg(source, "device.state_level[" + std::to_string(i) + "]", hw.state_level[i]);
    check_nonneg(source, "device.on_off_ratio", hw.on_off_ratio);
    if (hw.on_off_ratio != 0.0 && hw.on_off_ratio <= 1.0)
        fail(source, "device.on_off_ratio", "must be above 1 (or 0: infinite)");
    for (const auto& [name, c] : hw.components) {
        check_nonneg(source, "components." + name + ".energy_pj", c.energy_pj);
        check_nonneg(source, "components." + name + ".area_um2", c.area_um2);
        check_range(source, "components." + name + ".latency_cycles", c.latency_cycles, 0, 1000000);
    }
}

constexpr const char* kComponentKeys = "energy_pj, area_um2, latency_cycles";

// components.NAME.energy_pj / components.NAME.area_um2 / components.NAME.latency_cycles
void set_component_field(HwConfig& hw, const std::string& name, const std::string& leaf,
                         const YAML::Node& value, const std::string& source) {
    const std::string full = "components." + name + "." + leaf;
    if (name.empty()) fail(source, full, "component name is empty");
    ComponentSpec& c = hw.components[name];
    if (leaf == "energy_pj") {
        c.energy_pj = parse_double(value, source, full);
    } else if (leaf == "area_um2") {
        c.area_um2 = parse_double(value, source, full);
    } else if (leaf == "latency_cycles") {
        c.latency_cycles = parse_int(value, source, full);
    } else {
        fail(source, full, std::string("unknown key (known: ") + kComponentKeys + ")");
    }
}

void parse_components(HwConfig& hw, const YAML::Node& section, const std::string& source) {
    if (section.IsNull()) return;
    if (!section.IsMap())
        fail(source, "components",
             "expected a mapping NAME: {" + std::string(kComponentKeys) + "}, got " +
                 describe(section));
    for (const auto& comp : section) {
        const std::string name = key_text(comp.first, source, "components");
        if (hw.components.count(name)) fail(source, "components." + name, "duplicate key");
        hw.components[name] = ComponentSpec{};
        if (!comp.second.IsMap())
            fail(source, "components." + name,
                 "expected a mapping with keys " + std::string(kComponentKeys) + ", got " +
                     describe(comp.second));
        for (const auto& kv : comp.second)
            set_component_field(hw, name, key_text(kv.first, source, "components." + name),
                                kv.second, source);
    }
}

void inherit_components_of(HwConfig& hw, const std::filesystem::path& p) {
    // Every evaluation reads the schemes' presets: parsed once per content (core/keyed_memo.hpp).
    static KeyedMemo<std::map<std::string, ComponentSpec>> parsed;
    const std::string source = p.string();
    const std::string text = read_file_kept(p);
    const auto components = parsed.get(source + '\0' + text, [&] {
        const YAML::Node root = load_yaml(text, source);
        HwConfig other;
        if (root.IsMap() && root["components"]) parse_components(other, root["components"], source);
        return other.components;
    });
    for (auto& [name, spec] : components) hw.components.emplace(name, spec);
}

// The components of other hardware files (`components_from`, relative to `source`): only their
// `components:` sections are read; a component the file defines itself wins.
void inherit_components(HwConfig& hw, const std::vector<std::string>& files,
                        const std::string& source) {
    const std::filesystem::path dir = std::filesystem::path(source).parent_path();
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string field = "components_from[" + std::to_string(i) + "]";
        const std::filesystem::path f(files[i]);
        const std::filesystem::path p = f.is_absolute() ? f : dir / f;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(p, ec))
            fail(source, field, "no such hardware config file: " + p.string());
        inherit_components_of(hw, p);
    }
}

// Sets hw's fields from the file's tree; returns its `components_from` list (read by the caller).
std::vector<std::string> parse_tree(HwConfig& hw, const YAML::Node& root,
                                    const std::string& source) {
    std::vector<std::string> components_from;
    if (!root.IsDefined() || root.IsNull()) return components_from;  // empty file: all defaults
    if (!root.IsMap()) {
        fail(source, "(top level)", "expected a mapping of sections, got " + describe(root));
    }
    std::set<std::string> seen;
    for (const auto& kv : root) {
        const std::string key = key_text(kv.first, source, "(top level)");
        if (!seen.insert(key).second) fail(source, key, "duplicate key");
        if (const Field* f = find_field(key)) {
            set_field(hw, *f, kv.second, source);
            continue;
        }
        if (key == "components") {
            parse_components(hw, kv.second, source);
            continue;
        }
        if (key == "components_from") {
            if (!kv.second.IsSequence())
                fail(source, key,
                     "expected a list of hardware YAML files, got " + describe(kv.second));
            for (size_t i = 0; i < kv.second.size(); ++i) {
                if (!kv.second[i].IsScalar())
                    fail(source, key + "[" + std::to_string(i) + "]", "expected a file name");
                components_from.push_back(kv.second[i].Scalar());
            }
            continue;
        }
        const std::vector<std::string> leaves = section_keys(key);
        if (leaves.empty()) {
            fail(
                source, key,
                "unknown key (known: " + join(top_level_keys()) + ", components, components_from)");
        }
        const YAML::Node& section = kv.second;
        if (section.IsNull()) continue;
        if (!section.IsMap()) {
            fail(source, key,
                 "expected a mapping with keys " + join(leaves) + ", got " + describe(section));
        }
        for (const auto& sub : section) {
            const std::string full = key + "." + key_text(sub.first, source, key);
            if (!seen.insert(full).second) fail(source, full, "duplicate key");
            const Field* f = find_field(full);
            if (!f) fail(source, full, "unknown key (known in " + key + ": " + join(leaves) + ")");
            set_field(hw, *f, sub.second, source);
        }
    }
    return components_from;
}

}  // namespace

void inherit_components(HwConfig& hw, const std::filesystem::path& file) {
    inherit_components_of(hw, file);
}

void validate(const HwConfig& hw) {
    validate_as(hw, hw.source);
}

namespace {

// f(), with a yaml-cpp access error (defensive) worded "<source>: line N: <what>".
template <typename F>
auto naming_yaml_errors(const std::string& source, F&& f) {
    try {
        return f();
    } catch (const YAML::Exception& e) {
        throw Error(source + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
}

}  // namespace

HwConfig parse_hw_config(const std::string& yaml_text, const std::string& source) {
    // A sweep resolves the same file for every point: its own fields are parsed once per content;
    // the files it takes components from are read (and checked for changes) every time.
    struct Parsed {
        HwConfig hw;
        std::vector<std::string> components_from;
    };
    static KeyedMemo<Parsed> parsed;
    Parsed p = parsed.get(source + '\0' + yaml_text, [&] {
        const YAML::Node root = load_yaml(yaml_text, source);
        Parsed out;
        out.hw.source = source;
        out.components_from =
            naming_yaml_errors(source, [&] { return parse_tree(out.hw, root, source); });
        return out;
    });
    naming_yaml_errors(source, [&] { inherit_components(p.hw, p.components_from, source); });
    validate_as(p.hw, source);
    return std::move(p.hw);
}

HwConfig load_hw_config(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw Error(path.string() + ": no such hardware config file");
    }
    return parse_hw_config(read_file_kept(path), path.string());
}

namespace {

// The YAML node of an override's value. A plain decimal number (what sweeps set, thousands of
// times) is the scalar it reads as, without running the YAML parser.
YAML::Node override_value(const std::string& value) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    auto number_char = [&](char c) {
        return digit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    };
    const bool plain = value.size() < 32 && std::any_of(value.begin(), value.end(), digit) &&
                       std::all_of(value.begin(), value.end(), number_char);
    return plain ? YAML::Node(value) : YAML::Load(value);
}

// Applies key=value, its errors worded "<source>: <field>: <what>".
void apply_override_as(HwConfig& hw, const std::string& key, const std::string& value,
                       const std::string& source) {
    if (section_of(key) == "components") {
        const std::string rest = leaf_of(key);
        const auto dot = rest.rfind('.');
        if (dot == std::string::npos)
            fail(source, key, "expected components.NAME.energy_pj or components.NAME.area_um2");
        HwConfig copy = hw;
        set_component_field(copy, rest.substr(0, dot), rest.substr(dot + 1), override_value(value),
                            source);
        validate_as(copy, source);
        hw = std::move(copy);
        return;
    }
    const Field* f = find_field(key);
    if (!f) {
        const std::string section = section_of(key);
        const std::vector<std::string> leaves = section_keys(section);
        if (!section.empty() && !leaves.empty()) {
            fail(source, key, "unknown key (known in " + section + ": " + join(leaves) + ")");
        }
        fail(source, key, "unknown key (known: " + join(top_level_keys()) + ")");
    }
    YAML::Node node;
    try {
        node = override_value(value);
    } catch (const YAML::Exception& e) {
        fail(source, key, "malformed value '" + value + "': " + e.msg);
    }
    HwConfig copy = hw;
    set_field(copy, *f, node, source);
    validate_as(copy, source);
    hw = std::move(copy);
}

}  // namespace

void apply_hw_override(HwConfig& hw, const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos)
        throw FieldError(Origin::HwOverride, assignment,
                         "expected section.key=value, e.g. ou.rows=8");
    auto trim = [](std::string s) {
        const auto b = s.find_first_not_of(" \t");
        const auto e = s.find_last_not_of(" \t");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    const std::string key = trim(assignment.substr(0, eq));
    const std::string source = "override " + key;
    try {
        apply_override_as(hw, key, trim(assignment.substr(eq + 1)), source);
    } catch (const Error& e) {
        // The same error about the override itself: "<key>: <field>: <what>".
        std::string detail = e.what();
        if (detail.rfind(source + ": ", 0) == 0) detail.erase(0, source.size() + 2);
        throw FieldError(Origin::HwOverride, key, detail);
    }
}

nlohmann::json to_json(const HwConfig& hw) {
    nlohmann::json j = nlohmann::json::object();
    for (const Field& f : fields()) {
        nlohmann::json v = std::visit(
            [&](auto member) -> nlohmann::json {
                using T = std::remove_cvref_t<decltype(hw.*member)>;
                if constexpr (std::is_same_v<T, Encoding>) {
                    return encoding_name(hw.*member);
                } else {
                    return hw.*member;
                }
            },
            f.member);
        const std::string section = section_of(f.key);
        if (section.empty()) {
            j[f.key] = std::move(v);
        } else {
            j[section][leaf_of(f.key)] = std::move(v);
        }
    }
    j["components"] = nlohmann::json::object();
    for (const auto& [name, c] : hw.components)
        j["components"][name] = {{"energy_pj", c.energy_pj},
                                 {"area_um2", c.area_um2},
                                 {"latency_cycles", c.latency_cycles}};
    return j;
}

bool is_hw_key(const std::string& key) {
    if (section_of(key) == "components") {
        const std::string rest = leaf_of(key);
        const auto dot = rest.rfind('.');
        if (dot == std::string::npos || dot == 0) return false;
        const std::string leaf = rest.substr(dot + 1);
        return leaf == "energy_pj" || leaf == "area_um2" || leaf == "latency_cycles";
    }
    return find_field(key) != nullptr;
}

bool is_cost_only_key(const std::string& key) {
    if (key == "name") return true;
    if (section_of(key) == "components") {
        const std::string leaf = key.substr(key.rfind('.') + 1);
        return leaf == "energy_pj" || leaf == "area_um2";
    }
    const Field* f = find_field(key);
    if (!f) return false;
    const std::string unit = f->unit;
    return unit.rfind("pJ", 0) == 0 || unit.rfind("um^2", 0) == 0;
}

nlohmann::json structural_json(const HwConfig& hw) {
    nlohmann::json j = to_json(hw);
    for (const Field& f : fields()) {
        if (!is_cost_only_key(f.key)) continue;
        const std::string section = section_of(f.key);
        if (section.empty())
            j.erase(f.key);
        else
            j[section].erase(leaf_of(f.key));
    }
    for (auto& [name, c] : j["components"].items()) {
        c.erase("energy_pj");
        c.erase("area_um2");
    }
    return j;
}

bool same_hw(const HwConfig& a, const HwConfig& b, bool structural_only) {
    for (const Field& f : fields()) {
        if (structural_only && is_cost_only_key(f.key)) continue;
        const bool same = std::visit([&](auto member) { return a.*member == b.*member; }, f.member);
        if (!same) return false;
    }
    if (a.components.size() != b.components.size()) return false;
    for (auto i = a.components.begin(), j = b.components.begin(); i != a.components.end();
         ++i, ++j) {
        if (i->first != j->first || i->second.latency_cycles != j->second.latency_cycles)
            return false;
        if (!structural_only && (i->second.energy_pj != j->second.energy_pj ||
                                 i->second.area_um2 != j->second.area_um2))
            return false;
    }
    return true;
}

std::vector<HwKeyInfo> hw_config_keys() {
    const nlohmann::json defaults = to_json(HwConfig{});
    std::vector<HwKeyInfo> out;
    for (const Field& f : fields()) {
        const std::string section = section_of(f.key);
        const nlohmann::json& d =
            section.empty() ? defaults.at(f.key) : defaults.at(section).at(leaf_of(f.key));
        static const char* const type_names[] = {"text", "int", "number", "choice", "number list"};
        static_assert(std::size(type_names) == std::variant_size_v<Member>);
        out.push_back({f.key, f.unit, d.is_string() ? d.get<std::string>() : d.dump(),
                       f.description, type_names[f.member.index()]});
    }
    return out;
}

namespace {

// A measured state table as overrides: levels normalised so state 0 reads 0 and the top state
// 2^b - 1, sigmas relative to each state's mean, and the on/off ratio of the ends.
std::vector<std::string> state_table_overrides(const std::filesystem::path& path) {
    const std::string source = path.string();
    std::istringstream in(read_file(path));
    std::vector<double> mean, sigma;
    std::string line;
    bool header = false;
    for (int no = 1; std::getline(in, line); ++no) {
        const std::string where = source + ":" + std::to_string(no);
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string x; std::getline(ls, x, ',');) {
            x.erase(0, x.find_first_not_of(" \t\r"));
            x.erase(x.find_last_not_of(" \t\r") + 1);
            f.push_back(x);
        }
        if (f.empty() || (f.size() == 1 && f[0].empty())) continue;
        double v[3];
        bool numeric = f.size() == 3;
        for (size_t i = 0; numeric && i < 3; ++i) {
            char* end = nullptr;
            v[i] = std::strtod(f[i].c_str(), &end);
            numeric = end != f[i].c_str() && *end == '\0' && std::isfinite(v[i]);
        }
        if (!numeric) {
            if (mean.empty() && !header) {  // one header line before the states
                header = true;
                continue;
            }
            fail(where, "device",
                 "expected `state,mean,sigma` (three numbers), got '" + line + "'");
        }
        if (v[0] != static_cast<double>(mean.size()))
            fail(where, "device",
                 "states must be 0, 1, .. in order; expected state " + std::to_string(mean.size()));
        if (v[1] < 0.0 || v[2] < 0.0) fail(where, "device", "mean and sigma must not be negative");
        mean.push_back(v[1]);
        sigma.push_back(v[2]);
    }
    if (mean.size() < 2 || !std::has_single_bit(mean.size()))
        fail(source, "device",
             "a state table needs 2^cell_bits states (2, 4, 8, ..), got " +
                 std::to_string(mean.size()));
    const double g0 = mean.front(), gl = mean.back();
    if (!(gl > g0)) fail(source, "device", "the top state's mean must exceed state 0's");
    const double step = (gl - g0) / static_cast<double>(mean.size() - 1);
    auto list = [](const std::vector<double>& xs) {
        std::string out;
        for (double x : xs) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g", x);
            out += (out.empty() ? "" : ", ") + std::string(buf);
        }
        return "[" + out + "]";
    };
    std::vector<double> level, rel;
    for (size_t s = 0; s < mean.size(); ++s) {
        level.push_back((mean[s] - g0) / step);
        if (mean[s] == 0.0 && sigma[s] > 0.0)
            fail(source, "device",
                 "state " + std::to_string(s) + " has mean 0 and sigma > 0 (no relative sigma)");
        rel.push_back(mean[s] > 0.0 ? sigma[s] / mean[s] : 0.0);
    }
    char ratio[40];
    std::snprintf(ratio, sizeof ratio, "%.17g", g0 > 0.0 ? gl / g0 : 0.0);
    return {"device.state_level=" + list(level), "device.state_sigma=" + list(rel),
            std::string("device.on_off_ratio=") + ratio};
}

}  // namespace

std::vector<std::string> device_overrides(const std::string& preset_or_path) {
    if (preset_or_path.size() > 4 &&
        preset_or_path.compare(preset_or_path.size() - 4, 4, ".csv") == 0)
        return state_table_overrides(preset_or_path);
    const bool preset = preset_or_path.find('/') == std::string::npos &&
                        preset_or_path.find('.') == std::string::npos;
    const std::filesystem::path path = preset
                                           ? std::filesystem::path(SPARSECIM_SOURCE_DIR) /
                                                 "configs" / "device" / (preset_or_path + ".yaml")
                                           : std::filesystem::path(preset_or_path);
    const std::string source = path.string();
    if (preset && !path_exists(path))
        fail(source, "device", "no preset '" + preset_or_path + "' (mild, harsh, or a file)");
    const YAML::Node root = load_yaml(read_file(path), source);
    if (!root.IsMap())
        fail(source, "device", "expected a mapping of sections, got " + describe(root));
    std::vector<std::string> out;
    for (const auto& section : root) {
        const std::string name = key_text(section.first, source, "");
        if (!section.second.IsMap())
            fail(source, name, "expected a mapping, got " + describe(section.second));
        for (const auto& kv : section.second) {
            const std::string key = name + "." + key_text(kv.first, source, name);
            if (!find_field(key)) fail(source, key, "not a hardware field");
            std::string value;
            if (kv.second.IsSequence()) {
                for (size_t i = 0; i < kv.second.size(); ++i)
                    value += (i ? ", " : "") + parse_string(kv.second[i], source,
                                                            key + "[" + std::to_string(i) + "]");
                value = "[" + value + "]";
            } else {
                value = parse_string(kv.second, source, key);
            }
            out.push_back(key + "=" + value);
        }
    }
    return out;
}

std::filesystem::path hw_preset_path(const std::string& name) {
    return std::filesystem::path(SPARSECIM_SOURCE_DIR) / "configs" / "hw" / (name + ".yaml");
}

}  // namespace sparsecim
