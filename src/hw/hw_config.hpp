// HwConfig: the hardware model of one accelerator, a plain spec struct loaded from YAML
// (configs/hw/*.yaml). Every unit is in the field name. Validation rejects impossible configs
// (an OU larger than the crossbar, cell bits not dividing weight bits, negative energies) and
// unknown keys, naming the file and the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sparsecim {

enum class Encoding { Differential, Offset, TwosComplement };

// A periphery component a scheme adds (Benes switch, LFSR, input shifter, zero-flag logic, ...):
// energy per event the simulator counts under its name, area per unit the mapping declares,
// latency per item of a pipeline stage a mapping builds from it.
struct ComponentSpec {
    double energy_pj = 0.0;
    double area_um2 = 0.0;
    int64_t latency_cycles = 0;  // cycles per item when a mapping's pipeline stage uses it
};
const char* encoding_name(Encoding e);

struct HwConfig {
    std::string name = "default";
    std::string source = "<built-in>";  // the file it was loaded from

    // crossbar
    int xbar_rows = 128;
    int xbar_cols = 128;
    int cell_bits = 2;
    double xbar_area_um2 = 0.0;  // one crossbar array incl. its drivers

    // data
    int w_bits = 8;
    int a_bits = 8;
    Encoding encoding = Encoding::Differential;

    // operation unit (rows x columns activated together)
    int ou_rows = 16;  // P_WL
    int ou_cols = 8;   // P_BL

    // ADC
    int adc_bits = 5;
    int adc_per_xbar = 8;
    double adc_energy_pj = 0.0;  // per conversion
    double adc_area_um2 = 0.0;
    double adc_latency_ns = 1.0;

    // wordline driver / DAC, per activated row per bit-plane
    double dac_energy_pj = 0.0;
    double dac_area_um2 = 0.0;  // per row driver

    // cells
    double cell_read_energy_pj = 0.0;          // per cell read whose row input bit is 1
    std::vector<double> cell_state_energy_pj;  // optional: per cell state (2^cell_bits)

    // digital periphery
    double sa_energy_pj = 0.0;  // one shift-and-add of one column result
    double sa_area_um2 = 0.0;   // per crossbar
    double buffer_energy_pj_per_byte = 0.0;
    double buffer_area_um2 = 0.0;          // per crossbar
    double index_energy_pj_per_bit = 0.0;  // reading mapping metadata
    double index_area_um2_per_kbit = 0.0;  // storing mapping metadata

    // scheme periphery, by component name (YAML section `components`)
    std::map<std::string, ComponentSpec> components;

    // ADC range: "unit" (one level per code, clipping above 2^adc_bits - 1: the ideal ADC of
    // that many bits), "max" (the step stretched so the largest column sum the layer's mapping
    // can produce fits: no clipping, coarser codes), or from the column sums a calibration pass
    // profiles per layer on adc_calibration_images calibration images: "profiled" (their
    // largest) or "percentile" (their adc_percentile-th percentile). docs/nonideal.md.
    std::string adc_calibration = "unit";
    double adc_percentile = 99.99;    // percent of the profiled conversions the range covers
    int adc_calibration_images = 16;  // images the profiled and percentile ranges come from

    // Real devices (docs/nonideal.md), applied to every programmed cell of a mapping. All zero:
    // ideal cells. Rates are fractions of cells; sigmas are relative to the cell's conductance.
    double saf_lrs_rate = 0.0;  // cells stuck at the low-resistance (highest-conductance) state
    double saf_hrs_rate = 0.0;  // cells stuck at the high-resistance state (state 0)
    double d2d_sigma = 0.0;     // device-to-device (programming) variation, relative
    std::vector<double> state_sigma;  // optional: per cell state (2^cell_bits), replaces d2d_sigma
    // optional: per cell state, the mean level a programmed cell reads, in steps above HRS
    // (ideal: the state itself); from a measured table, e.g. --device FILE.csv
    std::vector<double> state_level;
    double read_sigma = 0.0;    // cycle-to-cycle read noise per read, relative
    double on_off_ratio = 0.0;  // G_LRS / G_HRS; 0 = infinite (an HRS cell passes nothing)

    // timing
    double clock_mhz = 1000.0;
    int ou_op_cycles = 1;  // cycles one OU op occupies its crossbar

    int slices_per_weight() const { return w_bits / cell_bits; }
    int max_column_sum() const { return ou_rows * ((1 << cell_bits) - 1); }
    // An ADC that resolves every possible OU column sum without saturating.
    bool adc_is_ideal() const;
    // Energy of reading one cell in `state` (per-state table if given, else the flat energy).
    double cell_energy_pj(int state) const;
    // Whether cells or the ADC depart from the ideal: a device field is non-zero or the ADC is
    // calibrated other than "unit".
    bool nonideal() const;
    // The D2D sigma of cells in `state` (per-state table if given, else d2d_sigma).
    double device_sigma(int state) const;
    // The mean read level of a cell in `state`, in steps (state_level if given, else the state).
    double device_level(int state) const;
};

// Loads and validates a YAML file. Throws Error "FILE: field: problem" on any defect.
HwConfig load_hw_config(const std::filesystem::path& path);
// Same, from text; `source` names it in messages.
HwConfig parse_hw_config(const std::string& yaml_text, const std::string& source);
// Adds the `components:` of another hardware file; a component `hw` already has wins. Throws
// Error naming `file` when it cannot be read or its components are malformed.
void inherit_components(HwConfig& hw, const std::filesystem::path& file);
// Applies "section.key=value" overrides (same keys as the YAML), then re-validates. Throws a
// FieldError (Origin::HwOverride) naming the key.
void apply_hw_override(HwConfig& hw, const std::string& assignment);
// Throws Error naming hw.source and the field when the config is impossible.
void validate(const HwConfig& hw);
// The fully resolved config, for echoing next to results. Uses the YAML's nested key names, so
// the output parses back (JSON is YAML) into the same config.
nlohmann::json to_json(const HwConfig& hw);
// Whether `key` names a field an override can set ("section.key", "name",
// "components.NAME.energy_pj|area_um2|latency_cycles").
bool is_hw_key(const std::string& key);
// Whether a key ("section.key" or "components.NAME.leaf") only prices what mapping and simulation
// produce: the energies and areas (units pJ, pJ/B, pJ/bit, um^2, um^2/kbit) and the label `name`.
// Mapping and simulation never read these fields, so configs that differ only in them share one
// mapping and simulation, re-priced (sweeps rely on this).
bool is_cost_only_key(const std::string& key);
// to_json(hw) without the cost-only fields: equal for two configs exactly when mapping and
// simulation behave the same on both.
nlohmann::json structural_json(const HwConfig& hw);
// to_json(a) == to_json(b) (structural_json with `structural_only`), without building the JSON:
// evaluate compares hardware for every point of a sweep.
bool same_hw(const HwConfig& a, const HwConfig& b, bool structural_only = false);

// One key of the YAML schema ("section.key"), with its unit, default and meaning: feeds --help,
// `sparsecim params` and docs/hardware.md.
struct HwKeyInfo {
    std::string key;
    std::string unit;
    std::string default_value;
    std::string description;
    std::string type;  // text, int, number, choice or number list
};
std::vector<HwKeyInfo> hw_config_keys();

// A device preset (configs/device/<name>.yaml: mild, harsh), a YAML file of hardware sections
// (typically `device:` and `adc:`), or a CSV table of measured states (lines `state,mean,sigma`
// in any one conductance unit, states 0..L in order, NeuroSim mem_states style: read as
// device.state_level, device.state_sigma and device.on_off_ratio; docs/nonideal.md), as
// "section.key=value" overrides in file order. Throws Error
// naming the file and field for a key that is not a hardware field.
std::vector<std::string> device_overrides(const std::string& preset_or_path);

// configs/hw/<name>.yaml of the source tree (the presets: dense, csr, twofold, sme, pattern).
std::filesystem::path hw_preset_path(const std::string& name);

}  // namespace sparsecim
