// The simulator's fast paths against a cell-by-cell oracle: for every scheme's mappings of small
// zoo models (real quantized weights and Fashion-MNIST activations), under an ideal and a narrow
// (clipping) ADC, the packed bit-plane simulator gives exactly the oracle's outputs and Stats,
// whatever the thread count (position and crossbar splits alike), and the counts-only mode gives
// the same Stats without outputs. The analogue path of real devices (issue 22), run on ideal
// cells, gives the same outputs and Stats too.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "hw/hw_config.hpp"
#include "infer/int_infer.hpp"
#include "model/idx.hpp"
#include "model/zoo.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/network.hpp"
#include "schemes/scheme.hpp"
#include "sim/simulator.hpp"

using namespace sparsecim;

namespace {

struct Oracle {
    Stats stats;
    std::vector<int64_t> y;
};

// The simulator's contract (sim/simulator.hpp, map/mapping.hpp) one cell at a time.
Oracle oracle(const Mapping& m, const LayerTrace& tr, const HwConfig& hw, bool ideal) {
    Oracle o;
    Stats& st = o.stats;
    const int states = 1 << m.cell_bits;
    st.cell_reads_by_state.assign(static_cast<size_t>(states), 0);
    const int64_t adc_max = (int64_t{1} << hw.adc_bits) - 1;
    const uint32_t mask = (1u << tr.a_bits) - 1;
    o.y.assign(static_cast<size_t>(tr.positions * m.N), 0);
    // Per position constants: distinct inputs per tile, outputs shared by several tiles.
    uint64_t bytes = 0;
    std::vector<int> tiles_of(static_cast<size_t>(m.N), 0);
    for (const Tile& t : m.tiles) {
        std::set<int32_t> ks, ns;
        for (const OuOp& op : t.ops) {
            for (int r = 0; r < op.rows; ++r)
                if (t.inputs[op.in_ofs + static_cast<size_t>(r)].k >= 0)
                    ks.insert(t.inputs[op.in_ofs + static_cast<size_t>(r)].k);
            for (int c = 0; c < op.cols; ++c)
                if (t.outputs[op.out_ofs + static_cast<size_t>(c)].n >= 0)
                    ns.insert(t.outputs[op.out_ofs + static_cast<size_t>(c)].n);
        }
        bytes += ks.size() * static_cast<uint64_t>((tr.a_bits + 7) / 8);
        for (int32_t n : ns) ++tiles_of[static_cast<size_t>(n)];
    }
    for (int64_t p = 0; p < tr.positions; ++p) {
        const int32_t* x = tr.input(p);
        int64_t* y = o.y.data() + p * m.N;
        uint64_t slowest = 0;
        for (const Tile& t : m.tiles) {
            std::vector<uint64_t> stage_free(m.pipeline.size(), 0);
            // One item through the stages: its latency per stage by the stage's kind.
            auto pass = [&](const OuOp& op, bool first, bool issued, uint64_t rounds) {
                uint64_t time = 0;
                for (size_t s = 0; s < m.pipeline.size(); ++s) {
                    const auto& stage = m.pipeline[s];
                    const uint64_t c = static_cast<uint64_t>(stage.cycles);
                    uint64_t lat = 0;
                    using Per = Mapping::PipelineStage::Per;
                    if (stage.per == Per::Fetch && first && op.fetch) lat = c;
                    if (stage.per == Per::Op && first) lat = c;
                    if (stage.per == Per::Plane && issued) lat = c;
                    if (stage.per == Per::AdcRound && issued) lat = c * rounds;
                    time = std::max(time, stage_free[s]) + lat;
                    stage_free[s] = time;
                }
            };
            uint64_t busy = 0;
            for (const OuOp& op : t.ops) {
                int max_shift = 0, active = 0;
                for (int r = 0; r < op.rows; ++r) {
                    const RowInput& ri = t.inputs[op.in_ofs + static_cast<size_t>(r)];
                    if (ri.k >= 0) max_shift = std::max<int>(max_shift, ri.shift);
                }
                for (int c = 0; c < op.cols; ++c)
                    active += t.outputs[op.out_ofs + static_cast<size_t>(c)].n >= 0;
                const uint64_t rounds = std::max<uint64_t>(
                    1, static_cast<uint64_t>((active + hw.adc_per_xbar - 1) / hw.adc_per_xbar));
                const int planes = tr.a_bits + max_shift;
                bool first = true;
                for (int tb = 0; tb < planes; ++tb) {
                    std::vector<int> driven;
                    for (int r = 0; r < op.rows; ++r) {
                        const RowInput& ri = t.inputs[op.in_ofs + static_cast<size_t>(r)];
                        if (ri.k < 0) continue;
                        const uint64_t v =
                            static_cast<uint64_t>(static_cast<uint32_t>(x[ri.k]) & mask)
                            << ri.shift;
                        if ((v >> tb) & 1) driven.push_back(r);
                    }
                    if (driven.empty() && m.skip_zero_ou) {
                        ++st.ou_ops_skipped;
                        continue;
                    }
                    ++st.ou_ops;
                    busy += rounds;
                    if (!m.pipeline.empty()) pass(op, first, true, rounds);
                    first = false;
                    st.driver_activations += driven.size();
                    const bool sign_plane = tr.in_signed && tb == tr.a_bits - 1 + max_shift;
                    for (int c = 0; c < op.cols; ++c) {
                        const ColOutput& co = t.outputs[op.out_ofs + static_cast<size_t>(c)];
                        if (co.n < 0) continue;
                        int64_t sum = 0;
                        for (int r : driven) {
                            const uint8_t cell = t.cell(op.r0 + r, op.c0 + c);
                            sum += cell;
                            ++st.cell_reads_by_state[cell];
                            ++st.cell_reads;
                        }
                        ++st.adc_conversions;
                        ++st.sa_ops;
                        if (!ideal && sum > adc_max) {
                            sum = adc_max;
                            ++st.adc_saturations;
                        }
                        const int64_t v = sum * (int64_t{1} << (tb + co.shift)) * co.sign;
                        y[co.n] += sign_plane ? -v : v;
                    }
                }
                if (!m.pipeline.empty() && first) pass(op, true, false, rounds);
            }
            const uint64_t tile_time = m.pipeline.empty() ? busy : stage_free.back();
            slowest = std::max(slowest, tile_time);
        }
        st.cycles +=
            m.pipeline.empty() ? slowest * static_cast<uint64_t>(hw.ou_op_cycles) : slowest;
        st.buffer_bytes += bytes;
        for (int c : tiles_of) st.digital_adds += c > 1 ? static_cast<uint64_t>(c - 1) : 0;
        if (m.offset != 0) {
            st.digital_adds += static_cast<uint64_t>(m.N);
            int64_t sx = 0;
            for (int64_t k = 0; k < m.K; ++k) sx += x[k];
            for (int64_t n = 0; n < m.N; ++n) y[n] -= m.offset * sx;
        }
        st.index_bits_read += static_cast<uint64_t>(m.total_index_bits());
    }
    return o;
}

nlohmann::json counters(Stats s) {
    s.events.clear();  // derived from the other counters by Mapping::events
    return to_json(s);
}

struct Case {
    std::string model, scheme;
};

// A model prepared, mapped and traced by one scheme on `hw`: what the simulator is checked on.
struct Network {
    QuantModel qm;
    std::vector<Mapping> maps;
    std::vector<LayerTrace> traces;
};

Network mapped(const Graph& g, const Scheme& scheme, const HwConfig& hw, const Tensor& calib,
               const Tensor& test, int threads) {
    SchemeContext ctx;
    ctx.hw = hw;
    ctx.quant.w_bits = hw.w_bits;
    ctx.quant.a_bits = hw.a_bits;
    Network n;
    n.qm = scheme.prepare(g, calib, ctx);
    n.maps = map_network(scheme, n.qm, ctx, threads);
    run_int(n.qm, test, &n.traces);
    return n;
}

std::vector<Case> cases() {
    std::vector<Case> out;
    for (const std::string model : {"tiny-cnn", "lenet"})
        for (const Scheme& s : scheme_registry()) out.push_back({model, s.name});
    return out;
}

}  // namespace

class SimPaths : public ::testing::TestWithParam<Case> {};

TEST_P(SimPaths, EqualTheCellByCellOracleAtAnyThreadCountAndInCountsOnlyMode) {
    const Case& c = GetParam();
    const Graph g = make_zoo_model(c.model, 3);
    const Dataset calib = load_fashion_mnist("train", 16);
    const Dataset test = load_fashion_mnist("test", 2);
    HwConfig hw = resolve_hw("", {});
    const auto [qm, maps, traces] =
        mapped(g, find_scheme(c.scheme), hw, calib.images, test.images, 2);
    for (int adc_bits : {hw.adc_bits, 3}) {  // 3 bits clips many column sums
        hw.adc_bits = adc_bits;
        uint64_t clipped = 0;
        for (size_t l = 0; l < maps.size(); ++l) {
            const std::string where = c.model + "/" + c.scheme + " layer " + qm.layers[l].name +
                                      " adc " + std::to_string(adc_bits);
            for (bool ideal : {false, true}) {
                const Oracle want = oracle(maps[l], traces[l], hw, ideal);
                std::vector<SimResult> runs;
                for (int threads : {1, 2, 3, 7}) {
                    SimOptions opt;
                    opt.ideal_adc = ideal;
                    opt.threads = threads;
                    opt.keep_outputs = true;
                    runs.push_back(simulate(maps[l], traces[l], hw, opt));
                    EXPECT_EQ(runs.back().outputs, want.y) << where << " threads " << threads;
                    EXPECT_EQ(counters(runs.back().stats), counters(want.stats))
                        << where << " threads " << threads;
                    EXPECT_EQ(to_json(runs.back().stats), to_json(runs.front().stats)) << where;
                    EXPECT_FALSE(runs.back().counts_only);
                }
                // The same outputs and Stats, bit for bit, from each column-sum kernel forced
                // (Auto above took the CPU's best) and from the analogue path of real devices
                // (SimOptions::device) on ideal cells.
                std::vector<std::pair<std::string, SimOptions>> variants;
                for (SimOptions::Kernel k : runnable_kernels()) {
                    SimOptions o;
                    o.kernel = k;
                    variants.emplace_back("kernel " + std::to_string(static_cast<int>(k)), o);
                }
                SimOptions analog;
                analog.force_analog = true;
                variants.emplace_back("analog", analog);
                for (auto [what, opt] : variants)
                    for (int threads : {1, 3}) {
                        opt.ideal_adc = ideal;
                        opt.threads = threads;
                        opt.keep_outputs = true;
                        const SimResult r = simulate(maps[l], traces[l], hw, opt);
                        EXPECT_EQ(r.outputs, want.y)
                            << where << " " << what << ", threads " << threads;
                        EXPECT_EQ(to_json(r.stats), to_json(runs.front().stats))
                            << where << " " << what;
                        if (!opt.force_analog) {
                            EXPECT_EQ(r.largest_sum, runs.front().largest_sum)
                                << where << " " << what;
                        }
                    }
                if (!ideal) clipped += runs.front().stats.adc_saturations;
                if (ideal) {
                    EXPECT_EQ(runs.front().mismatches, 0) << where;
                }
                // Counts only, with each kernel's packing (no bit-planes where no sum is formed);
                // the split over threads once, with the CPU's best kernel.
                for (SimOptions::Kernel k : runnable_kernels())
                    for (int threads : {1, 3}) {
                        if (threads > 1 && k != best_kernel()) continue;
                        SimOptions opt;
                        opt.kernel = k;
                        opt.ideal_adc = ideal;
                        opt.threads = threads;
                        opt.counts_only = true;
                        opt.keep_outputs = true;
                        const SimResult counts = simulate(maps[l], traces[l], hw, opt);
                        EXPECT_TRUE(counts.counts_only);
                        EXPECT_TRUE(counts.outputs.empty());
                        EXPECT_EQ(counts.outputs_checked, 0);
                        EXPECT_EQ(to_json(counts.stats), to_json(runs.front().stats))
                            << where << " kernel " << kernel_name(k);
                    }
            }
        }
        if (adc_bits == 3) {
            EXPECT_GT(clipped, 0u) << "the narrow ADC must clip";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Schemes, SimPaths, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                             std::string n = i.param.model + "_" + i.param.scheme;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

// The kernels agree on the shapes the common case does not take: several mask words (OU rows over
// 64), 1-, 4- and 8-bit cells, a column count that leaves vector lanes unused, bands whose sums
// do or do not fit the band kernel's 16-bit lanes (9 or 16 rows of 4-bit cells fit unsigned 16
// bits; 16 rows of 8-bit cells holding 8-bit weights sum past 65535 / 255, so the per-op kernel
// takes them), under an exact and a clipping ADC. Forcing a vector kernel on a CPU without it is
// one error naming the layer.
TEST(SimKernel, KernelsAgreeOnEveryShapeAndAMissingOneIsAnError) {
    const Graph g = make_zoo_model("tiny-cnn", 3);
    const Dataset test = load_fashion_mnist("test", 1);
    const Scheme& scheme = find_scheme("dense");
    for (const auto& [set, cell_bits] :
         std::vector<std::pair<std::string, int>>{{"ou.rows=128", 2},
                                                  {"ou.rows=72", 4},
                                                  {"ou.cols=5", 1},
                                                  {"ou.cols=13", 2},
                                                  {"ou.rows=16", 4},
                                                  {"ou.rows=9", 4},
                                                  {"ou.rows=16", 8}}) {
        HwConfig hw = resolve_hw("", {set});
        hw.cell_bits = cell_bits;
        hw.cell_state_energy_pj.clear();  // the preset prices the states of 2-bit cells
        validate(hw);
        const auto [qm, maps, traces] = mapped(g, scheme, hw, test.images, test.images, 1);
        SimOptions portable;
        portable.kernel = SimOptions::Kernel::Portable;
        portable.keep_outputs = true;
        for (const auto& [kernel, available] : std::vector<std::pair<SimOptions::Kernel, bool>>{
                 {SimOptions::Kernel::Avx512, avx512_kernel_available()},
                 {SimOptions::Kernel::Avx512Band, avx512_band_kernel_available()}}) {
            SimOptions vec;
            vec.kernel = kernel;
            vec.keep_outputs = true;
            const std::string name = kernel == SimOptions::Kernel::Avx512 ? "avx512" : "band";
            if (!available) {
                try {
                    simulate(maps[0], traces[0], hw, vec);
                    FAIL() << "expected an error";
                } catch (const Error& e) {
                    EXPECT_NE(std::string(e.what()).find("AVX-512"), std::string::npos) << e.what();
                    EXPECT_EQ(std::string(e.what()).rfind(maps[0].layer, 0), 0u) << e.what();
                }
                continue;
            }
            uint64_t clipped = 0;
            for (int adc_bits : {hw.adc_bits, 3})
                for (size_t l = 0; l < maps.size(); ++l) {
                    hw.adc_bits = adc_bits;
                    const std::string where =
                        name + " " + set + " cell bits " + std::to_string(cell_bits) + " layer " +
                        qm.layers[l].name + " adc " + std::to_string(adc_bits);
                    const SimResult a = simulate(maps[l], traces[l], hw, vec);
                    const SimResult b = simulate(maps[l], traces[l], hw, portable);
                    EXPECT_EQ(a.outputs, b.outputs) << where;
                    EXPECT_EQ(to_json(a.stats), to_json(b.stats)) << where;
                    EXPECT_EQ(a.largest_sum, b.largest_sum) << where;
                    vec.ideal_adc = true;
                    EXPECT_EQ(simulate(maps[l], traces[l], hw, vec).mismatches, 0) << where;
                    vec.ideal_adc = false;
                    clipped += a.stats.adc_saturations;
                }
            EXPECT_GT(clipped, 0u) << set << ": the 3-bit ADC must clip";
        }
    }
}
