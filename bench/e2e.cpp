// sparsecim_e2e: end-to-end timing of the pipeline's stages on one model, per scheme: prepare
// (quantize + prune), mapping of every layer (verified), trace generation (integer reference
// inference) and simulation, each with its wall time, CPU time and peak resident memory, and the
// OU ops the simulator executed per second. Medians over --repeats. scripts/bench-e2e.sh drives
// it; docs/performance.md explains the figures.
#include <sys/resource.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ceiling.hpp"
#include "core/error.hpp"
#include "core/malloc_tuning.hpp"
#include "core/parallel.hpp"
#include "hw/hw_config.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/network.hpp"
#include "schemes/scheme.hpp"

using namespace sparsecim;

namespace {

// Peak resident set since the last reset_peak(), in MiB (Linux: /proc/self/status VmHWM).
double peak_mib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0.0;
}

// Resets VmHWM to the current RSS (Linux >= 4.0: "5" > /proc/self/clear_refs).
void reset_peak() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

struct Phase {
    double wall = 0.0, cpu = 0.0, peak = 0.0;
};

// Runs fn as one measured phase.
template <typename Fn>
Phase measure(Fn&& fn) {
    reset_peak();
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    Phase p;
    p.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    p.cpu = cpu_seconds() - c0;
    p.peak = peak_mib();
    return p;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// `n` images shaped like the model's input: Fashion-MNIST when the model takes 1x28x28 and
// `input` allows it, else seeded uniform noise in [0, 1).
Tensor make_images(const Graph& g, int64_t n, const std::string& input, const std::string& split,
                   uint64_t seed, std::string* what) {
    Shape s = g.inputs.at(0).shape;
    if (s.size() != 4) throw Error("model input must be N x C x H x W");
    const bool mnist_shape = s[1] == 1 && s[2] == 28 && s[3] == 28;
    if (input == "fmnist" || (input == "auto" && mnist_shape)) {
        if (!mnist_shape) throw Error("--input fmnist: the model does not take 1x28x28 images");
        *what = "Fashion-MNIST " + split;
        return load_fashion_mnist(split, n).images;
    }
    *what = "uniform noise";
    s[0] = n;
    Tensor t(s);
    std::mt19937_64 rng(seed);
    for (float& v : t.data) v = static_cast<float>(rng() >> 40) * 0x1.0p-24f;
    return t;
}

struct SchemeTimes {
    std::vector<double> prepare, map, trace, sim, sim_cpu;
    double prepare_peak = 0, map_peak = 0, trace_peak = 0, sim_peak = 0;
    uint64_t ou_ops = 0, ou_ops_skipped = 0;
    int64_t mismatches = 0, checked = 0;
    int64_t search_evaluations = 0;
};

}  // namespace

int main(int argc, char** argv) {
    sparsecim::tune_malloc_by_reexec(argv);  // as the sparsecim binary does
    CLI::App app{"sparsecim end-to-end timing: prepare, map, trace and simulate per scheme"};
    std::string model = "zoo:resnet18", hw_path, input = "auto", schemes_arg, json_out,
                kernel = "auto";
    std::vector<std::string> hw_overrides;
    int64_t images = 1, calib = 1, batch = 1;
    int repeats = 1, threads = 0;
    uint64_t seed = 1;
    bool ideal = false, skip_sim = false, counts_only = false, markdown = false;
    double ceiling_seconds = 1.0;
    app.add_option("--model", model, "ONNX file or zoo:NAME");
    app.add_option("--hw", hw_path, "hardware YAML (default: configs/hw/dense.yaml)");
    app.add_option("--set", hw_overrides, "override a hardware field, e.g. --set ou.rows=8");
    app.add_option("--schemes", schemes_arg, "comma-separated schemes (default: all)");
    app.add_option("--images", images, "images simulated");
    app.add_option("--batch", batch, "images traced at once (memory holds one batch's traces)");
    app.add_option("--calib-images", calib, "calibration images");
    app.add_option("--input", input, "auto | fmnist | noise");
    app.add_option("--repeats", repeats, "repeat every phase; times are medians");
    app.add_option("--threads", threads, "worker threads (0: all cores)");
    app.add_option("--seed", seed, "seed for zoo weights, noise images and schemes");
    app.add_flag("--ideal-adc", ideal, "resolve every column sum exactly");
    app.add_flag("--skip-sim", skip_sim, "measure prepare and mapping only");
    app.add_flag("--counts-only", counts_only, "simulate counts only (no output values)");
    app.add_flag("--markdown", markdown,
                 "print one Markdown table row per scheme (docs/performance.md) instead");
    app.add_option("--kernel", kernel,
                   "the simulator's column-sum kernel: auto | portable | avx512 | avx512-band "
                   "(SimOptions::kernel)")
        ->check(CLI::IsMember({"auto", "portable", "avx512", "avx512-band"}));
    app.add_option("--json", json_out, "also write the figures as JSON to this file");
    app.add_option("--ceiling-seconds", ceiling_seconds,
                   "time the bare OU kernel (bench/ceiling.hpp) this long on one core first, and "
                   "give the simulator's OU ops per CPU-second as a fraction of it (0: skip)");
    CLI11_PARSE(app, argc, argv);
    try {
        if (images < 1 || calib < 1 || repeats < 1 || batch < 1)
            throw Error("--images, --calib-images, --batch and --repeats must be at least 1");
        const HwConfig hw = resolve_hw(hw_path, hw_overrides);
        std::vector<std::string> schemes;
        if (schemes_arg.empty()) {
            for (const Scheme& s : scheme_registry()) schemes.push_back(s.name);
        } else {
            size_t a = 0;
            while (a <= schemes_arg.size()) {
                const size_t b = std::min(schemes_arg.find(',', a), schemes_arg.size());
                schemes.push_back(schemes_arg.substr(a, b - a));
                a = b + 1;
            }
        }
        const Graph g = load_model(model, seed);
        std::string what;
        const Tensor calib_images = make_images(g, calib, input, "train", seed + 1, &what);
        const Tensor sim_images = make_images(g, images, input, "test", seed + 2, &what);
        const int workers = resolve_threads(threads);
        const char* mode = counts_only ? "counts-only" : "functional";
        // The machine's ceiling, measured in this run on the run's OU shape.
        bench::CeilingResult ceiling;
        if (ceiling_seconds > 0.0 && !markdown) {
            ceiling = bench::run_ceiling({hw.ou_rows, hw.ou_cols, hw.cell_bits, hw.adc_bits},
                                         ceiling_seconds);
            std::printf(
                "ceiling: bare OU kernel (%dx%d OU, %d-bit cells, %d-bit ADC: AND + lane popcount "
                "+ clamp, %d-bit lanes, %s, 1 core): %.1f M OU ops/s (checksum %llx)\n",
                hw.ou_rows, hw.ou_cols, hw.cell_bits, hw.adc_bits, ceiling.lane_bits, ceiling.path,
                ceiling.ou_ops_per_s / 1e6, static_cast<unsigned long long>(ceiling.checksum));
        }
        const double ceiling_mops = ceiling.ou_ops_per_s / 1e6;
        if (!markdown)
            std::printf(
                "model %s | %lld image(s) %s, batch %lld | %d thread(s) | %d repeat(s) | %s\n",
                model.c_str(), static_cast<long long>(images), what.c_str(),
                static_cast<long long>(batch), workers, repeats, mode);
        if (!markdown)
            std::printf("%-8s %9s %9s %9s %9s %9s %9s %9s %9s %12s %10s %10s %8s %s\n", "scheme",
                        "prep_s", "map_s", "map_MiB", "trace_s", "trace_MiB", "sim_s", "sim_cpu_s",
                        "sim_MiB", "ou_ops", "Mops/s", "Mops/s/cpu", "%ceiling",
                        "mismatch/checked");
        nlohmann::json out = nlohmann::json::array();
        for (const std::string& name : schemes) {
            const Scheme& scheme = find_scheme(name);
            SchemeContext ctx;
            ctx.hw = hw;
            ctx.quant.w_bits = hw.w_bits;
            ctx.quant.a_bits = hw.a_bits;
            ctx.seed = seed;
            SchemeTimes st;
            for (int r = 0; r < repeats; ++r) {
                QuantModel qm;
                Phase p = measure([&] { qm = scheme.prepare(g, calib_images, ctx); });
                st.prepare.push_back(p.wall);
                st.prepare_peak = std::max(st.prepare_peak, p.peak);
                std::vector<Mapping> mappings;
                p = measure([&] { mappings = map_network(scheme, qm, ctx, threads); });
                st.map.push_back(p.wall);
                st.map_peak = std::max(st.map_peak, p.peak);
                st.search_evaluations = 0;  // fitness evaluations of a mapper's search (csr's GA)
                for (const Mapping& m : mappings) {
                    const auto it = m.figures.find("ga_evaluations");
                    if (it != m.figures.end())
                        st.search_evaluations += static_cast<int64_t>(it->second);
                }
                NetworkSimOptions so;
                so.sim.ideal_adc = ideal;
                so.sim.counts_only = counts_only;
                so.sim.kernel = kernel == "portable"      ? SimOptions::Kernel::Portable
                                : kernel == "avx512"      ? SimOptions::Kernel::Avx512
                                : kernel == "avx512-band" ? SimOptions::Kernel::Avx512Band
                                                          : SimOptions::Kernel::Auto;
                so.sim.threads = threads;
                so.batch = batch;
                NetworkSim sim;
                if (skip_sim) {
                    st.trace.push_back(0.0);
                    st.sim.push_back(0.0);
                    st.sim_cpu.push_back(0.0);
                    continue;
                }
                if (images <= batch) {  // one batch: trace and simulation measured apart
                    std::vector<LayerTrace> traces;
                    p = measure([&] { run_int(qm, sim_images, &traces); });
                    st.trace.push_back(p.wall);
                    st.trace_peak = std::max(st.trace_peak, p.peak);
                    p = measure([&] { simulate_traces(mappings, traces, hw, so, sim); });
                } else {  // streamed: the peak covers both; times are split by the network run
                    p = measure([&] { sim = simulate_network(qm, mappings, sim_images, hw, so); });
                    st.trace.push_back(sim.trace_seconds);
                    st.trace_peak = std::max(st.trace_peak, p.peak);
                    p.wall = sim.sim_seconds;
                }
                st.sim.push_back(p.wall);
                st.sim_cpu.push_back(p.cpu);
                st.sim_peak = std::max(st.sim_peak, p.peak);
                st.ou_ops = st.ou_ops_skipped = 0;
                st.mismatches = st.checked = 0;
                for (const LayerSim& l : sim.layers) {
                    st.ou_ops += l.stats.ou_ops;
                    st.ou_ops_skipped += l.stats.ou_ops_skipped;
                    st.mismatches += l.mismatches;
                    st.checked += l.outputs_checked;
                }
            }
            const double sim_s = median(st.sim), sim_cpu = median(st.sim_cpu);
            const double mops = sim_s > 0 ? static_cast<double>(st.ou_ops) / sim_s / 1e6 : 0.0;
            const double mops_cpu =
                sim_cpu > 0 ? static_cast<double>(st.ou_ops) / sim_cpu / 1e6 : 0.0;
            const double peak = std::max(st.trace_peak, st.sim_peak);
            const double of_ceiling = ceiling_mops > 0 ? mops_cpu / ceiling_mops : 0.0;
            if (markdown)
                std::printf("| %s | %lld | %s | %s | %.2f | %.2f | %.2f | %.0f | %.1f | %.1f |\n",
                            model.c_str(), static_cast<long long>(images), name.c_str(), mode,
                            median(st.map), median(st.trace), sim_s, peak, mops, mops_cpu);
            else
                std::printf(
                    "%-8s %9.2f %9.2f %9.0f %9.2f %9.0f %9.2f %9.2f %9.0f %12llu %10.1f %10.1f "
                    "%7.1f%% %lld/%lld\n",
                    name.c_str(), median(st.prepare), median(st.map), st.map_peak, median(st.trace),
                    st.trace_peak, sim_s, sim_cpu, st.sim_peak,
                    static_cast<unsigned long long>(st.ou_ops), mops, mops_cpu, 100.0 * of_ceiling,
                    static_cast<long long>(st.mismatches), static_cast<long long>(st.checked));
            if (st.search_evaluations > 0 && !markdown)
                std::printf(
                    "%-8s mapping searched %lld fitness evaluations in %.2f s (all layers, "
                    "%d thread(s)): %.2f M evaluations/s\n",
                    name.c_str(), static_cast<long long>(st.search_evaluations), median(st.map),
                    workers, static_cast<double>(st.search_evaluations) / median(st.map) / 1e6);
            std::fflush(stdout);
            out.push_back({{"scheme", name},
                           {"search_evaluations", st.search_evaluations},
                           {"prepare_s", median(st.prepare)},
                           {"prepare_peak_mib", st.prepare_peak},
                           {"map_s", median(st.map)},
                           {"map_peak_mib", st.map_peak},
                           {"trace_s", median(st.trace)},
                           {"trace_peak_mib", st.trace_peak},
                           {"sim_s", sim_s},
                           {"sim_cpu_s", sim_cpu},
                           {"sim_peak_mib", st.sim_peak},
                           {"ou_ops", st.ou_ops},
                           {"ou_ops_skipped", st.ou_ops_skipped},
                           {"outputs_checked", st.checked},
                           {"mismatches", st.mismatches},
                           {"mops_per_s", mops},
                           {"mops_per_cpu_s", mops_cpu},
                           {"ceiling_fraction", of_ceiling},
                           {"simulation", mode}});
        }
        if (!json_out.empty()) {
            std::ofstream f(json_out);
            f << nlohmann::json{{"model", model},
                                {"images", images},
                                {"batch", batch},
                                {"threads", workers},
                                {"repeats", repeats},
                                {"kernel", kernel},
                                {"ceiling_mops_per_s", ceiling_mops},
                                {"ceiling_lane_bits", ceiling.lane_bits},
                                {"ceiling_path", ceiling.path},
                                {"schemes", out}}
                     .dump(1)
              << "\n";
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sparsecim_e2e: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
