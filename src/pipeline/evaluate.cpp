// The evaluate pipeline. Each stage is a plain function call; what a later stage needs travels
// forward in values (QuantModel, LayerTrace, Mapping, Stats).
#include "pipeline/evaluate.hpp"

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/strings.hpp"
#include "import/onnx_io.hpp"
#include "import/summary.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "pipeline/finetune.hpp"
#include "pipeline/network.hpp"
#include "schemes/dense/dense.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

namespace sparsecim {

namespace {

// The bundled default: VGG7 (3x3 convs, 96% of its weights) trained on the first 50,000
// Fashion-MNIST training images, and each scheme's model tuned from it to dense accuracy by
// `sparsecim tune` (models/README.md).
constexpr const char* kDefaultModel = "models/vgg7-fmnist-train50k.onnx";
constexpr const char* kDefaultTuned = "models/vgg7-tuned";

// A scheme's tuned model: the file, the knob value it was tuned at ("csr.sparsity=0.6"), and
// every parameter of that scheme the tune's final run set (its --param values and the knob).
struct TunedModel {
    std::string path, param;
    std::vector<std::string> params;
};

// The tuned models of `opt.tuned` (a `sparsecim tune` output directory) for the run's model
// `model` ("" = the bundled default), keyed by scheme; `dir` gets the directory resolved ("none"
// when there is none).
std::map<std::string, TunedModel> tuned_models(const EvalOptions& opt, std::string& dir) {
    std::map<std::string, TunedModel> out;
    dir = opt.tuned;
    if (dir.empty())
        dir = opt.model.empty()
                  ? (std::filesystem::path(SPARSECIM_SOURCE_DIR) / kDefaultTuned).string()
                  : "none";
    if (dir == "none") return out;
    auto bad = [&](const std::string& detail) {
        throw FieldError(Origin::Option, "tuned", dir + ": " + detail);
    };
    const std::filesystem::path root(dir);
    if (!std::filesystem::is_directory(root))
        bad("no such directory (expected the output directory of `sparsecim tune`)");
    auto parse = [&](const std::string& file) {
        if (!std::filesystem::exists(root / file)) bad("has no " + file);
        nlohmann::json j = nlohmann::json::parse(read_file(root / file), nullptr, false);
        if (j.is_discarded() || !j.is_object()) bad(file + " is not a JSON object");
        return j;
    };
    // Dense is the run's model, so the run's model must be the one that was tuned.
    const nlohmann::json results = parse("results.json");
    const nlohmann::json spec = results.contains("model") && results["model"].is_object()
                                    ? results["model"].value("spec", nlohmann::json())
                                    : nlohmann::json();
    if (!spec.is_string()) bad("results.json has no model.spec");
    const std::string tuned_from = spec.get<std::string>();
    const std::string run_model = opt.model.empty() ? kDefaultModel : opt.model;
    if (std::filesystem::path(tuned_from).filename() != std::filesystem::path(run_model).filename())
        bad("was tuned from '" + tuned_from + "', not from the run's model '" + run_model + "'");
    // The final run's parameters: a scheme's tuned model is mapped with the parameters it was
    // tuned under (e.g. csr.stack=0 given to tune with --param), not only its knob.
    std::vector<std::string> final_params;
    if (results.contains("config") && results["config"].is_object() &&
        results["config"].contains("scheme_params") &&
        results["config"]["scheme_params"].is_array())
        for (const auto& p : results["config"]["scheme_params"])
            if (p.is_string()) final_params.push_back(p.get<std::string>());
    const nlohmann::json tune = parse("tune.json");
    if (!tune.contains("schemes") || !tune["schemes"].is_array())
        bad("tune.json has no schemes array");
    for (const auto& s : tune["schemes"]) {
        const std::string scheme = s.value("scheme", ""), key = s.value("key", ""),
                          chosen = s.value("chosen", "");
        if (scheme.empty() || key.empty() || chosen.empty())
            bad("tune.json: a scheme without scheme, key or chosen");
        const std::filesystem::path model = root / "models" / (scheme + "-tuned.onnx");
        if (!std::filesystem::exists(model)) bad("has no " + ("models/" + scheme + "-tuned.onnx"));
        TunedModel tm{model.string(), key + "=" + chosen, {}};
        for (const std::string& p : final_params)
            if (p.rfind(scheme + ".", 0) == 0) tm.params.push_back(p);
        if (std::find(tm.params.begin(), tm.params.end(), tm.param) == tm.params.end())
            tm.params.push_back(tm.param);
        out[scheme] = std::move(tm);
    }
    return out;
}

// Top-1 accuracy of `forward` on the first `count` images of `test`, in batches run on all
// cores (at least one batch per core; the outcome does not depend on the batching). Batches stay
// small so each one's tensors stay in cache and are reused by the allocator.
template <typename Forward>
double top1(const Dataset& test, int64_t count, int threads, Forward&& forward) {
    constexpr int64_t kMaxBatch = 32;
    const int64_t workers = resolve_threads(threads);
    const int64_t batch = std::clamp<int64_t>((count + workers - 1) / workers, 1, kMaxBatch);
    const int64_t batches = (count + batch - 1) / batch;
    std::vector<int64_t> correct(static_cast<size_t>(batches), 0);
    parallel_for(batches, threads, [&](int64_t bi) {
        const int64_t b0 = bi * batch;
        const int64_t nb = std::min(batch, count - b0);
        const auto pred = argmax_rows(forward(slice_rows(test.images, b0, nb)));
        for (int64_t i = 0; i < nb; ++i)
            correct[static_cast<size_t>(bi)] +=
                pred[static_cast<size_t>(i)] == test.labels[static_cast<size_t>(b0 + i)];
    });
    int64_t total = 0;
    for (int64_t c : correct) total += c;
    return count ? static_cast<double>(total) / static_cast<double>(count) : 0.0;
}

struct Progress {
    bool on = false;
    std::function<void(const std::string&)> hook;  // EvalOptions::on_progress
    void say(const std::string& msg) const {
        if (on) std::fprintf(stderr, "\r\033[K%s", msg.c_str());
        if (hook) hook(msg);
    }
    void done() const {
        if (on) std::fprintf(stderr, "\r\033[K");
    }
};

// A scheme's network mapped and simulated: what pricing needs from each layer (the mappings
// themselves are not kept), and the accuracy through the simulated ADC when asked for.
struct MappedNetwork {
    struct Layer {
        Footprint footprint;
        std::vector<int64_t> cell_states;
        std::map<std::string, double> figures;
        std::vector<std::string> notes;
        int64_t weight_nonzeros = 0;  // counted once here, not at every re-pricing
    };
    std::vector<Layer> layers;
    NetworkSim sim;
    std::optional<double> adc_exact_accuracy, adc_sim_accuracy;
    std::vector<double> trial_accuracy;
    std::vector<int64_t> largest_sums;  // per layer, with opt.size_adc_images (ADC sizing)
    std::vector<double> adc_ranges;     // per layer, with a profiled or percentile ADC
    // With opt.size_adc_top1_images: per layer the bits the top-1 search chose, and the top-1
    // on the validation images exact and through ADCs of those bits.
    std::vector<int> adc_bits_top1;
    std::optional<double> adc_top1_exact, adc_top1_sized;
};

// A layer's int32 accumulators computed by its mapping on the simulator (run_int's
// LayerAccumulate): outputs kept, one thread (top1 runs batches on every core), clamped.
void simulated_accumulators(const Mapping& m, const LayerTrace& in, const HwConfig& hw,
                            SimOptions so, std::vector<int32_t>& acc) {
    so.keep_outputs = true;
    so.threads = 1;
    const SimResult r = simulate(m, in, hw, so);
    acc.resize(r.outputs.size());
    for (size_t i = 0; i < acc.size(); ++i)
        acc[i] = static_cast<int32_t>(std::clamp<int64_t>(r.outputs[i], INT32_MIN, INT32_MAX));
}

// The fewest ADC bits per layer that keep top-1 on `val` within opt.size_adc_max_drop pp of the
// exact integer top-1, on ideal cells (docs/nonideal.md). Each layer alone (the others exact)
// steps down from the bits its calibration sums need while the drop stays within; then, while
// all layers together drop more, the layer that lost most alone gets a bit back.
void size_adc_for_top1(const QuantModel& qm, const std::vector<Mapping>& mappings,
                       const HwConfig& hw, const Dataset& val, const EvalOptions& opt,
                       const Progress& progress, const std::string& label, MappedNetwork& mn) {
    const int64_t n = std::min<int64_t>(opt.size_adc_top1_images, val.size());
    progress.say(label + ": ADC bits within " + std::to_string(opt.size_adc_max_drop) +
                 " pp of exact top-1 on " + std::to_string(n) + " validation image(s)");
    HwConfig ideal = hw;  // ideal cells, one code per level: only the bits differ
    ideal.saf_lrs_rate = ideal.saf_hrs_rate = ideal.d2d_sigma = ideal.read_sigma = 0.0;
    ideal.state_sigma.clear();
    ideal.state_level.clear();
    ideal.adc_calibration = "unit";
    const size_t L = mappings.size();
    std::vector<int> need(L);
    for (size_t l = 0; l < L; ++l)
        need[l] = std::max(1, static_cast<int>(std::bit_width(static_cast<uint64_t>(
                                  std::max<int64_t>(0, mn.largest_sums[l])))));
    auto top1_with = [&](const std::vector<int>& bits, std::optional<size_t> only) {
        return top1(val, n, opt.threads, [&](const Tensor& b) {
            return run_int(qm, b, nullptr,
                           [&](size_t li, const LayerTrace& in, std::vector<int32_t>& acc) {
                               if (only && li != *only) {
                                   int_matmul(in.inputs, in.positions, qm.layers[li].weights, acc);
                                   return;
                               }
                               HwConfig h = ideal;
                               h.adc_bits = bits[li];
                               simulated_accumulators(mappings[li], in, h, SimOptions{}, acc);
                           });
        });
    };
    const double exact = top1(val, n, opt.threads, [&](const Tensor& b) { return run_int(qm, b); });
    const double floor_top1 = exact - opt.size_adc_max_drop / 100.0 - 1e-12;
    std::vector<int> bits = need;
    std::vector<double> lost(L, 0.0);  // each layer's own drop at its chosen bits
    for (size_t l = 0; l < L; ++l)
        while (bits[l] > 1) {
            std::vector<int> trial = bits;
            --trial[l];
            const double a = top1_with(trial, l);
            if (a < floor_top1) break;
            bits[l] = trial[l];
            lost[l] = exact - a;
        }
    double together = top1_with(bits, std::nullopt);
    while (together < floor_top1) {
        size_t worst = L;
        for (size_t l = 0; l < L; ++l)
            if (bits[l] < need[l] &&
                (worst == L || lost[l] > lost[worst] ||
                 (lost[l] == lost[worst] && need[l] - bits[l] > need[worst] - bits[worst])))
                worst = l;
        if (worst == L) break;  // every layer at its calibration bits
        ++bits[worst];
        lost[worst] = bits[worst] == need[worst] ? 0.0 : lost[worst] / 2.0;
        together = top1_with(bits, std::nullopt);
    }
    mn.adc_bits_top1 = bits;
    mn.adc_top1_exact = exact;
    mn.adc_top1_sized = together;
}

// The seed of Monte Carlo trial `t` of a run seeded `seed` (trial 0 also programs the devices
// of the run's own simulation).
uint64_t trial_seed(uint64_t seed, int t) {
    return stream_seed(seed, static_cast<uint64_t>(t), 0x7121A1);
}

// A digest of a trace's inputs: tells apart the batches of images one layer sees.
uint64_t trace_hash(const LayerTrace& tr) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (int32_t v : tr.inputs) h = (h ^ static_cast<uint32_t>(v)) * 0x100000001B3ull;
    return h;
}

// Images simulated whose traces a cache keeps (per quantized model); more are streamed.
constexpr int64_t kCachedTraceImages = 16;

using TraceBatches = std::vector<std::vector<LayerTrace>>;

// The traces the simulated images give: batches kept (by a cache), or each batch made when it is
// simulated (memory then holds one batch's traces).
struct TraceSource {
    std::shared_ptr<const TraceBatches> kept;
    std::function<std::vector<LayerTrace>(int64_t)> make;  // batch b
    int64_t batches = 0;
};

// Maps (verified) and simulates every layer of `qm` on `traces` (batches of layer traces, e.g.
// the integer reference's on the simulated test images), or when null, on `sim_images` streamed
// through the integer reference. With opt.adc_accuracy_images > 0 and a `test` set, also the
// top-1 through the simulated ADC.
MappedNetwork map_and_simulate(const Scheme& scheme, const QuantModel& qm, const SchemeContext& ctx,
                               const TraceSource* traces, const Tensor& sim_images,
                               const Dataset* test, const EvalOptions& opt,
                               const Progress& progress, const std::string& label,
                               const Tensor* calib = nullptr, const Dataset* val = nullptr) {
    const HwConfig& hw = ctx.hw;
    // Real devices: each trial's cells, programmed once per layer; trial 0's also serve the
    // simulated images. A scheme that places around known faults maps each trial's chip anew.
    const bool devices = hw.nonideal();
    const bool remap = devices && scheme.reads_faults && scheme.reads_faults(ctx) &&
                       (hw.saf_lrs_rate > 0.0 || hw.saf_hrs_rate > 0.0);
    auto map_trial = [&](int t) {
        return map_network(scheme, qm, ctx, opt.threads,
                           remap ? std::optional<uint64_t>(trial_seed(opt.seed, t)) : std::nullopt);
    };
    progress.say(label + ": map " + std::to_string(qm.layers.size()) + " layers");
    std::vector<Mapping> mappings = map_trial(0);
    progress.say(label + ": simulate " + std::to_string(opt.images) + " image(s)");
    NetworkSimOptions net;
    net.sim.counts_only = opt.counts_only;
    net.sim.threads = opt.threads;
    net.sim.device_seed = trial_seed(opt.seed, 0);
    net.check_exact = opt.check_exact;
    auto program = [&](int t, const std::vector<Mapping>& maps) {
        std::vector<DeviceCells> cells;
        for (size_t li = 0; li < maps.size(); ++li)
            cells.push_back(
                program_cells(maps[li], hw, layer_device_seed(trial_seed(opt.seed, t), li)));
        return cells;
    };
    std::vector<DeviceCells> first_trial;
    if (devices) {
        first_trial = program(0, mappings);
        net.devices = &first_trial;
    }
    // A calibrated ADC's range per layer: the column sums of calibration images on ideal cells.
    const bool profiled = hw.adc_calibration == "profiled" || hw.adc_calibration == "percentile";
    auto profile = [&](const std::vector<Mapping>& maps) {
        if (!profiled) return std::vector<double>{};
        if (!calib || calib->rank() == 0 || calib->dim(0) == 0)
            throw Error(hw.source + ": adc.calibration: " + hw.adc_calibration +
                        " needs calibration images to profile");
        progress.say(label + ": ADC calibration on " +
                     std::to_string(std::min<int64_t>(hw.adc_calibration_images, calib->dim(0))) +
                     " calibration image(s)");
        NetworkSimOptions prof;
        prof.sim.ideal_adc = true;
        prof.sim.histogram = true;
        prof.sim.threads = opt.threads;
        return adc_ranges(
            simulate_network(
                qm, maps,
                slice_rows(*calib, 0, std::min<int64_t>(hw.adc_calibration_images, calib->dim(0))),
                hw, prof),
            hw);
    };
    net.adc_ranges = profile(mappings);
    MappedNetwork mn;
    mn.adc_ranges = net.adc_ranges;
    if (traces && traces->kept) {
        for (const auto& batch : *traces->kept) simulate_traces(mappings, batch, hw, net, mn.sim);
        mn.sim.layers.resize(mappings.size());
    } else if (traces && traces->make) {
        for (int64_t b = 0; b < traces->batches; ++b)
            simulate_traces(mappings, traces->make(b), hw, net, mn.sim);
        mn.sim.layers.resize(mappings.size());
    } else {
        mn.sim = simulate_network(qm, mappings, sim_images, hw, net);
    }
    // Each layer's footprint on its own (serially, they were the one-core tail of a ResNet-18 run).
    mn.layers.resize(mappings.size());
    parallel_for(static_cast<int64_t>(mappings.size()), opt.threads, [&](int64_t i) {
        const size_t li = static_cast<size_t>(i);
        const Mapping& m = mappings[li];
        MappedNetwork::Layer& l = mn.layers[li];
        CellCensus census = cell_census(m, &qm.layers[li].weights);
        l.footprint = footprint(m, census);
        l.cell_states = std::move(census.states);
        l.figures = m.figures;
        l.notes = m.notes;
        l.weight_nonzeros = qm.layers[li].weights.nonzeros();
    });
    if (opt.size_adc_images > 0 && calib && calib->rank() > 0) {
        progress.say(label + ": ADC sizing on " + std::to_string(opt.size_adc_images) +
                     " calibration image(s)");
        NetworkSimOptions sizing;
        sizing.sim.ideal_adc = true;
        sizing.sim.threads = opt.threads;
        const NetworkSim s = simulate_network(
            qm, mappings, slice_rows(*calib, 0, std::min(opt.size_adc_images, calib->dim(0))), hw,
            sizing);
        for (const LayerSim& ls : s.layers) mn.largest_sums.push_back(ls.largest_sum);
        if (opt.size_adc_top1_images > 0 && val && val->size() > 0)
            size_adc_for_top1(qm, mappings, hw, *val, opt, progress, label, mn);
    }
    if (opt.adc_accuracy_images > 0 && test) {
        progress.say(label + ": accuracy through the simulated ADC");
        mn.adc_exact_accuracy = top1(*test, opt.adc_accuracy_images, opt.threads,
                                     [&](const Tensor& b) { return run_int(qm, b); });
        // On real devices, one top-1 per trial, each with its own cells and read noise.
        const int trials = devices ? std::max(1, opt.trials) : 1;
        for (int t = 0; t < trials; ++t) {
            const uint64_t seed = trial_seed(opt.seed, t);
            std::vector<DeviceCells> other;
            std::vector<Mapping> other_maps;
            std::vector<double> other_ranges;
            if (devices) {
                progress.say(label + ": trial " + std::to_string(t + 1) + "/" +
                             std::to_string(trials) + " through the simulated devices and ADC");
                if (t > 0 && remap) {
                    other_maps = map_trial(t);
                    other_ranges = profile(other_maps);
                }
                if (t > 0) other = program(t, remap ? other_maps : mappings);
            }
            const std::vector<DeviceCells>& cells = t == 0 ? first_trial : other;
            const bool own = t > 0 && remap;
            const std::vector<Mapping>& maps = own ? other_maps : mappings;
            const std::vector<double>& ranges = own ? other_ranges : net.adc_ranges;
            const LayerAccumulate through_sim = [&](size_t li, const LayerTrace& in,
                                                    std::vector<int32_t>& acc) {
                SimOptions so;
                if (!ranges.empty()) so.adc_range = ranges[li];
                if (devices) {
                    so.device = &cells[li];
                    // Read noise: its own stream per layer and batch of images.
                    so.device_seed =
                        stream_seed(layer_device_seed(seed, li), trace_hash(in), 0x2EAD);
                }
                simulated_accumulators(maps.at(li), in, hw, so, acc);
            };
            mn.trial_accuracy.push_back(
                top1(*test, opt.adc_accuracy_images, opt.threads,
                     [&](const Tensor& b) { return run_int(qm, b, nullptr, through_sim); }));
        }
        double sum = 0.0;
        for (double a : mn.trial_accuracy) sum += a;
        mn.adc_sim_accuracy = sum / static_cast<double>(mn.trial_accuracy.size());
        if (!devices) mn.trial_accuracy.clear();
    }
    return mn;
}

// Fills sr's layers, sums, weight sparsity and ADC accuracy from a mapped and simulated network,
// priced with `hw`.
void price_network(const MappedNetwork& mn, const QuantModel& qm, const HwConfig& hw,
                   const HwConfig& run_hw, const EvalOptions& opt, bool modelled,
                   SchemeResult& sr) {
    int64_t weights_total = 0, weights_zero = 0;
    for (size_t li = 0; li < qm.layers.size(); ++li) {
        const QuantLayer& L = qm.layers[li];
        const MappedNetwork::Layer& m = mn.layers[li];
        const LayerSim& ls = mn.sim.layers[li];
        LayerResult lr;
        lr.name = L.name;
        lr.op = qm.graph.nodes[L.node].type();
        lr.modelled = modelled;
        if (lr.modelled) lr.model = opt.activation_model.for_layer(L.name);
        lr.measured = ls.activations.stats();
        lr.K = L.weights.K;
        lr.N = L.weights.N;
        lr.groups = L.weights.groups;
        // Weight positions only: a grouped conv's structural zeros are no weights.
        const int64_t positions = L.weights.weight_positions();
        lr.weight_sparsity = L.weights.sparsity(m.weight_nonzeros);
        weights_total += positions;
        weights_zero += positions - m.weight_nonzeros;
        lr.footprint = m.footprint;
        lr.cell_states = m.cell_states;
        lr.figures = m.figures;
        lr.notes = m.notes;
        if (sr.cell_states.size() < lr.cell_states.size())
            sr.cell_states.resize(lr.cell_states.size(), 0);
        for (size_t s = 0; s < lr.cell_states.size(); ++s) sr.cell_states[s] += lr.cell_states[s];
        for (const auto& [key, v] : lr.figures) sr.figures[key] += v;
        lr.positions = ls.positions;
        lr.stats = ls.stats;
        lr.outputs_checked = ls.outputs_checked;
        lr.mismatches = ls.mismatches;
        lr.squared_error = ls.squared_error;
        if (li < mn.largest_sums.size() && mn.largest_sums[li] >= 0)
            lr.largest_sum = mn.largest_sums[li];
        if (li < mn.adc_ranges.size()) lr.adc_range = mn.adc_ranges[li];
        if (li < mn.adc_bits_top1.size()) lr.adc_bits_top1 = mn.adc_bits_top1[li];
        if (ls.ideal_mismatches) {
            lr.ideal_mismatches = ls.ideal_mismatches;
            sr.ideal_mismatches = sr.ideal_mismatches.value_or(0) + *lr.ideal_mismatches;
        }
        lr.cost = price(lr.stats, lr.footprint, hw);
        sr.footprint.crossbars += lr.footprint.crossbars;
        sr.footprint.stored_cells += lr.footprint.stored_cells;
        sr.footprint.index_bits += lr.footprint.index_bits;
        sr.footprint.crossbar_cells += lr.footprint.crossbar_cells;
        sr.footprint.weight_cells += lr.footprint.weight_cells;
        for (const auto& [unit, n] : lr.footprint.units) sr.footprint.units[unit] += n;
        sr.stats.add(lr.stats);
        sr.outputs_checked += lr.outputs_checked;
        sr.mismatches += lr.mismatches;
        sr.squared_error += lr.squared_error;
        sr.layers.push_back(std::move(lr));
    }
    sr.weight_sparsity =
        weights_total ? static_cast<double>(weights_zero) / static_cast<double>(weights_total)
                      : 0.0;
    sr.cost = price(sr.stats, sr.footprint, hw);
    if (!same_hw(hw, run_hw)) sr.hw = hw;
    sr.adc_exact_accuracy = mn.adc_exact_accuracy;
    sr.adc_sim_accuracy = mn.adc_sim_accuracy;
    sr.adc_top1_exact = mn.adc_top1_exact;
    sr.adc_top1_sized = mn.adc_top1_sized;
    sr.trial_accuracy = mn.trial_accuracy;
}

}  // namespace

HwConfig resolve_hw(const std::string& hw_path, const std::vector<std::string>& overrides) {
    HwConfig hw =
        load_hw_config(hw_path.empty() ? hw_preset_path("dense") : std::filesystem::path(hw_path));
    // The bundled presets that exist, looked up once (read each time: they may be edited).
    static const std::vector<std::filesystem::path> presets = [] {
        std::vector<std::filesystem::path> out;
        for (const Scheme& s : scheme_registry())
            if (path_exists(hw_preset_path(s.name))) out.push_back(hw_preset_path(s.name));
        return out;
    }();
    for (const auto& preset : presets) inherit_components(hw, preset);
    for (const auto& o : overrides) apply_hw_override(hw, o);
    return hw;
}

namespace {

Graph load_model_as_is(const std::string& spec, uint64_t seed, std::string* note,
                       bool fold_batchnorm) {
    ImportOptions io;
    io.fold_batchnorm = fold_batchnorm;
    if (spec.empty()) {
        if (note)
            *note = std::string(kDefaultModel) +
                    ": the bundled VGG7 (3x3 convs) trained on the first 50,000 Fashion-MNIST "
                    "training images with `sparsecim train`; unless tuned is none, each scheme "
                    "maps its model tuned to dense accuracy from " +
                    kDefaultTuned + " (commands, seeds and accuracies in models/README.md)";
        return import_onnx(std::filesystem::path(SPARSECIM_SOURCE_DIR) / kDefaultModel, io);
    }
    if (spec.rfind("zoo:", 0) == 0) {
        const std::string name = spec.substr(4);
        Graph g = make_zoo_model(name, seed);
        if (note)
            *note = zoo_is_synthetic(name)
                        ? g.name
                        : spec +
                              ": seeded, UNTRAINED weights (accuracy is chance level; the "
                              "trained models are under models/)";
        return g;
    }
    return import_onnx(spec, io);
}

}  // namespace

void set_input_shapes(Graph& g, const std::vector<std::string>& input_shapes) {
    for (const std::string& a : input_shapes) {
        auto bad = [&](const std::string& why) {
            throw FieldError(Origin::Option, "input_shape", a + ": " + why);
        };
        const size_t eq = a.find('=');
        if (eq == std::string::npos || eq == 0) bad("expected NAME=d1,d2,...");
        const std::string name = a.substr(0, eq);
        Shape dims;
        for (const std::string& item : split_list(a.substr(eq + 1))) {
            size_t used = 0;
            long long v = 0;
            try {
                v = std::stoll(item, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != item.size() || item.empty() || v < 1 || v > (int64_t{1} << 28))
                bad("dimension '" + item + "' is not an integer in [1, 2^28]");
            dims.push_back(v);
        }
        if (dims.empty()) bad("expected NAME=d1,d2,...");
        auto it = std::find_if(g.inputs.begin(), g.inputs.end(),
                               [&](const ValueInfo& v) { return v.name == name; });
        if (it == g.inputs.end()) {
            std::string names;
            for (const ValueInfo& v : g.inputs) names += (names.empty() ? "" : ", ") + v.name;
            bad("the model has no input '" + name + "' (its inputs: " + names + ")");
        }
        Shape& s = it->shape;
        if (!s.empty() && s.size() != dims.size())
            bad(std::to_string(dims.size()) + " dimensions for an input of shape " + shape_str(s));
        for (size_t d = 0; d < s.size(); ++d)
            if (s[d] >= 0 && s[d] != dims[d])
                bad("dimension " + std::to_string(d) + " is " + std::to_string(s[d]) +
                    " in the model");
        numel(dims);
        const bool dynamic_batch = s.empty() || s[0] < 0;
        s = dims;
        if (dynamic_batch) s[0] = -1;
    }
}

Graph load_model(const std::string& spec, uint64_t seed, std::string* note, bool fold_batchnorm,
                 const std::vector<std::string>& input_shapes) {
    Graph g = load_model_as_is(spec, seed, note, fold_batchnorm);
    set_input_shapes(g, input_shapes);
    return g;
}

nlohmann::json scheme_params_for(const std::string& scheme,
                                 const std::vector<std::string>& assignments) {
    nlohmann::json params = nlohmann::json::object();
    for (const std::string& a : assignments) {
        const auto dot = a.find('.');
        const auto eq = a.find('=');
        if (dot == std::string::npos || eq == std::string::npos || dot > eq || dot == 0 ||
            eq == dot + 1)
            throw FieldError(Origin::SchemeParam, a, "expected scheme.key=value, e.g. csr.beta=4");
        const std::string name = a.substr(0, dot);
        find_scheme(name);
        if (name != scheme) continue;
        const std::string key = a.substr(dot + 1, eq - dot - 1);
        const std::string value = a.substr(eq + 1);
        nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
        params[key] = v.is_discarded() ? nlohmann::json(value) : v;
    }
    return params;
}

std::string why_not_executable(const Graph& g, const Shape& image, const std::string& images) {
    if (const Node* n = first_unsupported_node(g)) return unsupported_op_message(g, *n);
    const std::string src = g.source.empty() ? g.name : g.source;
    if (g.inputs.size() != 1)
        return src + ": the graph has " + std::to_string(g.inputs.size()) +
               " inputs; evaluation feeds one image tensor";
    const Shape& s = g.inputs[0].shape;
    const bool fits =
        s.empty() || (s.size() == image.size() + 1 &&
                      std::equal(image.begin(), image.end(), s.begin() + 1,
                                 [](int64_t a, int64_t b) { return b < 0 || a == b; }));
    if (!fits) {
        std::string dims = "[N";
        for (int64_t d : image) dims += "," + std::to_string(d);
        return src + ": input '" + g.inputs[0].name + "' has shape " + shape_str(s) + ", " +
               images + " are " + dims + "]";
    }
    return "";
}

namespace {

// Fails on a per-layer activation option naming no weight layer of `g`.
void check_activation_layers(const Graph& g, const ActivationModels& m) {
    auto check = [&](const std::map<std::string, double>& per, const char* option) {
        for (const auto& [layer, v] : per) {
            bool found = false;
            for (const auto& n : g.nodes)
                found = found || (n.name == layer && is_weight_layer(g, n));
            if (!found)
                throw FieldError(Origin::Option, option,
                                 layer + "=...: the model has no weight layer '" + layer + "'");
        }
    };
    check(m.density, "activation_density");
    check(m.bit_density, "bit_density");
}

}  // namespace

namespace {

// What every scheme of an evaluation shares: the model, the data and the float top-1.
struct ModelData {
    Graph g;
    Graph trainable;  // with finetuning: the model with its BatchNorm layers kept
    std::string note;
    bool modelled = false;
    std::string activations_note;
    std::map<std::string, int64_t> positions_per_image;  // modelled: input vectors per image
    std::map<std::string, ConvGeom> upsampled;  // modelled: ConvTranspose layers' convolutions
    Dataset train, test;
    Dataset val;       // with size_adc_top1_images: the validation images the ADC search scores
    std::string data;  // the test images' name
    Tensor sim_images;
    std::optional<double> float_accuracy;
};

// The test images an evaluation reads: the most any of its stages uses.
int64_t test_images(const EvalOptions& opt) {
    return std::max({opt.images, opt.accuracy_images, opt.adc_accuracy_images});
}

// With the user's own images, top-1 runs on as many as there are, at most the number asked for;
// without a training set the last calib_images of them calibrate and are not scored.
EvalOptions fit_to_data(const EvalOptions& asked) {
    EvalOptions o = asked;
    if (!o.data.npy()) return o;
    if (o.data.labels.empty())
        throw FieldError(Origin::Option, "labels", "is needed with inputs", {"inputs"});
    const bool calib_from_inputs = o.data.train_inputs.empty() && o.accuracy_split == "test";
    const int64_t avail =
        npy_split_rows(o.data, o.accuracy_split) - (calib_from_inputs ? o.calib_images : 0);
    if (avail < o.images)
        throw FieldError(
            Origin::Option, "images",
            std::to_string(o.images) + " simulated, but " + o.data.inputs + " has " +
                std::to_string(std::max<int64_t>(0, avail)) + " to evaluate" +
                (calib_from_inputs ? " besides its last calib_images (calibration); give "
                                     "train_inputs for calibration, or fewer"
                                   : ""),
            {"calib_images", "train_inputs"});
    o.accuracy_images = std::min(o.accuracy_images, avail);
    o.adc_accuracy_images = std::min(o.adc_accuracy_images, avail);
    return o;
}

// The modelled traces of images [first, first + count) for every layer, image after image (layers
// on every core; each layer and image has its own seed, the first image the layer's, so the
// traces depend neither on the thread count nor on how the images are batched).
std::vector<LayerTrace> modelled_batch(const QuantModel& qm, const ModelData& m,
                                       const EvalOptions& opt, int64_t first, int64_t count) {
    std::vector<LayerTrace> batch(qm.layers.size());
    parallel_for(static_cast<int64_t>(qm.layers.size()), opt.threads, [&](int64_t i) {
        const size_t li = static_cast<size_t>(i);
        const QuantLayer& L = qm.layers[li];
        const auto up = m.upsampled.find(L.name);
        LayerTrace& t = batch[li];
        for (int64_t image = first; image < first + count; ++image) {
            const uint64_t seed = opt.seed * 0x9E3779B97F4A7C15ull + li +
                                  static_cast<uint64_t>(image) * 0xD1B54A32D192ED03ull;
            LayerTrace one = modelled_trace(
                L, m.positions_per_image.at(L.name), opt.activation_model.for_layer(L.name), seed,
                up == m.upsampled.end() ? nullptr : &up->second, !opt.counts_only);
            if (image == first) {
                t = std::move(one);
                continue;
            }
            t.positions += one.positions;
            t.inputs.insert(t.inputs.end(), one.inputs.begin(), one.inputs.end());
            t.outputs.insert(t.outputs.end(), one.outputs.begin(), one.outputs.end());
        }
    });
    return batch;
}

ModelData load_model_data(const EvalOptions& opt, const std::string& model_name,
                          const Progress& progress) {
    ModelData md;
    progress.say("importing " + model_name);
    md.g = load_model(opt.model, opt.seed, &md.note, true, opt.input_shapes);
    const Graph& g = md.g;
    if (g.inputs.empty() || g.outputs.empty())
        throw Error(model_name + ": graph has no input/output");
    check_activation_layers(g, opt.activation_model);
    // The user's own images are read first: the model must take their shape.
    if (opt.data.npy()) {
        progress.say("loading " + opt.data.inputs);
        md.test = load_split(opt.data, opt.accuracy_split, test_images(opt));
    }
    const Shape image = opt.data.npy()
                            ? Shape(md.test.images.shape.begin() + 1, md.test.images.shape.end())
                            : Shape{1, 28, 28};
    const std::string obstacle =
        opt.data.npy() ? why_not_executable(g, image, "the images of " + opt.data.inputs)
                       : why_not_executable(g);
    if ((opt.activations == "traces" || opt.data.npy()) && !obstacle.empty()) throw Error(obstacle);
    md.modelled = opt.activations == "modelled" || !obstacle.empty();
    // Mapping-only analysis: input vectors per image of each weight layer, from static shapes.
    if (md.modelled) {
        if (opt.finetune_epochs > 0)
            throw FieldError(
                Origin::Option, "finetune_epochs",
                "needs real activations, but " +
                    (obstacle.empty() ? std::string("modelled activations were asked for")
                                      : obstacle));
        md.activations_note =
            obstacle.empty() ? "modelled (--activations modelled)" : "modelled: " + obstacle;
        for (const LayerInfo& li : summarize(g)) {
            md.positions_per_image[li.name] = li.positions;
            // Their input vectors hold the zeros the upsampling inserts, whatever the activations.
            if (g.nodes[li.node].op == OpKind::ConvTranspose) md.upsampled[li.name] = *li.conv;
        }
        return md;
    }
    progress.say("loading " + opt.data.name());
    md.train = load_split(opt.data, "calib", opt.calib_images);
    const int64_t test_n = test_images(opt);
    if (!opt.data.npy()) md.test = load_split(opt.data, opt.accuracy_split, test_n);
    md.data = md.test.name;
    if (md.test.size() < test_n)
        throw FieldError(Origin::Option,
                         test_n == opt.images            ? "images"
                         : test_n == opt.accuracy_images ? "accuracy_images"
                                                         : "adc_accuracy_images",
                         md.test.name + " has only " + std::to_string(md.test.size()) + " images");
    md.sim_images = slice_rows(md.test.images, 0, opt.images);
    if (opt.size_adc_top1_images > 0)
        md.val = load_split(opt.data, "val", opt.size_adc_top1_images);
    if (opt.finetune_epochs > 0)
        md.trainable = load_model(opt.model, opt.seed, nullptr, false, opt.input_shapes);
    if (opt.accuracy_images > 0) {
        progress.say("float accuracy");
        md.float_accuracy = top1(md.test, opt.accuracy_images, opt.threads,
                                 [&](const Tensor& b) { return run_float(g, b); });
    }
    return md;
}

// A scheme's quantized (and pruned) model and its int top-1.
struct Prepared {
    QuantModel qm;
    std::optional<double> accuracy;
};

// The cache keys: exactly the options each stage depends on.
std::string model_key(const EvalOptions& o) {
    const nlohmann::json j = {{"model", o.model},
                              {"input_shapes", o.input_shapes},
                              {"seed", o.seed},
                              {"data",
                               {o.data.dir, o.data.inputs, o.data.labels, o.data.train_inputs,
                                o.data.train_labels, o.data.mean, o.data.stdev}},
                              {"split", o.accuracy_split},
                              {"calib_images", o.calib_images},
                              {"images", o.images},
                              {"accuracy_images", o.accuracy_images},
                              {"adc_accuracy_images", o.adc_accuracy_images},
                              {"activations", o.activations},
                              {"density", o.activation_model.fallback.density},
                              {"bit_density", o.activation_model.fallback.bit_density},
                              {"density_by_layer", o.activation_model.density},
                              {"bit_density_by_layer", o.activation_model.bit_density},
                              {"trainable", o.finetune_epochs > 0}};
    return j.dump();
}

std::string prepared_key(const std::string& model, const SchemeContext& ctx,
                         const std::string& scheme) {
    const nlohmann::json j = {{"scheme", scheme},
                              {"params", ctx.params},
                              {"w_bits", ctx.quant.w_bits},
                              {"a_bits", ctx.quant.a_bits},
                              {"calibration", ctx.quant.calibration},
                              {"percentile", ctx.quant.percentile},
                              {"seed", ctx.seed}};
    return model + '\n' + j.dump();
}

}  // namespace

SchemeContext scheme_context(const std::string& name, const HwConfig& hw, const EvalSettings& opt) {
    const Scheme& scheme = find_scheme(name);
    SchemeContext ctx;
    ctx.hw = hw;
    ctx.quant = opt.quant;
    ctx.quant.w_bits = hw.w_bits;
    ctx.quant.a_bits = hw.a_bits;
    ctx.seed = opt.seed;
    ctx.params = scheme_params_for(name, opt.scheme_params);
    if (scheme.check_params) scheme.check_params(ctx);
    return ctx;
}

EvalResult evaluate(const EvalOptions& asked, EvalCache* cache) {
    const auto t0 = std::chrono::steady_clock::now();
    const EvalOptions opt = fit_to_data(asked);
    Progress progress{opt.progress && ::isatty(2), opt.on_progress};
    EvalResult res;
    res.options = static_cast<const EvalSettings&>(opt);
    res.model = opt.model.empty() ? kDefaultModel : opt.model;
    auto bad = [](const std::string& option, const std::string& detail,
                  std::vector<std::string> mentions = {}) {
        throw FieldError(Origin::Option, option, detail, std::move(mentions));
    };
    if (opt.images < 1) bad("images", "must be at least 1");
    if (opt.accuracy_images < 0) bad("accuracy_images", "must not be negative");
    if (opt.calib_images < 1) bad("calib_images", "must be at least 1");
    if (opt.adc_accuracy_images < 0) bad("adc_accuracy_images", "must not be negative");
    if (opt.trials < 0 || opt.trials > 10000) bad("trials", "must be in 0..10000");
    if (opt.size_adc_images < 0) bad("size_adc_images", "must not be negative");
    if (opt.size_adc_top1_images < 0) bad("size_adc_top1_images", "must not be negative");
    if (opt.size_adc_top1_images > 0 && opt.size_adc_images == 0)
        bad("size_adc_top1_images",
            "needs size_adc_images > 0 (the search starts from the bits those images need)",
            {"size_adc_images"});
    if (!(opt.size_adc_max_drop >= 0.0 && opt.size_adc_max_drop <= 100.0))
        bad("size_adc_max_drop", "must be in 0..100 percentage points");
    if (opt.trials > 0 && opt.adc_accuracy_images == 0)
        bad("trials", "needs adc_accuracy_images > 0 (the images each trial scores)",
            {"adc_accuracy_images"});
    if (opt.finetune_epochs < 0) bad("finetune_epochs", "must not be negative");
    if (opt.accuracy_split != "test" && opt.accuracy_split != "val")
        bad("accuracy_split", "expected test or val, got '" + opt.accuracy_split + "'");
    if (opt.accuracy_split == "val" && opt.finetune_images > val_first(opt.data))
        bad("finetune_images", "at most " + std::to_string(val_first(opt.data)) +
                                   " when top-1 is scored on the validation split (the rest is "
                                   "that split)");
    if (!(opt.finetune_lr > 0.0 && opt.finetune_lr < 1.0)) bad("finetune_lr", "must be in (0, 1)");
    for (const auto& [name, lr] : opt.finetune_lr_scheme) {
        find_scheme(name);  // Error naming the unknown scheme
        if (!(lr > 0.0 && lr < 1.0)) bad("finetune_lr_scheme", name + ": must be in (0, 1)");
    }
    for (const auto& [name, epochs] : opt.finetune_epochs_scheme) {
        find_scheme(name);
        if (epochs < 1) bad("finetune_epochs_scheme", name + ": must be >= 1");
    }
    if (!(opt.finetune_distill >= 0.0 && opt.finetune_distill <= 1.0))
        bad("finetune_distill", "must be in [0, 1]");
    if (!(opt.finetune_temperature > 0.0 && opt.finetune_temperature <= 100.0))
        bad("finetune_temperature", "must be in (0, 100]");
    if (opt.finetune_prune != "gradual" && opt.finetune_prune != "oneshot")
        bad("finetune_prune", "expected gradual or oneshot, got '" + opt.finetune_prune + "'");
    if (opt.finetune_grid != "scheme" && opt.finetune_grid != "int8")
        bad("finetune_grid", "expected scheme or int8, got '" + opt.finetune_grid + "'");
    if (opt.counts_only && opt.check_exact)
        bad("counts_only", "computes no outputs, so check_exact has nothing to check",
            {"check_exact"});
    if (opt.finetune_epochs > 0 && !opt.finetune)
        bad("finetune_epochs", "this build cannot train (no LibTorch)");
    if (opt.finetune_epochs > 0 && opt.accuracy_images == 0)
        bad("finetune_epochs", "needs accuracy_images > 0 to report anything", {"accuracy_images"});
    for (const auto& name : opt.schemes) {
        find_scheme(name);  // fail fast on a typo
        scheme_params_for(name, opt.scheme_params);
    }
    if (opt.activations != "auto" && opt.activations != "traces" && opt.activations != "modelled")
        bad("activations", "expected auto, traces or modelled, got '" + opt.activations + "'");

    const HwConfig hw = resolve_hw(opt.hw_path, opt.hw_overrides);
    res.hw = hw;
    if (opt.trials > 1 && !hw.nonideal())
        bad("trials",
            "the hardware is ideal (no device field set, ADC calibration unit): every "
            "trial would give the same top-1");

    const std::string mkey = model_key(opt);
    const auto md = cached<ModelData>(cache, "model", mkey,
                                      [&] { return load_model_data(opt, res.model, progress); });
    const std::map<std::string, TunedModel> tuned_set = tuned_models(opt, res.options.tuned);
    const bool modelled = md->modelled;
    res.model_note = md->note;
    res.data = md->data;
    res.activations_note = md->activations_note;
    res.float_accuracy = md->float_accuracy;
    const Dataset& train = md->train;
    const Dataset& test = md->test;
    // The run's dense, kept for the matched baselines (below the loop).
    const bool has_dense =
        std::find(opt.schemes.begin(), opt.schemes.end(), "dense") != opt.schemes.end();
    const nlohmann::json run_dense_params = scheme_params_for("dense", opt.scheme_params);
    const bool run_dense_skips = parse_dense_params(run_dense_params).skip_zero;
    struct BaselineRequest {
        std::string label;
        HwConfig hw;
        bool skip_zero = false;
        std::string scheme;  // the first scheme that asked for it
    };
    std::vector<BaselineRequest> baseline_requests;
    std::shared_ptr<const Prepared> dense_prepared;
    std::shared_ptr<const TraceSource> dense_traces;
    std::string dense_pkey;
    SchemeContext dense_ctx;

    for (const auto& name : opt.schemes) {
        const Scheme& scheme = find_scheme(name);
        // A tuned scheme maps its tuned model, at its knob value unless the run sets that again.
        const auto tuned_it = name == "dense" ? tuned_set.end() : tuned_set.find(name);
        EvalOptions own = opt;
        if (tuned_it != tuned_set.end()) {
            own.model = tuned_it->second.path;
            own.scheme_params.insert(own.scheme_params.begin(), tuned_it->second.params.begin(),
                                     tuned_it->second.params.end());
        }
        const std::string own_mkey = tuned_it == tuned_set.end() ? mkey : model_key(own);
        const auto own_md =
            tuned_it == tuned_set.end() ? md : cached<ModelData>(cache, "model", own_mkey, [&] {
                return load_model_data(own, own.model, progress);
            });
        const ModelData& m = *own_md;
        const Graph& g = m.g;
        if (m.modelled != modelled)
            throw FieldError(Origin::Option, "tuned",
                             own.model + ": runs on other inputs than the run's model");
        SchemeContext ctx = scheme_context(name, hw, own);
        if (scheme.hw_used) ctx.hw = scheme.hw_used(hw, ctx);
        const std::string hw_key = structural_json(ctx.hw).dump();
        // prepare depends on the precision, parameters and seed only, never on other hardware
        // fields (the contract in scheme.hpp): it sees the default hardware with these bits.
        SchemeContext prep_ctx = ctx;
        prep_ctx.hw = HwConfig{};
        prep_ctx.hw.w_bits = hw.w_bits;
        prep_ctx.hw.a_bits = hw.a_bits;
        const std::string pkey = prepared_key(own_mkey, ctx, name);
        const auto prepared = cached<Prepared>(cache, "prepare", pkey, [&] {
            Prepared p;
            progress.say(name + ": quantize");
            p.qm = scheme.prepare(g, train.images, prep_ctx);
            if (opt.accuracy_images > 0 && !modelled) {
                progress.say(name + ": int accuracy");
                p.accuracy = top1(test, opt.accuracy_images, opt.threads,
                                  [&](const Tensor& b) { return run_int(p.qm, b); });
            }
            return p;
        });
        const QuantModel& qm = prepared->qm;
        // The inputs of every layer: modelled, or the integer reference's traces on the
        // simulated images (kept by a cache for a few images, else streamed).
        auto traces = std::make_shared<TraceSource>();
        int64_t image_bytes = 0;  // one image's modelled inputs
        if (modelled)
            for (const QuantLayer& L : qm.layers)
                image_bytes += m.positions_per_image.at(L.name) * L.weights.K *
                               static_cast<int64_t>(sizeof(int32_t));
        const int64_t per_batch =
            std::max<int64_t>(1, opt.modelled_batch_bytes / std::max<int64_t>(1, image_bytes));
        if (modelled && opt.images > per_batch) {
            // Batches of images (ResNet-18 at 224 x 224: 59 MB of inputs per image), made again
            // each time they are simulated: memory holds one.
            progress.say(name + ": modelled traces in batches of " + std::to_string(per_batch) +
                         " image(s)");
            traces->batches = (opt.images + per_batch - 1) / per_batch;
            traces->make = [qmp = prepared, mdp = own_md, &opt, per_batch](int64_t b) {
                return modelled_batch(qmp->qm, *mdp, opt, b * per_batch,
                                      std::min(per_batch, opt.images - b * per_batch));
            };
        } else if (modelled || (cache && opt.images <= kCachedTraceImages)) {
            // (modelled traces of a counts-only run hold no outputs: keyed apart)
            const std::string tkey = pkey + (modelled && opt.counts_only ? "\nno outputs" : "");
            traces->kept = cached<TraceBatches>(cache, "trace", tkey, [&] {
                progress.say(name + ": trace " + std::to_string(opt.images) + " image(s)");
                TraceBatches tb;
                if (modelled)
                    tb.push_back(modelled_batch(qm, m, opt, 0, opt.images));
                else
                    for (int64_t i = 0; i < opt.images; ++i)
                        tb.push_back(trace_batch(qm, m.sim_images, i, 1));
                return tb;
            });
        }
        const nlohmann::json sim_opts = {{"counts_only", opt.counts_only},
                                         {"check_exact", opt.check_exact},
                                         {"trials", opt.trials},
                                         {"size_adc_images", opt.size_adc_images}};
        const auto mapped = cached<MappedNetwork>(
            cache, "map+simulate", pkey + '\n' + hw_key + '\n' + sim_opts.dump(), [&] {
                return map_and_simulate(scheme, qm, ctx, traces.get(), m.sim_images,
                                        modelled ? nullptr : &test, opt, progress, name,
                                        modelled ? nullptr : &train.images,
                                        md->val.size() > 0 ? &md->val : nullptr);
            });
        SchemeResult sr;
        sr.name = name;
        sr.summary = scheme.summary;
        if (tuned_it != tuned_set.end()) {
            sr.model = own.model;
            sr.tuned_param = tuned_it->second.param;
            std::string with;
            for (const std::string& q : tuned_it->second.params)
                if (q != sr.tuned_param) with += ", " + q;
            sr.summary += " (its model tuned to dense accuracy by `sparsecim tune` at " +
                          sr.tuned_param + with + ")";
        }
        sr.uses_zero_weights = scheme.uses_zero_weights;
        price_network(*mapped, qm, ctx.hw, hw, opt, modelled, sr);
        sr.accuracy = prepared->accuracy;
        if (name == "dense") {
            dense_prepared = prepared;
            dense_traces = traces;
            dense_pkey = pkey;
            dense_ctx = ctx;
        } else if (has_dense) {
            // Fair ratios: against dense on the cell bits the scheme uses and with its zero-input
            // skipping; the run's dense when these are the run's.
            const bool skips = scheme.skips_zero_inputs && scheme.skips_zero_inputs(ctx);
            std::string what;
            if (ctx.hw.cell_bits != hw.cell_bits)
                what = "cell_bits=" + std::to_string(ctx.hw.cell_bits);
            else if (!same_hw(ctx.hw, hw, true))
                what = name + " hw";
            if (skips != run_dense_skips)
                what += std::string(what.empty() ? "" : ",") + (skips ? "skip_zero" : "no_skip");
            if (what.empty()) {
                sr.baseline = "dense";
            } else {
                sr.baseline = "dense[" + what + "]";
                if (std::none_of(baseline_requests.begin(), baseline_requests.end(),
                                 [&](const BaselineRequest& b) { return b.label == sr.baseline; }))
                    baseline_requests.push_back({sr.baseline, ctx.hw, skips, name});
            }
        }
        std::optional<SchemeResult> tuned_result;
        if (opt.accuracy_images > 0 && !modelled && opt.finetune_epochs > 0 &&
            (opt.finetune_dense || name != "dense")) {
            progress.say(name + ": finetune");
            MaskSet masks;
            try {
                masks = masks_from_quant_model(qm);
            } catch (const Error& e) {
                throw FieldError(Origin::Option, "finetune_epochs",
                                 "scheme '" + name + "': " + e.what());
            }
            // Trained with BatchNorm kept (training on the folded graph collapses at high
            // sparsity), then folded as at import. Folding scales each output channel, so the
            // masked zeros stay zero and the per-channel weight grid is the same.
            const Graph tuned =
                finetune_scheme(scheme, m.trainable, masks, ctx, prep_ctx, train.images, opt);
            if (opt.on_finetuned) opt.on_finetuned(name, tuned);
            const bool reg = static_cast<bool>(scheme.regularizer);
            progress.say(name + ": quantize the finetuned model");
            const QuantModel tuned_qm = scheme.prepare(tuned, train.images, prep_ctx);
            sr.finetuned_accuracy = top1(test, opt.accuracy_images, opt.threads,
                                         [&](const Tensor& b) { return run_int(tuned_qm, b); });
            // The finetuned model on the chip: mapped, simulated and priced again.
            SchemeResult& t = tuned_result.emplace();
            t.name = name + "+ft";
            t.finetuned_from = name;
            t.uses_zero_weights = sr.uses_zero_weights;
            t.summary = "'" + name + "' after finetuning " +
                        std::to_string(finetune_epochs_of(opt, name)) + " epoch(s) with its masks" +
                        (opt.finetune_prune == "gradual" ? " reached gradually" : "") +
                        (reg ? " and its regulariser" : "");
            EvalOptions no_adc = opt;
            no_adc.adc_accuracy_images = 0;
            const MappedNetwork tuned_mn =
                map_and_simulate(scheme, tuned_qm, ctx, nullptr, m.sim_images, nullptr, no_adc,
                                 progress, t.name, modelled ? nullptr : &train.images);
            price_network(tuned_mn, tuned_qm, ctx.hw, hw, opt, false, t);
            t.accuracy = sr.finetuned_accuracy;
            t.baseline = sr.baseline;
        }
        res.schemes.push_back(std::move(sr));
        if (tuned_result) res.schemes.push_back(std::move(*tuned_result));
    }
    // The matched baselines: the run's dense model mapped on a scheme's cell bits and with its
    // zero-input skipping, on the same images.
    for (const BaselineRequest& b : baseline_requests) {
        const Scheme& dense = find_scheme("dense");
        SchemeContext bctx = dense_ctx;
        bctx.hw = b.hw;
        bctx.params = run_dense_params;
        bctx.params["skip_zero"] = b.skip_zero;
        const nlohmann::json sim_opts = {{"counts_only", opt.counts_only},
                                         {"check_exact", opt.check_exact}};
        const std::string key = dense_pkey + '\n' + structural_json(b.hw).dump() + '\n' +
                                bctx.params.dump() + '\n' + sim_opts.dump();
        EvalOptions no_adc = opt;
        no_adc.adc_accuracy_images = 0;
        const auto mapped = cached<MappedNetwork>(cache, "map+simulate", key, [&] {
            return map_and_simulate(dense, dense_prepared->qm, bctx, dense_traces.get(),
                                    md->sim_images, nullptr, no_adc, progress, b.label,
                                    modelled ? nullptr : &train.images);
        });
        SchemeResult& br = res.baselines.emplace_back();
        br.name = b.label;
        br.summary = "the run's dense model on the cell bits and zero-input skipping of '" +
                     b.scheme + "': the baseline of its ratios";
        price_network(*mapped, dense_prepared->qm, b.hw, hw, opt, modelled, br);
        br.accuracy = dense_prepared->accuracy;
    }
    progress.done();
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace sparsecim
