// Bit-serial OU simulation on packed bit-planes: for each OU op the rows' input bits of a plane
// form a bit mask (64 rows per word); a column's sum is the popcount of that mask ANDed with the
// column's per-cell-bit masks, weighted by the cell bit. No per-cell branching in the inner loop.
#include "sim/simulator.hpp"

#include <algorithm>
#include <bit>
#include <thread>

#include "core/error.hpp"

namespace sparsecim {

namespace {

// An OU op with its tables resolved and its cell masks packed.
struct PreparedOp {
    size_t tile = 0;
    int rows = 0, cols = 0, words = 0;
    int max_shift = 0;
    uint32_t in_ofs = 0;             // identifies the input table slice (for plane reuse)
    std::vector<int32_t> k;          // per row: input index (-1 unused)
    std::vector<int32_t> shift;      // per row: input shift
    std::vector<int32_t> n, cshift;  // per column: output, shift
    std::vector<int32_t> sign;       // per column
    // masks[(j * planes_per_col + p) * words + w]: p < cell_bits: rows whose cell has bit p;
    // p = cell_bits + s - 1 for states s >= 1: rows whose cell is in state s.
    std::vector<uint64_t> masks;
    uint64_t adc_rounds = 1;  // conversions of one op serialised over the crossbar's ADCs
    bool fetch = false;       // OuOp::fetch (pipelined timing)
};

struct Prepared {
    std::vector<PreparedOp> ops;
    std::vector<std::vector<size_t>> ops_of_tile;
    std::vector<uint64_t> tile_input_bytes;  // distinct inputs a tile loads per position
    uint64_t digital_adds = 0;               // per position
    int planes_per_col = 0;
    int states = 0;
};

Prepared prepare(const Mapping& m, const LayerTrace& tr, const HwConfig& hw) {
    Prepared P;
    P.states = 1 << m.cell_bits;
    P.planes_per_col = m.cell_bits + P.states - 1;
    P.ops_of_tile.resize(m.tiles.size());
    std::vector<int32_t> tiles_of_output(static_cast<size_t>(m.N), 0);
    const uint64_t bytes_per_input = static_cast<uint64_t>((tr.a_bits + 7) / 8);
    for (size_t t = 0; t < m.tiles.size(); ++t) {
        const Tile& tile = m.tiles[t];
        std::vector<uint8_t> input_seen(static_cast<size_t>(m.K), 0);
        std::vector<uint8_t> output_seen(static_cast<size_t>(m.N), 0);
        uint64_t distinct_inputs = 0;
        for (const OuOp& op : tile.ops) {
            PreparedOp po;
            po.tile = t;
            po.rows = op.rows;
            po.cols = op.cols;
            po.words = (op.rows + 63) / 64;
            po.in_ofs = op.in_ofs;
            po.fetch = op.fetch;
            int min_shift = 1 << 30;
            for (int i = 0; i < op.rows; ++i) {
                const RowInput& ri = tile.inputs.at(op.in_ofs + static_cast<size_t>(i));
                po.k.push_back(ri.k);
                po.shift.push_back(ri.shift);
                if (ri.k >= 0) {
                    po.max_shift = std::max<int>(po.max_shift, ri.shift);
                    min_shift = std::min<int>(min_shift, ri.shift);
                    if (!input_seen[static_cast<size_t>(ri.k)]) {
                        input_seen[static_cast<size_t>(ri.k)] = 1;
                        ++distinct_inputs;
                    }
                }
            }
            if (tr.in_signed && min_shift != (1 << 30) && min_shift != po.max_shift)
                throw Error(m.layer +
                            ": signed inputs need one input shift per OU op; this mapping mixes "
                            "shifts in one op");
            po.masks.assign(static_cast<size_t>(op.cols) * static_cast<size_t>(P.planes_per_col) *
                                static_cast<size_t>(po.words),
                            0);
            uint64_t active_cols = 0;
            for (int j = 0; j < op.cols; ++j) {
                const ColOutput& co = tile.outputs.at(op.out_ofs + static_cast<size_t>(j));
                po.n.push_back(co.n);
                po.cshift.push_back(co.shift);
                po.sign.push_back(co.sign);
                if (co.n < 0) continue;
                ++active_cols;
                if (!output_seen[static_cast<size_t>(co.n)]) {
                    output_seen[static_cast<size_t>(co.n)] = 1;
                    ++tiles_of_output[static_cast<size_t>(co.n)];
                }
                for (int i = 0; i < op.rows; ++i) {
                    if (po.k[static_cast<size_t>(i)] < 0) continue;
                    const uint8_t cell = tile.cell(op.r0 + i, op.c0 + j);
                    const uint64_t bit = uint64_t{1} << (i % 64);
                    const size_t base =
                        static_cast<size_t>(j) * static_cast<size_t>(P.planes_per_col);
                    for (int b = 0; b < m.cell_bits; ++b)
                        if ((cell >> b) & 1)
                            po.masks[(base + static_cast<size_t>(b)) * po.words + i / 64] |= bit;
                    if (cell > 0)
                        po.masks[(base + static_cast<size_t>(m.cell_bits + cell - 1)) * po.words +
                                 i / 64] |= bit;
                }
            }
            const uint64_t adcs = static_cast<uint64_t>(std::max(1, hw.adc_per_xbar));
            po.adc_rounds = std::max<uint64_t>(1, (active_cols + adcs - 1) / adcs);
            P.ops_of_tile[t].push_back(P.ops.size());
            P.ops.push_back(std::move(po));
        }
        P.tile_input_bytes.push_back(distinct_inputs * bytes_per_input);
    }
    for (int32_t c : tiles_of_output)
        if (c > 1) P.digital_adds += static_cast<uint64_t>(c - 1);
    if (m.offset != 0) P.digital_adds += static_cast<uint64_t>(m.N);
    return P;
}

// The optional pipelined timing model (Mapping::pipeline): one crossbar's in-order stages, each
// holding the time it finishes its last item.
struct PipelineClock {
    const std::vector<Mapping::PipelineStage>* stages = nullptr;
    std::vector<uint64_t> free;

    void reset() { free.assign(stages->size(), 0); }
    // Passes one item through every stage. `first`: the item opens its op; `issued`: it is an
    // issued bit-plane (else the stand-in of a fully skipped op).
    void item(const PreparedOp& op, bool first, bool issued) {
        using Per = Mapping::PipelineStage::Per;
        uint64_t t = 0;
        for (size_t s = 0; s < stages->size(); ++s) {
            const Mapping::PipelineStage& st = (*stages)[s];
            const uint64_t c = static_cast<uint64_t>(st.cycles);
            uint64_t lat = 0;
            switch (st.per) {
                case Per::Fetch:
                    lat = first && op.fetch ? c : 0;
                    break;
                case Per::Op:
                    lat = first ? c : 0;
                    break;
                case Per::Plane:
                    lat = issued ? c : 0;
                    break;
                case Per::AdcRound:
                    lat = issued ? c * op.adc_rounds : 0;
                    break;
            }
            t = std::max(t, free[s]) + lat;
            free[s] = t;
        }
    }
    uint64_t done() const { return free.empty() ? 0 : free.back(); }
};

// Simulates positions [p0, p1) into `out` (rows p - p0) and `st`.
void run_range(const Mapping& m, const LayerTrace& tr, const HwConfig& hw, const SimOptions& opt,
               const Prepared& P, int64_t p0, int64_t p1, std::vector<int64_t>& out, Stats& st) {
    const int a_bits = tr.a_bits;
    const uint32_t raw_mask = a_bits >= 32 ? 0xffffffffu : ((1u << a_bits) - 1);
    const int64_t adc_max = hw.adc_bits >= 62 ? INT64_MAX : (int64_t{1} << hw.adc_bits) - 1;
    const bool ideal = opt.ideal_adc;
    st.cell_reads_by_state.assign(static_cast<size_t>(P.states), 0);
    std::vector<uint64_t> planes;                     // plane-major: planes[t * words + w]
    std::vector<uint64_t> tile_busy(m.tiles.size());  // ADC rounds a crossbar spends on p
    const bool pipelined = !m.pipeline.empty();
    PipelineClock clock;
    clock.stages = &m.pipeline;
    for (int64_t p = p0; p < p1; ++p) {
        const int32_t* x = tr.input(p);
        int64_t* y = out.data() + (p - p0) * m.N;
        std::fill(tile_busy.begin(), tile_busy.end(), 0);
        for (size_t t = 0; t < P.ops_of_tile.size(); ++t) {
            uint32_t cached_ofs = UINT32_MAX;
            int cached_rows = -1, nplanes = 0, words = 0;
            if (pipelined) clock.reset();
            for (size_t oi : P.ops_of_tile[t]) {
                const PreparedOp& op = P.ops[oi];
                bool first_item = true;
                if (op.in_ofs != cached_ofs || op.rows != cached_rows) {
                    // Pack the op's input bit-planes (shared by the ops of one row band).
                    words = op.words;
                    nplanes = a_bits + op.max_shift;
                    planes.assign(static_cast<size_t>(nplanes) * static_cast<size_t>(words), 0);
                    for (int i = 0; i < op.rows; ++i) {
                        const int32_t k = op.k[static_cast<size_t>(i)];
                        if (k < 0) continue;
                        uint64_t v = static_cast<uint64_t>(static_cast<uint32_t>(x[k]) & raw_mask)
                                     << op.shift[static_cast<size_t>(i)];
                        const uint64_t bit = uint64_t{1} << (i % 64);
                        while (v) {
                            const int tb = std::countr_zero(v);
                            planes[static_cast<size_t>(tb * words + i / 64)] |= bit;
                            v &= v - 1;
                        }
                    }
                    cached_ofs = op.in_ofs;
                    cached_rows = op.rows;
                }
                const int sign_plane = tr.in_signed ? a_bits - 1 + op.max_shift : -1;
                for (int tb = 0; tb < nplanes; ++tb) {
                    const uint64_t* pl = planes.data() + static_cast<size_t>(tb * words);
                    uint64_t driven = 0;
                    for (int w = 0; w < words; ++w) driven += std::popcount(pl[w]);
                    if (driven == 0 && m.skip_zero_ou) {
                        ++st.ou_ops_skipped;
                        continue;
                    }
                    ++st.ou_ops;
                    tile_busy[t] += op.adc_rounds;
                    if (pipelined) {
                        clock.item(op, first_item, true);
                        first_item = false;
                    }
                    st.driver_activations += driven;
                    const int64_t plane_sign = tb == sign_plane ? -1 : 1;
                    for (int j = 0; j < op.cols; ++j) {
                        const int32_t n = op.n[static_cast<size_t>(j)];
                        if (n < 0) continue;
                        const uint64_t* cm =
                            op.masks.data() + static_cast<size_t>(j) *
                                                  static_cast<size_t>(P.planes_per_col) *
                                                  static_cast<size_t>(words);
                        int64_t sum = 0;
                        for (int b = 0; b < m.cell_bits; ++b)
                            for (int w = 0; w < words; ++w)
                                sum +=
                                    static_cast<int64_t>(std::popcount(pl[w] & cm[b * words + w]))
                                    << b;
                        uint64_t nonzero_reads = 0;
                        for (int s = 1; s < P.states; ++s) {
                            uint64_t c = 0;
                            for (int w = 0; w < words; ++w)
                                c += std::popcount(pl[w] & cm[(m.cell_bits + s - 1) * words + w]);
                            st.cell_reads_by_state[static_cast<size_t>(s)] += c;
                            nonzero_reads += c;
                        }
                        st.cell_reads_by_state[0] += driven - nonzero_reads;
                        st.cell_reads += driven;
                        ++st.adc_conversions;
                        ++st.sa_ops;
                        if (!ideal && sum > adc_max) {
                            sum = adc_max;
                            ++st.adc_saturations;
                        }
                        y[n] += plane_sign * op.sign[static_cast<size_t>(j)] *
                                (sum << (tb + op.cshift[static_cast<size_t>(j)]));
                    }
                }
                if (pipelined && first_item) clock.item(op, true, false);  // fully skipped op
            }
            if (pipelined) tile_busy[t] = clock.done();
        }
        // Crossbars run in parallel; a position takes as long as its busiest crossbar.
        const uint64_t worst =
            tile_busy.empty() ? 0 : *std::max_element(tile_busy.begin(), tile_busy.end());
        st.cycles += pipelined ? worst : worst * static_cast<uint64_t>(hw.ou_op_cycles);
        for (uint64_t b : P.tile_input_bytes) st.buffer_bytes += b;
        st.digital_adds += P.digital_adds;
        st.index_bits_read += static_cast<uint64_t>(m.total_index_bits());
        if (m.offset != 0) {
            int64_t sx = 0;
            for (int64_t k = 0; k < m.K; ++k) sx += x[k];
            for (int64_t n = 0; n < m.N; ++n) y[n] -= m.offset * sx;
        }
    }
}

}  // namespace

SimResult simulate(const Mapping& m, const LayerTrace& tr, const HwConfig& hw,
                   const SimOptions& opt) {
    if (!tr.outputs.empty() && tr.outputs.size() != static_cast<size_t>(tr.positions * tr.N))
        throw Error(m.layer + ": trace holds " + std::to_string(tr.outputs.size()) +
                    " reference outputs, expected positions x N");
    if (tr.K != m.K || tr.N != m.N)
        throw Error(m.layer + ": trace is " + std::to_string(tr.K) + "x" + std::to_string(tr.N) +
                    " but the mapping is " + std::to_string(m.K) + "x" + std::to_string(m.N));
    const Prepared P = prepare(m, tr, hw);
    const int64_t positions = tr.positions;
    int threads = opt.threads > 0
                      ? opt.threads
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, positions)));
    std::vector<std::vector<int64_t>> outs(static_cast<size_t>(threads));
    std::vector<Stats> stats(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    const int64_t chunk = (positions + threads - 1) / threads;
    auto work = [&](int w) {
        const int64_t p0 = std::min(positions, w * chunk);
        const int64_t p1 = std::min(positions, p0 + chunk);
        outs[static_cast<size_t>(w)].assign(static_cast<size_t>((p1 - p0) * m.N), 0);
        run_range(m, tr, hw, opt, P, p0, p1, outs[static_cast<size_t>(w)],
                  stats[static_cast<size_t>(w)]);
    };
    for (int w = 1; w < threads; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& th : pool) th.join();

    SimResult res;
    res.stats.cell_reads_by_state.assign(size_t{1} << m.cell_bits, 0);
    for (const Stats& s : stats) res.stats.add(s);
    for (const Mapping::EventRule& rule : m.events) {
        using Per = Mapping::EventRule::Per;
        const Stats& st = res.stats;
        uint64_t base = 0;
        switch (rule.per) {
            case Per::Position:
                base = static_cast<uint64_t>(positions);
                break;
            case Per::IssuedOp:
                base = st.ou_ops;
                break;
            case Per::SkippedOp:
                base = st.ou_ops_skipped;
                break;
            case Per::OpSlot:
                base = st.ou_ops + st.ou_ops_skipped;
                break;
            case Per::Conversion:
                base = st.adc_conversions;
                break;
            case Per::DrivenRow:
                base = st.driver_activations;
                break;
        }
        res.stats.events[rule.component] += base * static_cast<uint64_t>(rule.count);
    }
    for (int w = 0; w < threads; ++w) {
        const auto& o = outs[static_cast<size_t>(w)];
        const int64_t p0 = std::min(positions, w * chunk);
        if (!tr.outputs.empty())  // a trace without reference outputs is only computed
            for (size_t i = 0; i < o.size(); ++i) {
                const int64_t ref = tr.outputs[static_cast<size_t>(p0 * m.N) + i];
                ++res.outputs_checked;
                if (o[i] != ref) ++res.mismatches;
            }
        if (opt.keep_outputs) res.outputs.insert(res.outputs.end(), o.begin(), o.end());
    }
    return res;
}

}  // namespace sparsecim
