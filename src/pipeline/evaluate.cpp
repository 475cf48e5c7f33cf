// The evaluate pipeline. Each stage is a plain function call; what a later stage needs travels
// forward in values (QuantModel, LayerTrace, Mapping, Stats).
#include "pipeline/evaluate.hpp"

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/onnx_io.hpp"
#include "model/summary.hpp"
#include "model/zoo.hpp"
#include "pipeline/network.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

namespace sparsecim {

namespace {

// The bundled default: the VGG-style net (3x3 convs) trained on Fashion-MNIST (models/README.md).
constexpr const char* kDefaultModel = "models/vgg-small-fmnist.onnx";

std::filesystem::path default_hw_path() {
    return std::filesystem::path(SPARSECIM_SOURCE_DIR) / "configs" / "hw" / "dense.yaml";
}

// Top-1 accuracy of `forward` on the first `count` images of `test`, in batches run on all
// cores (at least one batch per core; the outcome does not depend on the batching). Batches stay
// small so each one's tensors stay in cache and are reused by the allocator.
template <typename Forward>
double top1(const Dataset& test, int64_t count, Forward&& forward) {
    constexpr int64_t kMaxBatch = 32;
    const int64_t workers = resolve_threads(0);
    const int64_t batch = std::clamp<int64_t>((count + workers - 1) / workers, 1, kMaxBatch);
    const int64_t batches = (count + batch - 1) / batch;
    const int64_t per = test.images.size() / std::max<int64_t>(1, test.size());
    std::vector<int64_t> correct(static_cast<size_t>(batches), 0);
    parallel_for(batches, 0, [&](int64_t bi) {
        const int64_t b0 = bi * batch;
        const int64_t nb = std::min(batch, count - b0);
        Shape s = test.images.shape;
        s[0] = nb;
        Tensor images(s, std::vector<float>(test.images.data.begin() + b0 * per,
                                            test.images.data.begin() + (b0 + nb) * per));
        const auto pred = argmax_rows(forward(images));
        for (int64_t i = 0; i < nb; ++i)
            correct[static_cast<size_t>(bi)] +=
                pred[static_cast<size_t>(i)] == test.labels[static_cast<size_t>(b0 + i)];
    });
    int64_t total = 0;
    for (int64_t c : correct) total += c;
    return count ? static_cast<double>(total) / static_cast<double>(count) : 0.0;
}

Tensor first_images(const Dataset& d, int64_t n) {
    const int64_t per = d.images.size() / std::max<int64_t>(1, d.size());
    Shape s = d.images.shape;
    s[0] = n;
    return Tensor(s, std::vector<float>(d.images.data.begin(), d.images.data.begin() + n * per));
}

struct Progress {
    bool on = false;
    void say(const std::string& msg) const {
        if (on) std::fprintf(stderr, "\r\033[K%s", msg.c_str());
    }
    void done() const {
        if (on) std::fprintf(stderr, "\r\033[K");
    }
};

// Maps (verified), simulates and prices every layer of `qm`, filling sr's layers, sums and
// weight sparsity; returns the mappings. The inputs are the integer reference's traces on
// `sim_images`, or, when `modelled_positions` (input vectors per image by layer) is given,
// opt.images images' worth of modelled traces drawn from opt.activation_model.
std::vector<Mapping> map_and_simulate(const Scheme& scheme, const QuantModel& qm,
                                      const SchemeContext& ctx, const Tensor& sim_images,
                                      const std::map<std::string, int64_t>* modelled_positions,
                                      const EvalOptions& opt, const Progress& progress,
                                      SchemeResult& sr) {
    const HwConfig& hw = ctx.hw;
    int64_t weights_total = 0, weights_zero = 0;
    progress.say(sr.name + ": map " + std::to_string(qm.layers.size()) + " layers");
    std::vector<Mapping> mappings = map_network(scheme, qm, ctx);
    progress.say(sr.name + ": simulate " + std::to_string(opt.images) + " image(s)" +
                 (modelled_positions ? " of modelled activations" : ""));
    NetworkSimOptions net;
    net.sim.counts_only = opt.counts_only;
    net.check_exact = opt.check_exact;
    NetworkSim sim;
    if (modelled_positions) {
        std::vector<LayerTrace> traces;
        for (size_t li = 0; li < qm.layers.size(); ++li) {
            const QuantLayer& L = qm.layers[li];
            traces.push_back(modelled_trace(L, opt.images * modelled_positions->at(L.name),
                                            opt.activation_model.for_layer(L.name),
                                            opt.seed * 0x9E3779B97F4A7C15ull + li));
        }
        simulate_traces(mappings, traces, hw, net, sim);
    } else {
        sim = simulate_network(qm, mappings, sim_images, hw, net);
    }
    for (size_t li = 0; li < qm.layers.size(); ++li) {
        const QuantLayer& L = qm.layers[li];
        const Mapping& m = mappings[li];
        const LayerSim& ls = sim.layers[li];
        LayerResult lr;
        lr.name = L.name;
        lr.op = qm.graph.nodes[L.node].type();
        lr.modelled = modelled_positions != nullptr;
        if (lr.modelled) lr.model = opt.activation_model.for_layer(L.name);
        lr.measured = ls.activations.stats();
        lr.K = L.weights.K;
        lr.N = L.weights.N;
        lr.weight_sparsity = L.weights.sparsity();
        weights_total += static_cast<int64_t>(L.weights.w.size());
        weights_zero += static_cast<int64_t>(L.weights.w.size()) - L.weights.nonzeros();
        lr.footprint.crossbars = static_cast<int64_t>(m.tiles.size());
        lr.footprint.stored_cells = m.stored_cells();
        lr.footprint.index_bits = m.total_index_bits();
        lr.footprint.units = m.units;
        lr.footprint.crossbar_cells = m.crossbar_cells();
        lr.footprint.weight_cells = weight_cells(m, L.weights);
        lr.cell_states = m.stored_cell_states();
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
        sr.layers.push_back(std::move(lr));
    }
    sr.weight_sparsity =
        weights_total ? static_cast<double>(weights_zero) / static_cast<double>(weights_total)
                      : 0.0;
    sr.cost = price(sr.stats, sr.footprint, hw);
    return mappings;
}

}  // namespace

Graph load_model(const std::string& spec, uint64_t seed, std::string* note) {
    if (spec.empty()) {
        if (note)
            *note = std::string(kDefaultModel) +
                    ": the bundled VGG-style net (3x3 convs) trained on Fashion-MNIST with "
                    "`sparsecim train` (command, seed and accuracy in models/README.md)";
        return import_onnx(std::filesystem::path(SPARSECIM_SOURCE_DIR) / kDefaultModel);
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
    return import_onnx(spec);
}

nlohmann::json scheme_params_for(const std::string& scheme,
                                 const std::vector<std::string>& assignments) {
    nlohmann::json params = nlohmann::json::object();
    for (const std::string& a : assignments) {
        const auto dot = a.find('.');
        const auto eq = a.find('=');
        if (dot == std::string::npos || eq == std::string::npos || dot > eq || dot == 0 ||
            eq == dot + 1)
            throw Error("--param " + a + ": expected scheme.key=value, e.g. csr.beta=4");
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

std::string why_not_executable(const Graph& g) {
    if (const Node* n = first_unsupported_node(g)) return unsupported_op_message(g, *n);
    const std::string src = g.source.empty() ? g.name : g.source;
    if (g.inputs.size() != 1)
        return src + ": the graph has " + std::to_string(g.inputs.size()) +
               " inputs; evaluation feeds one image tensor";
    const Shape& s = g.inputs[0].shape;
    const Shape image = {1, 28, 28};
    const bool fits =
        s.empty() ||
        (s.size() == 4 && std::equal(image.begin(), image.end(), s.begin() + 1,
                                     [](int64_t a, int64_t b) { return b < 0 || a == b; }));
    if (!fits)
        return src + ": input '" + g.inputs[0].name + "' has shape " + shape_str(s) +
               ", Fashion-MNIST images are [N,1,28,28]";
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
                throw Error(std::string(option) + " " + layer +
                            "=...: the model has no weight layer '" + layer + "'");
        }
    };
    check(m.density, "--activation-density");
    check(m.bit_density, "--bit-density");
}

}  // namespace

EvalResult evaluate(const EvalOptions& opt) {
    const auto t0 = std::chrono::steady_clock::now();
    Progress progress{opt.progress && ::isatty(2)};
    EvalResult res;
    res.options = opt;
    res.model = opt.model.empty() ? kDefaultModel : opt.model;
    if (opt.images < 1) throw Error("--images: must be at least 1");
    if (opt.accuracy_images < 0) throw Error("--accuracy-images: must not be negative");
    if (opt.calib_images < 1) throw Error("--calib-images: must be at least 1");
    if (opt.adc_accuracy_images < 0) throw Error("--adc-accuracy-images: must not be negative");
    if (opt.finetune_epochs < 0) throw Error("--finetune: must not be negative");
    if (opt.counts_only && opt.check_exact)
        throw Error("--counts-only: computes no outputs, so --check-exact has nothing to check");
    if (opt.finetune_epochs > 0 && !opt.finetune)
        throw Error("--finetune: this build cannot train (no LibTorch)");
    if (opt.finetune_epochs > 0 && opt.accuracy_images == 0)
        throw Error("--finetune: needs --accuracy-images > 0 to report anything");
    for (const auto& name : opt.schemes) {
        find_scheme(name);  // fail fast on a typo
        scheme_params_for(name, opt.scheme_params);
    }

    HwConfig hw = load_hw_config(opt.hw_path.empty() ? default_hw_path()
                                                     : std::filesystem::path(opt.hw_path));
    for (const auto& o : opt.hw_overrides) apply_hw_override(hw, o);
    res.hw = hw;

    progress.say("importing " + res.model);
    const Graph g = load_model(opt.model, opt.seed, &res.model_note);
    if (g.inputs.empty() || g.outputs.empty())
        throw Error(res.model + ": graph has no input/output");

    if (opt.activations != "auto" && opt.activations != "traces" && opt.activations != "modelled")
        throw Error("--activations: expected auto, traces or modelled, got '" + opt.activations +
                    "'");
    check_activation_layers(g, opt.activation_model);
    const std::string obstacle = why_not_executable(g);
    if (opt.activations == "traces" && !obstacle.empty()) throw Error(obstacle);
    const bool modelled = opt.activations == "modelled" || !obstacle.empty();
    // Mapping-only analysis: input vectors per image of each weight layer, from static shapes.
    std::map<std::string, int64_t> positions_per_image;
    if (modelled) {
        if (opt.finetune_epochs > 0)
            throw Error("--finetune: needs real activations, but " +
                        (obstacle.empty() ? std::string("--activations modelled was asked for")
                                          : obstacle));
        res.activations_note =
            obstacle.empty() ? "modelled (--activations modelled)" : "modelled: " + obstacle;
        for (const LayerInfo& li : summarize(g)) positions_per_image[li.name] = li.positions;
    }

    const auto dir =
        opt.data_dir.empty() ? fashion_mnist_dir() : std::filesystem::path(opt.data_dir);
    Dataset train, test;
    Tensor sim_images;
    if (!modelled) {
        progress.say("loading Fashion-MNIST");
        train = load_fashion_mnist("train", opt.calib_images, dir);
        const int64_t test_n = std::max({opt.images, opt.accuracy_images, opt.adc_accuracy_images});
        test = load_fashion_mnist("test", test_n, dir);
        if (test.size() < test_n)
            throw Error(std::string(test_n == opt.images            ? "--images"
                                    : test_n == opt.accuracy_images ? "--accuracy-images"
                                                                    : "--adc-accuracy-images") +
                        ": the test set has only " + std::to_string(test.size()) + " images");
        sim_images = first_images(test, opt.images);
    }

    if (opt.accuracy_images > 0 && !modelled) {
        progress.say("float accuracy");
        res.float_accuracy =
            top1(test, opt.accuracy_images, [&](const Tensor& b) { return run_float(g, b); });
    }

    for (const auto& name : opt.schemes) {
        const Scheme& scheme = find_scheme(name);
        SchemeContext ctx;
        ctx.hw = hw;
        ctx.quant = opt.quant;
        ctx.quant.w_bits = hw.w_bits;
        ctx.quant.a_bits = hw.a_bits;
        ctx.seed = opt.seed;
        ctx.params = scheme_params_for(name, opt.scheme_params);
        progress.say(name + ": quantize");
        const QuantModel qm = scheme.prepare(g, train.images, ctx);
        SchemeResult sr;
        sr.name = name;
        sr.summary = scheme.summary;
        const std::map<std::string, int64_t>* modelled_positions =
            modelled ? &positions_per_image : nullptr;
        const std::vector<Mapping> mappings =
            map_and_simulate(scheme, qm, ctx, sim_images, modelled_positions, opt, progress, sr);
        std::optional<SchemeResult> tuned_result;
        if (opt.accuracy_images > 0 && !modelled) {
            progress.say(name + ": int accuracy");
            sr.accuracy =
                top1(test, opt.accuracy_images, [&](const Tensor& b) { return run_int(qm, b); });
            if (opt.finetune_epochs > 0) {
                progress.say(name + ": finetune");
                MaskSet masks;
                try {
                    masks = masks_from_quant_model(qm);
                } catch (const Error& e) {
                    throw Error("--finetune: scheme '" + name + "': " + e.what());
                }
                const RegularizerFn reg =
                    scheme.regularizer ? scheme.regularizer(g, masks, ctx) : RegularizerFn{};
                const Graph tuned = opt.finetune(g, masks, ctx.quant.w_bits, reg);
                progress.say(name + ": quantize the finetuned model");
                const QuantModel tuned_qm = scheme.prepare(tuned, train.images, ctx);
                sr.finetuned_accuracy = top1(test, opt.accuracy_images,
                                             [&](const Tensor& b) { return run_int(tuned_qm, b); });
                // The finetuned model on the chip: mapped, simulated and priced again.
                SchemeResult& t = tuned_result.emplace();
                t.name = name + "+ft";
                t.finetuned_from = name;
                t.summary = "'" + name + "' after finetuning " +
                            std::to_string(opt.finetune_epochs) + " epoch(s) with its masks" +
                            (reg ? " and its regulariser" : "");
                map_and_simulate(scheme, tuned_qm, ctx, sim_images, nullptr, opt, progress, t);
                t.accuracy = sr.finetuned_accuracy;
            }
        }
        if (opt.adc_accuracy_images > 0 && !modelled) {
            progress.say(name + ": accuracy through the simulated ADC");
            const LayerAccumulate through_sim = [&](size_t li, const LayerTrace& in,
                                                    std::vector<int32_t>& acc) {
                SimOptions so;
                so.keep_outputs = true;
                so.threads = 1;  // top1 runs batches on every core
                const SimResult r = simulate(mappings.at(li), in, hw, so);
                acc.resize(r.outputs.size());
                for (size_t i = 0; i < acc.size(); ++i)
                    acc[i] = static_cast<int32_t>(
                        std::clamp<int64_t>(r.outputs[i], INT32_MIN, INT32_MAX));
            };
            sr.adc_exact_accuracy = top1(test, opt.adc_accuracy_images,
                                         [&](const Tensor& b) { return run_int(qm, b); });
            sr.adc_sim_accuracy = top1(test, opt.adc_accuracy_images, [&](const Tensor& b) {
                return run_int(qm, b, nullptr, through_sim);
            });
        }
        res.schemes.push_back(std::move(sr));
        if (tuned_result) res.schemes.push_back(std::move(*tuned_result));
    }
    progress.done();
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace sparsecim
