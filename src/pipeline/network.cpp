// map_network and simulate_network: the per-layer loops of the pipeline, parallel over layers
// (mapping) and streamed over image batches (simulation).
#include "pipeline/network.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "infer/int_infer.hpp"

namespace sparsecim {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<Mapping> map_network(const Scheme& scheme, const QuantModel& qm,
                                 const SchemeContext& ctx, int threads,
                                 std::optional<uint64_t> chip_seed) {
    const size_t n = qm.layers.size();
    // Largest layers first, so the last layer handed out is a small one.
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return qm.layers[a].weights.w.size() > qm.layers[b].weights.w.size();
    });
    std::vector<Mapping> out(n);
    std::vector<std::string> bad(n);
    parallel_for(static_cast<int64_t>(n), threads, [&](int64_t i) {
        const size_t li = order[static_cast<size_t>(i)];
        if (chip_seed) {
            SchemeContext layer_ctx = ctx;
            layer_ctx.chip_seed = layer_device_seed(*chip_seed, li);
            out[li] = scheme.map(qm.layers[li], layer_ctx);
        } else {
            out[li] = scheme.map(qm.layers[li], ctx);
        }
        bad[li] = verify(out[li], qm.layers[li].weights);
    });
    for (size_t li = 0; li < n; ++li)
        if (!bad[li].empty())
            throw Error("scheme '" + scheme.name +
                        "' produced a mapping that does not reconstruct its weights: " + bad[li]);
    return out;
}

std::vector<double> adc_ranges(const NetworkSim& profile, const HwConfig& hw) {
    std::vector<double> out;
    if (hw.adc_calibration != "profiled" && hw.adc_calibration != "percentile") return out;
    for (const LayerSim& ls : profile.layers) {
        const std::vector<uint64_t>& h = ls.sum_histogram;
        uint64_t total = 0;
        for (uint64_t c : h) total += c;
        // The smallest sum with at least the wanted share of conversions at or below it.
        const double share = hw.adc_calibration == "profiled" ? 100.0 : hw.adc_percentile;
        const auto wanted =
            static_cast<uint64_t>(std::ceil(static_cast<double>(total) * share / 100.0 - 1e-9));
        size_t v = 0;
        for (uint64_t seen = 0; v < h.size(); ++v)
            if ((seen += h[v]) >= wanted && seen > 0) break;
        out.push_back(static_cast<double>(std::min(v, h.empty() ? 0 : h.size() - 1)));
    }
    return out;
}

uint64_t layer_device_seed(uint64_t seed, size_t layer) {
    return stream_seed(seed, layer, 0x1A7E5);
}

void simulate_traces(const std::vector<Mapping>& mappings, const std::vector<LayerTrace>& traces,
                     const HwConfig& hw, const NetworkSimOptions& opt, NetworkSim& acc) {
    if (mappings.size() != traces.size())
        throw Error("simulate_traces: " + std::to_string(mappings.size()) + " mappings for " +
                    std::to_string(traces.size()) + " traces");
    const auto t0 = std::chrono::steady_clock::now();
    acc.layers.resize(mappings.size());
    for (size_t li = 0; li < mappings.size(); ++li) {
        LayerSim& ls = acc.layers[li];
        SimOptions so = opt.sim;
        so.device_seed = layer_device_seed(opt.sim.device_seed, li);
        if (opt.devices) so.device = &opt.devices->at(li);
        if (!opt.adc_ranges.empty()) so.adc_range = opt.adc_ranges.at(li);
        const SimResult r = simulate(mappings[li], traces[li], hw, so);
        if (ls.sum_histogram.size() < r.sum_histogram.size())
            ls.sum_histogram.resize(r.sum_histogram.size(), 0);
        for (size_t v = 0; v < r.sum_histogram.size(); ++v)
            ls.sum_histogram[v] += r.sum_histogram[v];
        ls.positions += traces[li].positions;
        ls.activations.add(traces[li]);
        ls.stats.add(r.stats);
        ls.outputs_checked += r.outputs_checked;
        ls.mismatches += r.mismatches;
        ls.squared_error += r.squared_error;
        ls.largest_sum = std::max(ls.largest_sum, r.largest_sum);
        if (opt.check_exact) {
            SimOptions ideal = opt.sim;
            ideal.ideal_adc = true;
            ls.ideal_mismatches = ls.ideal_mismatches.value_or(0) +
                                  simulate(mappings[li], traces[li], hw, ideal).mismatches;
        }
    }
    acc.sim_seconds += seconds_since(t0);
}

std::vector<LayerTrace> trace_batch(const QuantModel& qm, const Tensor& images, int64_t b0,
                                    int64_t n) {
    const int64_t count = images.rank() > 0 ? images.dim(0) : 0;
    const int64_t per = count ? images.size() / count : 0;
    Shape s = images.shape;
    s[0] = n;
    const Tensor batch(s, std::vector<float>(images.data.begin() + b0 * per,
                                             images.data.begin() + (b0 + n) * per));
    std::vector<LayerTrace> traces;
    run_int(qm, batch, &traces);
    return traces;
}

NetworkSim simulate_network(const QuantModel& qm, const std::vector<Mapping>& mappings,
                            const Tensor& images, const HwConfig& hw,
                            const NetworkSimOptions& opt) {
    if (mappings.size() != qm.layers.size())
        throw Error("simulate_network: " + std::to_string(mappings.size()) + " mappings for " +
                    std::to_string(qm.layers.size()) + " layers");
    if (opt.batch < 1) throw Error("simulate_network: batch must be at least 1");
    NetworkSim res;
    res.layers.resize(qm.layers.size());
    const int64_t count = images.rank() > 0 ? images.dim(0) : 0;
    for (int64_t b0 = 0; b0 < count; b0 += opt.batch) {
        const int64_t nb = std::min(opt.batch, count - b0);
        const auto t0 = std::chrono::steady_clock::now();
        const std::vector<LayerTrace> traces = trace_batch(qm, images, b0, nb);
        res.trace_seconds += seconds_since(t0);
        simulate_traces(mappings, traces, hw, opt, res);
    }
    return res;
}

}  // namespace sparsecim
