// sparsecim_bench: Google Benchmark micro-benchmarks of the hot paths: OU op execution (the
// functional simulator) beside the bare kernel's ceiling (bench/ceiling.hpp), the zero-skip
// decision (counts-only runs on sparse inputs), the csr GA's fitness evaluation, the mapping of one
// large layer per scheme, and the integer conv. Not run by ctest; see docs/performance.md.
#include <benchmark/benchmark.h>

#include <map>
#include <random>

#include "ceiling.hpp"
#include "infer/int_infer.hpp"
#include "map/dense_mapper.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "schemes/csr/csr_search.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

namespace {

HwConfig default_hw() {
    return resolve_hw("", {});
}

Tensor noise(Shape s, uint64_t seed) {
    Tensor t(std::move(s));
    std::mt19937_64 rng(seed);
    for (float& v : t.data) v = static_cast<float>(rng() >> 40) * 0x1.0p-24f;
    return t;
}

// A K x N layer of random int8 weights (half of them zero) and `positions` inputs, a fraction
// `zero` of them 0 (the rest uniform 1..255), with the exact reference outputs.
struct Layer {
    WeightMatrix w;
    LayerTrace trace;
};

Layer random_layer(int64_t K, int64_t N, int64_t positions, double zero, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Layer l;
    l.w = WeightMatrix("bench", K, N, 8);
    for (auto& v : l.w.w) v = u(rng) < 0.5 ? 0 : static_cast<int32_t>(rng() % 255) - 127;
    LayerTrace& t = l.trace;
    t.layer = "bench";
    t.K = K;
    t.N = N;
    t.positions = positions;
    t.inputs.resize(static_cast<size_t>(positions * K));
    for (auto& v : t.inputs) v = u(rng) < zero ? 0 : 1 + static_cast<int32_t>(rng() % 255);
    t.outputs.assign(static_cast<size_t>(positions * N), 0);
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t n = 0; n < N; ++n)
                t.outputs[static_cast<size_t>(p * N + n)] += t.input(p)[k] * l.w.at(k, n);
    return l;
}

// One OU op = one issued bit-plane of one OU (P_WL x P_BL); single thread.
void BM_OuOpExecution(benchmark::State& state) {
    const HwConfig hw = default_hw();
    const Layer l = random_layer(576, 64, 256, 0.5, 1);
    const Mapping m = map_dense(l.w, hw);
    SimOptions opt;
    opt.threads = 1;
    uint64_t ops = 0;
    for (auto _ : state) {
        const SimResult r = simulate(m, l.trace, hw, opt);
        if (r.mismatches != 0) state.SkipWithError("simulator disagrees with the reference");
        ops += r.stats.ou_ops;
    }
    state.counters["ou_ops_per_s"] =
        benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OuOpExecution)->Unit(benchmark::kMillisecond);

// The ceiling beside it: the bare OU kernel (bench/ceiling.hpp) on the default OU shape, one
// thread; ou_ops_per_s of BM_OuOpExecution over this one's is the simulator's share of it.
void BM_OuKernelCeiling(benchmark::State& state) {
    const HwConfig hw = default_hw();
    const bool portable = state.range(0) != 0;
    uint64_t ops = 0, checksum = 0;
    for (auto _ : state) {
        const bench::CeilingResult r =
            bench::run_ceiling({hw.ou_rows, hw.ou_cols, hw.cell_bits, hw.adc_bits}, 0.01, portable);
        ops += static_cast<uint64_t>(r.ou_ops);
        checksum ^= r.checksum;
    }
    benchmark::DoNotOptimize(checksum);
    state.SetLabel(
        bench::run_ceiling({hw.ou_rows, hw.ou_cols, hw.cell_bits, hw.adc_bits}, 0.0, portable)
            .path);
    state.counters["ou_ops_per_s"] =
        benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}
// Arg 0: the best path this CPU has (AVX-512 BITALG when present); 1: the portable SWAR one.
BENCHMARK(BM_OuKernelCeiling)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Counts only on inputs that are `range(0)` % zero: the per-op work is then mostly deciding
// which bit-planes to skip. One item = one OU op slot (issued or skipped).
void BM_ZeroSkipDecision(benchmark::State& state) {
    const HwConfig hw = default_hw();
    const Layer l = random_layer(576, 64, 256, static_cast<double>(state.range(0)) / 100.0, 2);
    Mapping m = map_dense(l.w, hw);
    m.skip_zero_ou = true;
    SimOptions opt;
    opt.threads = 1;
    opt.counts_only = true;
    uint64_t slots = 0;
    for (auto _ : state) {
        const SimResult r = simulate(m, l.trace, hw, opt);
        slots += r.stats.ou_ops + r.stats.ou_ops_skipped;
    }
    state.counters["op_slots_per_s"] =
        benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ZeroSkipDecision)->Arg(50)->Arg(90)->Unit(benchmark::kMillisecond);

// The csr GA on one shuffle window of 16 blocks x 4 columns of 128-row masks (~60% rows empty).
void BM_CsrGaFitness(benchmark::State& state) {
    WindowProblem p;
    p.blocks = 16;
    p.beta = 4;
    p.ou_cols = 8;
    p.ou_rows = 16;
    p.words = 2;
    std::mt19937_64 rng(3);
    for (int i = 0; i < p.blocks * p.words; ++i) p.masks.push_back(rng() & rng());
    GaOptions ga;
    int64_t evaluations = 0;
    for (auto _ : state) {
        const SearchResult r = ga_search(p, ga);
        benchmark::DoNotOptimize(r.cost.stored_rows);
        evaluations += r.evaluations;
    }
    state.counters["evaluations_per_s"] =
        benchmark::Counter(static_cast<double>(evaluations), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CsrGaFitness)->Unit(benchmark::kMillisecond);

// zoo:vgg16-cifar prepared by `scheme` (cached): its largest layer is a 4608 x 512 3x3 conv.
const QuantModel& prepared(const std::string& scheme, const HwConfig& hw) {
    static std::map<std::string, QuantModel> cache;
    auto it = cache.find(scheme);
    if (it != cache.end()) return it->second;
    SchemeContext ctx;
    ctx.hw = hw;
    ctx.quant.w_bits = hw.w_bits;
    ctx.quant.a_bits = hw.a_bits;
    const Graph g = make_zoo_model("vgg16-cifar", 1);
    return cache[scheme] = find_scheme(scheme).prepare(g, noise({2, 3, 32, 32}, 4), ctx);
}

void BM_MapLargeLayer(benchmark::State& state, const std::string& scheme) {
    const HwConfig hw = default_hw();
    const QuantModel& qm = prepared(scheme, hw);
    size_t largest = 0;
    for (size_t i = 1; i < qm.layers.size(); ++i)
        if (qm.layers[i].weights.w.size() > qm.layers[largest].weights.w.size()) largest = i;
    SchemeContext ctx;
    ctx.hw = hw;
    ctx.quant.w_bits = hw.w_bits;
    ctx.quant.a_bits = hw.a_bits;
    const Scheme& s = find_scheme(scheme);
    for (auto _ : state) {
        const Mapping m = s.map(qm.layers[largest], ctx);
        benchmark::DoNotOptimize(m.tiles.size());
    }
    state.SetLabel(qm.layers[largest].name + " " + std::to_string(qm.layers[largest].weights.K) +
                   "x" + std::to_string(qm.layers[largest].weights.N));
}
BENCHMARK_CAPTURE(BM_MapLargeLayer, dense, std::string("dense"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MapLargeLayer, csr, std::string("csr"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MapLargeLayer, twofold, std::string("twofold"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MapLargeLayer, sme, std::string("sme"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MapLargeLayer, pattern, std::string("pattern"))->Unit(benchmark::kMillisecond);

// Integer reference inference of zoo:vgg16-cifar (dense quantization) on 4 images: im2col and
// the exact int32 GEMM dominate. One item = one multiply-accumulate.
void BM_IntConv(benchmark::State& state) {
    const HwConfig hw = default_hw();
    const QuantModel& qm = prepared("dense", hw);
    const Tensor images = noise({4, 3, 32, 32}, 5);
    std::vector<LayerTrace> traces;
    run_int(qm, images, &traces);
    int64_t macs = 0;
    for (const LayerTrace& t : traces) macs += t.positions * t.K * t.N;
    for (auto _ : state) benchmark::DoNotOptimize(run_int(qm, images).data.data());
    state.counters["macs_per_s"] =
        benchmark::Counter(static_cast<double>(macs) * static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IntConv)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
