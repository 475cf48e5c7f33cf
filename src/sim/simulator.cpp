// Bit-serial OU simulation on packed bit-planes. Per crossbar and output position, each input
// band (the rows an OU op drives) is packed once into bit-planes (64 rows per word); an issued
// OU op's column sum is then the popcount of the plane ANDed with the column's per-cell-bit
// masks, weighted by the cell bit, clipped by the ADC, and shift-added. No per-cell branching.
// The counters that do not depend on column sums (ops issued/skipped, driven rows, cell reads
// by state, conversions) come from per-row figures (bits set in a row's input x the states of the
// row's cells), so a counts-only run skips the column sums unless the ADC can saturate.
#include "sim/simulator.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <utility>

#include "core/error.hpp"
#include "core/hot_clones.hpp"
#include "core/parallel.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPARSECIM_SIM_AVX512 1
#include <immintrin.h>
#endif

namespace sparsecim {

namespace {

// Rows of a tile that OU ops drive together (one input table slice): packed once per position.
struct Band {
    uint32_t in_ofs = 0;
    int rows = 0, words = 0;
    int max_shift = 0;
    size_t row0 = 0;  // into Prepared::row_k / row_shift
    // Summed over the band's ops (driven rows and cell reads are linear in them, so one pass per
    // band and position counts them all): ops, active columns, and row_states[cnt0 + (s - 1) * rows
    // + r], the active columns whose cell on row r is in state s.
    uint64_t ops = 0, acols = 0, adc_rounds = 0;
    size_t cnt0 = 0;
    bool may_saturate = false;  // some op of the band may saturate the ADC
    int64_t largest_sum = 0;    // the largest column sum of one plane its ops can produce
    // The band kernel (SimOptions::Kernel::Avx512Band), when it takes this band: its ops' active
    // columns in op order (vcols, padded to groups of 32 lanes), their cell-bit masks at
    // Prepared::vmasks[vmask0 + (g * cell_bits + b) * 32 + lane], their sums at acc16[vacc +
    // column] of the tile's buffer, and the runs of consecutive columns feeding one output
    // (Prepared::vruns[vrun0, vrun0 + nruns)), whose column shifts and signs are at
    // Prepared::vcol_shift / vcol_sign[vcol0 + column].
    int vcols = 0;
    bool vfactor = false;  // its column shifts are at most 15: Prepared::vcol_factor holds them
    size_t vmask0 = 0, vacc = 0, vrun0 = 0, nruns = 0, vcol0 = 0;
};

// Cell bits the simulator takes (cells are bytes).
constexpr int kMaxCellBits = 8;

// The band kernel's 16-bit lanes hold a band's column sums when no sum can exceed them.
constexpr int kBandLanes = 32;

// An OU op with its tables resolved; only its active columns (output >= 0) are kept.
struct PreparedOp {
    size_t band = 0;   // into Prepared::bands
    int acols = 0;     // active columns
    size_t col0 = 0;   // into Prepared::col_n / col_shift / col_sign
    size_t mask0 = 0;  // masks[mask0 + (j * cell_bits + b) * words + w]: rows whose cell has bit b
    uint64_t adc_rounds = 1;    // conversions of one op serialised over the crossbar's ADCs
    bool fetch = false;         // OuOp::fetch (pipelined timing)
    bool may_saturate = false;  // some column's largest possible sum exceeds the ADC's range
};

struct Prepared {
    std::vector<Band> bands;
    std::vector<int32_t> row_k, row_shift;  // per band row: input (-1 unused), shift
    std::vector<PreparedOp> ops;
    std::vector<std::pair<size_t, size_t>> ops_of_tile;    // [first, last) into ops
    std::vector<std::pair<size_t, size_t>> bands_of_tile;  // [first, last) into bands
    std::vector<int32_t> col_n, col_shift, col_sign;
    std::vector<uint64_t> masks;
    std::vector<uint32_t> row_states;  // per band (Band::cnt0)
    // The analogue path (SimOptions::device): per op and active column j, its rows' read levels
    // and read-noise variances at levels[lev0[op] + j * rows + i], the ADC step, and per tile
    // the outputs its columns feed.
    bool analog = false, noisy = false;  // noisy: some cell has read noise
    std::vector<float> levels, noise_var;
    std::vector<size_t> lev0;  // per op
    double adc_step = 1.0;
    int64_t largest_sum = 0;  // the largest column sum an op can produce (ideal cells)
    std::vector<std::vector<int32_t>> outputs_of_tile;
    std::vector<int32_t> tiles_of_output;  // per output, the tiles whose columns feed it
    // The band kernel's tables (Band::vcols); max_vacc: the 16-bit lanes a tile's bands need.
    std::vector<uint16_t> vmasks;
    std::vector<int32_t> vcol_shift, vcol_sign;
    std::vector<int32_t> vcol_factor;  // sign x 2^shift, where every shift of the band is <= 15
    std::vector<std::pair<int32_t, int32_t>> vruns;  // (output, columns)
    size_t max_vacc = 0;
    uint64_t input_bytes = 0;   // distinct inputs all tiles load per position, in bytes
    uint64_t digital_adds = 0;  // per position
    int cell_bits = 0, states = 0, max_words = 0, max_planes = 0, max_rows = 0, max_cols = 0;
};

// Puts the bands of at most 16 rows (one mask word) whose every column sum, shift-added over the
// band's planes, fits 16 bits on the band kernel: unsigned inputs S x (2^planes - 1) <= 65535,
// signed S x 2^(planes - 1) <= 32768, S the largest column sum of one plane (before the ADC).
void plan_band_kernel(Prepared& P, const LayerTrace& tr) {
    const int cb = P.cell_bits;
    for (size_t t = 0; t < P.bands_of_tile.size(); ++t) {
        const auto [b0, b1] = P.bands_of_tile[t];
        const auto [o0, o1] = P.ops_of_tile[t];
        std::vector<std::vector<size_t>> ops_of(b1 - b0);
        for (size_t oi = o0; oi < o1; ++oi) ops_of[P.ops[oi].band - b0].push_back(oi);
        size_t vacc = 0;
        for (size_t b = b0; b < b1; ++b) {
            Band& band = P.bands[b];
            if (band.words != 1 || band.rows > 16 || band.acols == 0) continue;
            const uint64_t largest = static_cast<uint64_t>(band.largest_sum);
            const int planes = tr.a_bits + band.max_shift;
            const bool fits =
                largest == 0 ||
                (planes <= 16 && (tr.in_signed ? largest << (planes - 1) <= 32768
                                               : largest * ((uint64_t{1} << planes) - 1) <= 65535));
            if (!fits) continue;
            band.vcols = static_cast<int>(band.acols);
            band.vacc = vacc;
            const size_t groups = (band.acols + kBandLanes - 1) / kBandLanes;
            vacc += groups * kBandLanes;
            band.vmask0 = P.vmasks.size();
            P.vmasks.resize(P.vmasks.size() + groups * static_cast<size_t>(cb) * kBandLanes, 0);
            band.vcol0 = P.vcol_shift.size();
            band.vrun0 = P.vruns.size();
            size_t col = 0;
            for (size_t oi : ops_of[b - b0]) {
                const PreparedOp& op = P.ops[oi];
                for (int j = 0; j < op.acols; ++j, ++col) {
                    const size_t g = col / kBandLanes, lane = col % kBandLanes;
                    for (int c = 0; c < cb; ++c)
                        P.vmasks[band.vmask0 +
                                 (g * static_cast<size_t>(cb) + static_cast<size_t>(c)) *
                                     kBandLanes +
                                 lane] =
                            static_cast<uint16_t>(
                                P.masks[op.mask0 + static_cast<size_t>(j * cb + c)]);
                    const size_t c = op.col0 + static_cast<size_t>(j);
                    P.vcol_shift.push_back(P.col_shift[c]);
                    P.vcol_sign.push_back(P.col_sign[c]);
                    P.vcol_factor.push_back(
                        P.col_shift[c] <= 15 ? P.col_sign[c] * (int32_t{1} << P.col_shift[c]) : 0);
                    if (P.vruns.size() > band.vrun0 && P.vruns.back().first == P.col_n[c])
                        ++P.vruns.back().second;
                    else
                        P.vruns.emplace_back(P.col_n[c], 1);
                }
            }
            band.nruns = P.vruns.size() - band.vrun0;
            band.vfactor = std::all_of(P.vcol_shift.begin() + static_cast<ptrdiff_t>(band.vcol0),
                                       P.vcol_shift.end(), [](int32_t sh) { return sh <= 15; });
        }
        P.max_vacc = std::max(P.max_vacc, vacc);
    }
}

// The tables of tiles [t0, t1), indexed from 0 (append() joins the parts of a layer).
Prepared prepare_tiles(const Mapping& m, const LayerTrace& tr, const HwConfig& hw,
                       const DeviceCells* dev, size_t t0, size_t t1, bool band_kernel) {
    if (m.cell_bits < 1 || m.cell_bits > kMaxCellBits)
        throw Error(m.layer + ": " + std::to_string(m.cell_bits) +
                    "-bit cells; the simulator takes 1 to 8");
    Prepared P;
    P.analog = dev != nullptr;
    int64_t& largest_sum = P.largest_sum;
    P.cell_bits = m.cell_bits;
    P.states = 1 << m.cell_bits;
    const int64_t adc_max = hw.adc_bits >= 62 ? INT64_MAX : (int64_t{1} << hw.adc_bits) - 1;
    std::vector<int32_t>& tiles_of_output = P.tiles_of_output;
    tiles_of_output.assign(static_cast<size_t>(m.N), 0);
    const uint64_t bytes_per_input = static_cast<uint64_t>((tr.a_bits + 7) / 8);
    size_t n_ops = 0, n_cols = 0, n_mask_words = 0;
    for (size_t t = t0; t < t1; ++t)
        for (const OuOp& op : m.tiles[t].ops) {
            ++n_ops;
            n_cols += op.cols;
            n_mask_words += static_cast<size_t>(op.cols) * static_cast<size_t>(m.cell_bits) *
                            static_cast<size_t>((op.rows + 63) / 64);
        }
    P.ops.reserve(n_ops);
    P.col_n.reserve(n_cols);
    P.col_shift.reserve(n_cols);
    P.col_sign.reserve(n_cols);
    P.masks.reserve(n_mask_words);
    if (P.analog) P.outputs_of_tile.resize(t1 - t0);
    for (size_t t = t0; t < t1; ++t) {
        const Tile& tile = m.tiles[t];
        std::vector<uint8_t> tile_output_seen(P.analog ? static_cast<size_t>(m.N) : 0, 0);
        std::vector<uint8_t> input_seen(static_cast<size_t>(m.K), 0);
        std::vector<uint8_t> output_seen(static_cast<size_t>(m.N), 0);
        std::map<std::pair<uint32_t, int>, size_t> band_of;  // (in_ofs, rows) -> band
        const size_t first_op = P.ops.size(), first_band = P.bands.size();
        for (const OuOp& op : tile.ops) {
            PreparedOp po;
            po.fetch = op.fetch;
            auto [it, fresh] = band_of.try_emplace({op.in_ofs, op.rows}, P.bands.size());
            if (fresh) {
                Band b;
                b.in_ofs = op.in_ofs;
                b.rows = op.rows;
                b.words = (op.rows + 63) / 64;
                b.row0 = P.row_k.size();
                // (state 0's rows first, counted and never read: no branch on the state)
                b.cnt0 = P.row_states.size() + static_cast<size_t>(op.rows);
                P.row_states.resize(P.row_states.size() +
                                    static_cast<size_t>(op.rows) * static_cast<size_t>(P.states));
                int min_shift = 1 << 30;
                for (int i = 0; i < op.rows; ++i) {
                    const RowInput& ri = tile.inputs.at(op.in_ofs + static_cast<size_t>(i));
                    P.row_k.push_back(ri.k);
                    P.row_shift.push_back(ri.shift);
                    if (ri.k < 0) continue;
                    if (ri.k >= m.K || ri.shift < 0)
                        throw Error(m.layer + ": an input table entry is out of range");
                    b.max_shift = std::max<int>(b.max_shift, ri.shift);
                    min_shift = std::min<int>(min_shift, ri.shift);
                    if (!input_seen[static_cast<size_t>(ri.k)]) {
                        input_seen[static_cast<size_t>(ri.k)] = 1;
                        P.input_bytes += bytes_per_input;
                    }
                }
                if (tr.in_signed && min_shift != (1 << 30) && min_shift != b.max_shift)
                    throw Error(m.layer +
                                ": signed inputs need one input shift per OU op; this mapping "
                                "mixes shifts in one op");
                if (tr.a_bits + b.max_shift > 64)
                    throw Error(m.layer + ": input bits plus row shift exceed 64 bit-planes");
                P.max_words = std::max(P.max_words, b.words);
                P.max_planes = std::max(P.max_planes, tr.a_bits + b.max_shift);
                P.max_rows = std::max(P.max_rows, b.rows);
                P.bands.push_back(b);
            }
            po.band = it->second;
            Band& band = P.bands[po.band];
            po.col0 = P.col_n.size();
            po.mask0 = P.masks.size();
            if (P.analog) P.lev0.push_back(P.levels.size());
            for (int j = 0; j < op.cols; ++j) {
                const ColOutput& co = tile.outputs.at(op.out_ofs + static_cast<size_t>(j));
                if (co.n < 0) continue;
                if (co.n >= m.N) throw Error(m.layer + ": an output table entry is out of range");
                if (P.analog) {
                    if (!tile_output_seen[static_cast<size_t>(co.n)]) {
                        tile_output_seen[static_cast<size_t>(co.n)] = 1;
                        P.outputs_of_tile[t - t0].push_back(co.n);
                    }
                    for (int i = 0; i < op.rows; ++i) {
                        const bool live = P.row_k[band.row0 + static_cast<size_t>(i)] >= 0;
                        const size_t at =
                            static_cast<size_t>(op.r0 + i) * static_cast<size_t>(tile.cols) +
                            static_cast<size_t>(op.c0 + j);
                        const float sd = dev->noise.empty() ? 0.0f : dev->noise[t][at];
                        P.levels.push_back(live ? dev->level[t][at] : 0.0f);
                        P.noise_var.push_back(live ? sd * sd : 0.0f);
                        P.noisy = P.noisy || (live && sd > 0.0f);
                    }
                }
                ++po.acols;
                P.col_n.push_back(co.n);
                P.col_shift.push_back(co.shift);
                P.col_sign.push_back(co.sign);
                if (!output_seen[static_cast<size_t>(co.n)]) {
                    output_seen[static_cast<size_t>(co.n)] = 1;
                    ++tiles_of_output[static_cast<size_t>(co.n)];
                }
                const size_t base = P.masks.size();
                P.masks.resize(base +
                               static_cast<size_t>(m.cell_bits) * static_cast<size_t>(band.words));
                // (through local pointers: stores to the tables would otherwise reload them)
                uint64_t* mask = P.masks.data() + base;
                uint32_t* row_states = P.row_states.data() + band.cnt0;  // [-rows, 0): state 0
                const int32_t* row_k = P.row_k.data() + band.row0;
                const size_t stride = static_cast<size_t>(tile.cols);
                const uint8_t* cell_at = tile.cells.data() + static_cast<size_t>(op.r0) * stride +
                                         static_cast<size_t>(op.c0 + j);
                const int cell_bits = m.cell_bits, words = band.words, rows = op.rows;
                int64_t col_max = 0;
                // 64 rows at a time, each cell bit's mask word in a register
                uint64_t word[kMaxCellBits];
                for (int w = 0; w < words; ++w) {
                    std::fill(word, word + cell_bits, uint64_t{0});
                    for (int i = w * 64; i < std::min(rows, w * 64 + 64); ++i, cell_at += stride) {
                        if (row_k[i] < 0) continue;
                        const uint8_t cell = *cell_at;
                        if (cell >= P.states)
                            throw Error(m.layer + ": a cell state exceeds cell_bits");
                        col_max += cell;
                        for (int b = 0; b < cell_bits; ++b)
                            word[b] |= static_cast<uint64_t>((cell >> b) & 1) << (i % 64);
                        ++row_states[(cell - 1) * rows + i];
                    }
                    for (int b = 0; b < cell_bits; ++b) mask[b * words + w] = word[b];
                }
                if (col_max > adc_max) po.may_saturate = true;
                largest_sum = std::max(largest_sum, col_max);
                band.largest_sum = std::max(band.largest_sum, col_max);
            }
            const uint64_t adcs = static_cast<uint64_t>(std::max(1, hw.adc_per_xbar));
            po.adc_rounds =
                std::max<uint64_t>(1, (static_cast<uint64_t>(po.acols) + adcs - 1) / adcs);
            P.max_cols = std::max(P.max_cols, po.acols);
            ++band.ops;
            band.may_saturate = band.may_saturate || po.may_saturate;
            band.acols += static_cast<uint64_t>(po.acols);
            band.adc_rounds += po.adc_rounds;
            P.ops.push_back(po);
        }
        P.ops_of_tile.emplace_back(first_op, P.ops.size());
        P.bands_of_tile.emplace_back(first_band, P.bands.size());
    }
    if (band_kernel && !P.analog) plan_band_kernel(P, tr);
    return P;
}

// Appends part Q (the tiles after P's) to P, moving Q's indices past P's tables.
void append(Prepared& P, Prepared&& Q) {
    const size_t band0 = P.bands.size(), row0 = P.row_k.size(), cnt0 = P.row_states.size(),
                 col0 = P.col_n.size(), mask0 = P.masks.size(), op0 = P.ops.size(),
                 lev0 = P.levels.size(), vmask0 = P.vmasks.size(), vcol0 = P.vcol_shift.size(),
                 vrun0 = P.vruns.size();
    for (Band& b : Q.bands) {
        b.row0 += row0;
        b.cnt0 += cnt0;
        b.vmask0 += vmask0;
        b.vcol0 += vcol0;
        b.vrun0 += vrun0;
    }
    for (PreparedOp& op : Q.ops) {
        op.band += band0;
        op.col0 += col0;
        op.mask0 += mask0;
    }
    for (auto& [a, b] : Q.ops_of_tile) a += op0, b += op0;
    for (auto& [a, b] : Q.bands_of_tile) a += band0, b += band0;
    for (size_t& l : Q.lev0) l += lev0;
    const auto join = [](auto& into, auto& from) {
        into.insert(into.end(), std::make_move_iterator(from.begin()),
                    std::make_move_iterator(from.end()));
    };
    join(P.bands, Q.bands);
    join(P.row_k, Q.row_k);
    join(P.row_shift, Q.row_shift);
    join(P.ops, Q.ops);
    join(P.ops_of_tile, Q.ops_of_tile);
    join(P.bands_of_tile, Q.bands_of_tile);
    join(P.col_n, Q.col_n);
    join(P.col_shift, Q.col_shift);
    join(P.col_sign, Q.col_sign);
    join(P.masks, Q.masks);
    join(P.row_states, Q.row_states);
    join(P.levels, Q.levels);
    join(P.noise_var, Q.noise_var);
    join(P.lev0, Q.lev0);
    join(P.outputs_of_tile, Q.outputs_of_tile);
    join(P.vmasks, Q.vmasks);
    join(P.vcol_shift, Q.vcol_shift);
    join(P.vcol_sign, Q.vcol_sign);
    join(P.vcol_factor, Q.vcol_factor);
    join(P.vruns, Q.vruns);
    for (size_t n = 0; n < P.tiles_of_output.size(); ++n)
        P.tiles_of_output[n] += Q.tiles_of_output[n];
    P.noisy = P.noisy || Q.noisy;
    P.largest_sum = std::max(P.largest_sum, Q.largest_sum);
    P.input_bytes += Q.input_bytes;
    P.max_words = std::max(P.max_words, Q.max_words);
    P.max_planes = std::max(P.max_planes, Q.max_planes);
    P.max_rows = std::max(P.max_rows, Q.max_rows);
    P.max_cols = std::max(P.max_cols, Q.max_cols);
    P.max_vacc = std::max(P.max_vacc, Q.max_vacc);
}

// A layer's tables, its tiles prepared in parallel parts (each a contiguous range, joined in
// order: the tables equal a serial pass's), then the per-layer figures.
Prepared prepare(const Mapping& m, const LayerTrace& tr, const HwConfig& hw, const DeviceCells* dev,
                 double adc_range, bool band_kernel, int threads) {
    const size_t tiles = m.tiles.size();
    const size_t n = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(threads), tiles));
    std::vector<Prepared> parts(n);
    parallel_for(static_cast<int64_t>(n), threads, [&](int64_t w) {
        const size_t i = static_cast<size_t>(w);
        parts[i] = prepare_tiles(m, tr, hw, dev, tiles * i / n, tiles * (i + 1) / n, band_kernel);
    });
    Prepared P = std::move(parts[0]);
    for (size_t i = 1; i < n; ++i) append(P, std::move(parts[i]));
    const int64_t adc_max = hw.adc_bits >= 62 ? INT64_MAX : (int64_t{1} << hw.adc_bits) - 1;
    const int64_t largest_sum = P.largest_sum;
    for (int32_t c : P.tiles_of_output)
        if (c > 1) P.digital_adds += static_cast<uint64_t>(c - 1);
    // "max": the ADC's codes stretched over the largest sum the layer's ops can produce.
    if (hw.adc_calibration == "max" && largest_sum > adc_max)
        P.adc_step = static_cast<double>(largest_sum) / static_cast<double>(adc_max);
    // "profiled", "percentile": over the range a calibration pass measured for this layer.
    if ((hw.adc_calibration == "profiled" || hw.adc_calibration == "percentile") &&
        adc_range > static_cast<double>(adc_max))
        P.adc_step = adc_range / static_cast<double>(adc_max);
    if (m.offset != 0) P.digital_adds += static_cast<uint64_t>(m.N);
    return P;
}

// The optional pipelined timing model (Mapping::pipeline): one crossbar's in-order stages, each
// holding the time it finishes its last item. An item entering with the stages free at f leaves
// stage s at f'[s] = max over u <= s of (f[u] + L[u] + ... + L[s]), L its latencies: linear in
// max-plus algebra, f' = f (x) M with M[u][s] = L[u] + ... + L[s] (u <= s). An op is its first
// item then k - 1 identical ones (k issued planes), or one stand-in item when every plane is
// skipped, so its matrix depends only on (fetch, ADC rounds, k): products of item matrices, made
// once per such triple. Applying it costs S(S+1)/2 independent max-adds instead of k x S
// dependent ones (the item loop was 14% of a ResNet-18 csr simulation).
class PipelineClock {
  public:
    PipelineClock(const std::vector<Mapping::PipelineStage>& stages, int max_planes)
        : stages_(stages),
          S_(stages.size()),
          kmax_(std::max(0, max_planes)),
          free_(S_, 0),
          next_(S_, 0) {}

    void reset() { std::fill(free_.begin(), free_.end(), 0); }
    // Passes op with `issued` issued planes through the stages.
    void op(const PreparedOp& op, int issued) {
        const int64_t* M = matrices(op) + static_cast<size_t>(issued) * S_ * S_;  // <= kmax_
        for (size_t s = 0; s < S_; ++s) {
            int64_t v = kNone;
            for (size_t u = 0; u <= s; ++u) v = std::max(v, free_[u] + M[u * S_ + s]);
            next_[s] = v;
        }
        free_.swap(next_);
    }
    uint64_t done() const { return free_.empty() ? 0 : static_cast<uint64_t>(free_.back()); }

  private:
    static constexpr int64_t kNone = INT64_MIN / 4;  // no path (u > s); sums of two stay finite

    // One item's matrix: `first` opens its op, `issued` it is an issued plane.
    std::vector<int64_t> item(const PreparedOp& op, bool first, bool issued) const {
        using Per = Mapping::PipelineStage::Per;
        std::vector<int64_t> L(S_);
        for (size_t s = 0; s < S_; ++s) {
            const int64_t c = stages_[s].cycles;
            switch (stages_[s].per) {
                case Per::Fetch:
                    L[s] = first && op.fetch ? c : 0;
                    break;
                case Per::Op:
                    L[s] = first ? c : 0;
                    break;
                case Per::Plane:
                    L[s] = issued ? c : 0;
                    break;
                case Per::AdcRound:
                    L[s] = issued ? c * static_cast<int64_t>(op.adc_rounds) : 0;
                    break;
            }
        }
        std::vector<int64_t> M(S_ * S_, kNone);
        for (size_t u = 0; u < S_; ++u) {
            int64_t sum = 0;
            for (size_t s = u; s < S_; ++s) M[u * S_ + s] = sum += L[s];
        }
        return M;
    }
    std::vector<int64_t> product(const int64_t* A, const std::vector<int64_t>& B) const {
        std::vector<int64_t> C(S_ * S_, kNone);
        for (size_t u = 0; u < S_; ++u)
            for (size_t w = u; w < S_; ++w)
                for (size_t s = w; s < S_; ++s)
                    C[u * S_ + s] = std::max(C[u * S_ + s], A[u * S_ + w] + B[w * S_ + s]);
        return C;
    }
    // The matrices of op's class for k = 0 .. kmax issued planes.
    const int64_t* matrices(const PreparedOp& op) {
        for (size_t c = 0; c < classes_.size(); ++c)
            if (classes_[c].first == op.fetch && classes_[c].second == op.adc_rounds)
                return tables_[c].data();
        std::vector<int64_t> t = item(op, true, false);  // k = 0: the stand-in item
        t.reserve(static_cast<size_t>(kmax_ + 1) * S_ * S_);
        if (kmax_ >= 1) {
            const std::vector<int64_t> first = item(op, true, true), rest = item(op, false, true);
            t.insert(t.end(), first.begin(), first.end());
            for (int k = 2; k <= kmax_; ++k) {
                const std::vector<int64_t> next =
                    product(t.data() + static_cast<size_t>(k - 1) * S_ * S_, rest);
                t.insert(t.end(), next.begin(), next.end());
            }
        }
        classes_.emplace_back(op.fetch, op.adc_rounds);
        tables_.push_back(std::move(t));
        return tables_.back().data();
    }

    const std::vector<Mapping::PipelineStage>& stages_;
    size_t S_;
    int kmax_;
    std::vector<int64_t> free_, next_;
    std::vector<std::pair<bool, uint64_t>> classes_;  // (fetch, ADC rounds) of tables_[c]
    std::vector<std::vector<int64_t>> tables_;
};

// One position's packed band: planes[tb * words + w], per-row set-bit counts, and the planes
// holding any set bit.
struct PackedBand {
    const uint64_t* planes = nullptr;
    const uint32_t* row_bits = nullptr;
    uint64_t nonempty = 0;  // bit tb set: plane tb drives at least one row
    uint64_t issued = 0;    // the planes the band's ops issue (all, or nonempty when skipping)
    uint64_t driven = 0;    // set bits over all rows and planes
};

// Packs `rows` inputs (x[k] masked to a_bits, shifted) into bit-planes; without Planes only the
// per-row set bits, the non-empty planes and the driven total (all a counts-only run needs).
template <bool Planes>
inline void pack_band(const int32_t* x, const int32_t* row_k, const int32_t* row_shift, int rows,
                      int words, int nplanes, uint32_t raw_mask, uint64_t* planes,
                      uint32_t* row_bits, uint64_t& nonempty, uint64_t& driven) {
    if constexpr (Planes)
        std::fill(planes, planes + static_cast<size_t>(nplanes) * static_cast<size_t>(words), 0);
    uint64_t any = 0, total = 0;
    for (int i = 0; i < rows; ++i) {
        const int32_t k = row_k[i];
        uint64_t v = k < 0 ? 0
                           : static_cast<uint64_t>(static_cast<uint32_t>(x[k]) & raw_mask)
                                 << row_shift[i];
        const int bits = std::popcount(v);
        row_bits[i] = static_cast<uint32_t>(bits);
        total += static_cast<uint64_t>(bits);
        any |= v;
        if constexpr (!Planes) continue;
        const uint64_t bit = uint64_t{1} << (i % 64);
        uint64_t* col = planes + i / 64;
        while (v) {
            col[static_cast<size_t>(std::countr_zero(v)) * static_cast<size_t>(words)] |= bit;
            v &= v - 1;
        }
    }
    nonempty = any;
    driven = total;
}

#ifdef SPARSECIM_SIM_AVX512
// The OR of sixteen 32-bit lanes (through memory: GCC 12 warns on its reduce intrinsics).
__attribute__((target("avx512f"))) inline uint32_t lanes_or(__m512i v) {
    alignas(64) uint32_t lanes[16];
    _mm512_store_si512(lanes, v);
    uint32_t any = 0;
    for (uint32_t l : lanes) any |= l;
    return any;
}

// pack_band with AVX-512, for bands whose shifted inputs fit 32 bits: sixteen rows at a time, their
// inputs gathered, masked and shifted in 32-bit lanes; each plane's 16 row bits come from one
// test of the lanes against the plane's bit (VPTESTMD), each row's set bits from VPOPCNTD.
template <bool Planes>
__attribute__((target("avx512f,avx512vpopcntdq"))) void pack_band_avx512(
    const int32_t* x, const int32_t* row_k, const int32_t* row_shift, int rows, int words,
    int nplanes, uint32_t raw_mask, uint64_t* planes, uint32_t* row_bits, uint64_t& nonempty,
    uint64_t& driven) {
    if constexpr (Planes)
        std::fill(planes, planes + static_cast<size_t>(nplanes) * static_cast<size_t>(words), 0);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i raw = _mm512_set1_epi32(static_cast<int32_t>(raw_mask));
    __m512i total = zero, any_v = zero;
    uint32_t any = 0;  // the set bits of any row
    for (int i0 = 0; i0 < rows; i0 += 16) {
        const __mmask16 live =
            rows - i0 >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (rows - i0)) - 1);
        const __m512i k = _mm512_maskz_loadu_epi32(live, row_k + i0);
        const __mmask16 used = _mm512_mask_cmpge_epi32_mask(live, k, zero);
        __m512i v = _mm512_mask_i32gather_epi32(zero, used, k, x, 4);
        v = _mm512_maskz_and_epi32(used, v, raw);
        v = _mm512_maskz_sllv_epi32(used, v, _mm512_maskz_loadu_epi32(live, row_shift + i0));
        const __m512i bits = _mm512_maskz_popcnt_epi32(live, v);
        _mm512_mask_storeu_epi32(row_bits + i0, live, bits);
        total = _mm512_add_epi32(total, bits);
        if constexpr (!Planes) {
            any_v = _mm512_or_si512(any_v, v);
            continue;
        }
        uint64_t* word = planes + i0 / 64;
        const int at = i0 % 64;
        uint32_t group_any = lanes_or(v);
        any |= group_any;
        for (; group_any; group_any &= group_any - 1) {
            const int tb = std::countr_zero(group_any);
            const __mmask16 on =
                _mm512_test_epi32_mask(v, _mm512_set1_epi32(static_cast<int32_t>(1u << tb)));
            word[static_cast<size_t>(tb) * static_cast<size_t>(words)] |= static_cast<uint64_t>(on)
                                                                          << at;
        }
    }
    if constexpr (!Planes) any = lanes_or(any_v);
    nonempty = any;
    alignas(64) uint32_t lanes[16];
    _mm512_store_si512(lanes, total);
    uint64_t sum = 0;
    for (uint32_t l : lanes) sum += l;
    driven = sum;
}
#endif

// Column sums of one op over its issued planes: acc[j] = sum over issued planes tb of
// ADC(sum over b of popcount(plane tb & column j's cell bit b) << b) x 2^tb, negated on the sign
// plane of signed inputs. Columns outermost, so a column's masks and sum stay in registers.
// Unsigned arithmetic wraps like two's complement (no overflow UB); the sums are exact.
// Returns the conversions the ADC clipped.
template <bool Clip, bool Hist = false>
inline uint64_t column_sums(const uint64_t* planes, int words, uint64_t issued, int sign_plane,
                            const uint64_t* masks, int acols, int cell_bits, int64_t adc_max,
                            int64_t* acc, uint64_t& largest, uint64_t* hist = nullptr) {
    uint64_t weight[64];
    const uint64_t* pl[64];
    int n = 0;
    for (; issued; issued &= issued - 1, ++n) {
        const int tb = std::countr_zero(issued);
        weight[n] = tb == sign_plane ? uint64_t{0} - (uint64_t{1} << tb) : uint64_t{1} << tb;
        pl[n] = planes + static_cast<size_t>(tb) * static_cast<size_t>(words);
    }
    const uint64_t max = static_cast<uint64_t>(adc_max);
    uint64_t saturations = 0;
    if (words == 1 && cell_bits == 2) {  // the common case: one word, 2-bit cells
        uint64_t pw[64];
        for (int i = 0; i < n; ++i) pw[i] = *pl[i];
        for (int j = 0; j < acols; ++j) {
            const uint64_t m0 = masks[2 * j], m1 = masks[2 * j + 1];
            uint64_t a = 0;
            for (int i = 0; i < n; ++i) {
                uint64_t sum = static_cast<uint64_t>(std::popcount(pw[i] & m0)) +
                               (static_cast<uint64_t>(std::popcount(pw[i] & m1)) << 1);
                largest = std::max(largest, sum);
                if constexpr (Hist) ++hist[sum];
                if constexpr (Clip) {
                    saturations += sum > max;
                    sum = std::min(sum, max);
                }
                a += sum * weight[i];
            }
            acc[j] = static_cast<int64_t>(a);
        }
        return saturations;
    }
    for (int j = 0; j < acols; ++j) {
        const uint64_t* cm =
            masks + static_cast<size_t>(j * cell_bits) * static_cast<size_t>(words);
        uint64_t a = 0;
        for (int i = 0; i < n; ++i) {
            uint64_t sum = 0;
            for (int b = 0; b < cell_bits; ++b)
                for (int w = 0; w < words; ++w)
                    sum += static_cast<uint64_t>(std::popcount(pl[i][w] & cm[b * words + w])) << b;
            largest = std::max(largest, sum);
            if constexpr (Hist) ++hist[sum];
            if constexpr (Clip) {
                saturations += sum > max;
                sum = std::min(sum, max);
            }
            a += sum * weight[i];
        }
        acc[j] = static_cast<int64_t>(a);
    }
    return saturations;
}

#ifdef SPARSECIM_SIM_AVX512
// The same column sums with AVX-512: eight active columns per vector (a 64-bit lane each), their
// masks gathered once per op, then per issued plane one broadcast, AND and VPOPCNTQ per mask
// word, the ADC clip, and a shift-add by the plane (a subtraction on the sign plane: the same
// two's complement arithmetic as the portable kernel's multiply by -2^tb). Compiled for that
// target only and chosen at run time. CB and W fix cell bits and mask words (0: run-time).
constexpr int kMaxVecMasks = 16;  // cell_bits x words the vector kernel handles

template <bool Clip, int CB, int W>
__attribute__((target("avx512f,avx512vpopcntdq"))) uint64_t column_sums_avx512(
    const uint64_t* planes, int words_rt, uint64_t issued, int sign_plane, const uint64_t* masks,
    int acols, int cell_bits_rt, int64_t adc_max, int64_t* acc, uint64_t& largest) {
    const int cell_bits = CB ? CB : cell_bits_rt;
    const int words = W ? W : words_rt;
    const int nm = cell_bits * words;
    int tbs[64];
    int n = 0;
    for (; issued; issued &= issued - 1) tbs[n++] = std::countr_zero(issued);
    // (maskz forms with every lane on: GCC 12 warns maybe-uninitialized on the unmasked forms'
    // undefined source operand)
    constexpr __mmask8 all = 0xff;
    const __m512i zero = _mm512_setzero_si512();
    const __m512i max = _mm512_set1_epi64(adc_max);
    const __m512i idx = _mm512_setr_epi64(0, nm, 2 * nm, 3 * nm, 4 * nm, 5 * nm, 6 * nm, 7 * nm);
    __m512i big = zero;
    uint64_t saturations = 0;
    __m512i mv[kMaxVecMasks];
    for (int j0 = 0; j0 < acols; j0 += 8) {
        const __mmask8 live = static_cast<__mmask8>((1u << std::min(8, acols - j0)) - 1);
        const uint64_t* base = masks + static_cast<size_t>(j0) * static_cast<size_t>(nm);
        for (int q = 0; q < nm; ++q)
            mv[q] = _mm512_mask_i64gather_epi64(zero, live, idx, base + q, 8);
        __m512i a = zero;
        for (int i = 0; i < n; ++i) {
            const uint64_t* pw = planes + static_cast<size_t>(tbs[i]) * static_cast<size_t>(words);
            __m512i s = zero;
            for (int b = 0; b < cell_bits; ++b)
                for (int w = 0; w < words; ++w) {
                    const __m512i on = _mm512_popcnt_epi64(_mm512_and_si512(
                        _mm512_set1_epi64(static_cast<int64_t>(pw[w])), mv[b * words + w]));
                    s = _mm512_add_epi64(s, _mm512_maskz_sll_epi64(all, on, _mm_cvtsi32_si128(b)));
                }
            big = _mm512_maskz_max_epu64(all, big, s);
            if constexpr (Clip) {
                saturations += static_cast<uint64_t>(
                    std::popcount(static_cast<unsigned>(_mm512_cmpgt_epu64_mask(s, max))));
                s = _mm512_maskz_min_epu64(all, s, max);
            }
            const __m512i shifted = _mm512_maskz_sll_epi64(all, s, _mm_cvtsi32_si128(tbs[i]));
            a = tbs[i] == sign_plane ? _mm512_sub_epi64(a, shifted) : _mm512_add_epi64(a, shifted);
        }
        // A full store (lanes past acols hold 0; acc has room for them): the scalar loads of the
        // output scatter forward from it, where loads after a masked store wait for it.
        _mm512_storeu_si512(acc + j0, a);
    }
    alignas(64) uint64_t lanes[8];
    _mm512_store_si512(lanes, big);
    for (uint64_t v : lanes) largest = std::max(largest, v);
    return saturations;
}

// The vector kernel for one op, specialised for the common shapes (one mask word; 1- or 2-bit
// cells). Returns false where it does not apply (too many mask words): the portable one runs.
bool column_sums_vector(bool clip, const uint64_t* planes, int words, uint64_t issued,
                        int sign_plane, const uint64_t* masks, int acols, int cell_bits,
                        int64_t adc_max, int64_t* acc, uint64_t& largest, uint64_t& saturations) {
    if (cell_bits * words > kMaxVecMasks) return false;
    const auto run = [&](auto kernel) {
        saturations += kernel(planes, words, issued, sign_plane, masks, acols, cell_bits, adc_max,
                              acc, largest);
    };
    if (words == 1 && cell_bits == 2)
        clip ? run(column_sums_avx512<true, 2, 1>) : run(column_sums_avx512<false, 2, 1>);
    else if (words == 1 && cell_bits == 1)
        clip ? run(column_sums_avx512<true, 1, 1>) : run(column_sums_avx512<false, 1, 1>);
    else
        clip ? run(column_sums_avx512<true, 0, 0>) : run(column_sums_avx512<false, 0, 0>);
    return true;
}

// The column sums of all of a band's ops at once (Band::vcols): 32 columns per vector, a 16-bit
// lane each, per issued plane one broadcast of the plane's 16 row bits, an AND and a VPOPCNTW per
// cell bit, the ADC clip and the shift-add by the plane, all in 16-bit lanes (plan_band_kernel
// checked that no sum exceeds them; wrapping arithmetic leaves the right bits). acc16 receives
// each column's shift-added sum; big16 (32 lanes) the largest sums before the ADC, lane by lane
// (reduced by the caller once). CB fixes the cell bits (0: run-time).
template <bool Clip, int CB>
__attribute__((target("avx512f,avx512bw,avx512bitalg"))) uint64_t band_sums_avx512(
    const uint64_t* planes, uint64_t issued, int sign_plane, const uint16_t* masks, int vcols,
    int cell_bits_rt, int64_t adc_max, uint16_t* acc16, uint16_t* big16) {
    const int cell_bits = CB ? CB : cell_bits_rt;
    int tbs[64];
    int n = 0;
    for (; issued; issued &= issued - 1) tbs[n++] = std::countr_zero(issued);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i max = _mm512_set1_epi16(
        static_cast<int16_t>(static_cast<uint16_t>(std::min<int64_t>(adc_max, int64_t{0xffff}))));
    __m512i big = _mm512_loadu_si512(big16);
    uint64_t saturations = 0;
    __m512i mv[16];
    for (int g = 0; g * kBandLanes < vcols; ++g) {
        for (int b = 0; b < cell_bits; ++b)
            mv[b] =
                _mm512_loadu_si512(masks + (static_cast<size_t>(g) * cell_bits + b) * kBandLanes);
        __m512i a = zero;
        for (int i = 0; i < n; ++i) {
            const __m512i pw =
                _mm512_set1_epi16(static_cast<int16_t>(static_cast<uint16_t>(planes[tbs[i]])));
            __m512i s = _mm512_popcnt_epi16(_mm512_and_si512(pw, mv[0]));
            for (int b = 1; b < cell_bits; ++b)
                s = _mm512_add_epi16(
                    s, _mm512_sll_epi16(_mm512_popcnt_epi16(_mm512_and_si512(pw, mv[b])),
                                        _mm_cvtsi32_si128(b)));
            big = _mm512_max_epu16(big, s);
            if constexpr (Clip) {
                saturations += static_cast<uint64_t>(
                    std::popcount(_cvtmask32_u32(_mm512_cmpgt_epu16_mask(s, max))));
                s = _mm512_min_epu16(s, max);
            }
            const __m512i shifted = _mm512_sll_epi16(s, _mm_cvtsi32_si128(tbs[i]));
            a = tbs[i] == sign_plane ? _mm512_sub_epi16(a, shifted) : _mm512_add_epi16(a, shifted);
        }
        _mm512_storeu_si512(acc16 + static_cast<size_t>(g) * kBandLanes, a);
    }
    _mm512_storeu_si512(big16, big);
    return saturations;
}

// A band's column shares (Band::vfactor): its 16-bit sums, sign- or zero-extended, times their
// columns' sign x 2^shift, in 32-bit lanes (|sum| <= 65535, shift <= 15: no overflow).
__attribute__((target("avx512f,avx512bw"))) void band_shares_avx512(const uint16_t* acc16,
                                                                    const int32_t* factor,
                                                                    int vcols, bool sign_extend,
                                                                    int32_t* share) {
    for (int i = 0; i < vcols; i += 16) {
        const __mmask16 live =
            vcols - i >= 16 ? __mmask16{0xffff} : static_cast<__mmask16>((1u << (vcols - i)) - 1);
        // (a whole load: each band's sums are padded to 32 lanes)
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc16 + i));
        const __m512i x = sign_extend ? _mm512_maskz_cvtepi16_epi32(live, a)
                                      : _mm512_maskz_cvtepu16_epi32(live, a);
        _mm512_mask_storeu_epi32(share + i, live,
                                 _mm512_mullo_epi32(x, _mm512_maskz_loadu_epi32(live, factor + i)));
    }
}

uint64_t band_sums(bool clip, const uint64_t* planes, uint64_t issued, int sign_plane,
                   const uint16_t* masks, int vcols, int cell_bits, int64_t adc_max,
                   uint16_t* acc16, uint16_t* big16) {
    const auto run = [&](auto kernel) {
        return kernel(planes, issued, sign_plane, masks, vcols, cell_bits, adc_max, acc16, big16);
    };
    if (cell_bits == 2)
        return clip ? run(band_sums_avx512<true, 2>) : run(band_sums_avx512<false, 2>);
    if (cell_bits == 1)
        return clip ? run(band_sums_avx512<true, 1>) : run(band_sums_avx512<false, 1>);
    return clip ? run(band_sums_avx512<true, 0>) : run(band_sums_avx512<false, 0>);
}
#else
bool column_sums_vector(bool, const uint64_t*, int, uint64_t, int, const uint64_t*, int, int,
                        int64_t, int64_t*, uint64_t&, uint64_t&) {
    return false;
}
uint64_t band_sums(bool, const uint64_t*, uint64_t, int, const uint16_t*, int, int, int64_t,
                   uint16_t*, uint16_t*) {
    return 0;
}
void band_shares_avx512(const uint16_t*, const int32_t*, int, bool, int32_t*) {}
#endif

// The analogue column sums of one op (SimOptions::device): per issued plane and active column j,
// the sum of its driven cells' read levels plus one normal draw of their summed read-noise
// variance, converted by the ADC (round to the step, clip at adc_max codes unless ideal), then
// weighted by the plane. A plane's driven rows are listed once for all its columns (`rows_on`
// holds at least `rows` entries). Returns the conversions the ADC clipped.
inline uint64_t analog_sums(const uint64_t* planes, int words, int rows, uint64_t issued,
                            int sign_plane, const float* levels, const float* noise_var, bool noisy,
                            int acols, bool ideal, int64_t adc_max, double step, NormalRng& rng,
                            int* rows_on, double* acc) {
    const double max_code = static_cast<double>(adc_max);
    uint64_t saturations = 0;
    std::fill(acc, acc + acols, 0.0);
    for (; issued; issued &= issued - 1) {
        const int tb = std::countr_zero(issued);
        const double weight = tb == sign_plane ? -std::ldexp(1.0, tb) : std::ldexp(1.0, tb);
        const uint64_t* plane = planes + static_cast<size_t>(tb) * static_cast<size_t>(words);
        int driven = 0;
        for (int w = 0; w < words; ++w)
            for (uint64_t v = plane[w]; v; v &= v - 1)
                rows_on[driven++] = w * 64 + std::countr_zero(v);
        for (int j = 0; j < acols; ++j) {
            const float* lv = levels + static_cast<size_t>(j) * static_cast<size_t>(rows);
            double sum = 0.0;
            for (int t = 0; t < driven; ++t) sum += lv[rows_on[t]];
            if (noisy) {
                const float* nv = noise_var + static_cast<size_t>(j) * static_cast<size_t>(rows);
                double var = 0.0;
                for (int t = 0; t < driven; ++t) var += nv[rows_on[t]];
                if (var > 0.0) sum += std::sqrt(var) * rng.normal();
            }
            if (!ideal) {
                double code = std::max(0.0, std::nearbyint(sum / step));
                if (code > max_code) {
                    ++saturations;
                    code = max_code;
                }
                sum = code * step;
            }
            acc[j] += sum * weight;
        }
    }
    return saturations;
}

bool use_vector_kernel(SimOptions::Kernel k) {
    if (k == SimOptions::Kernel::Portable) return false;
    return avx512_kernel_available();  // Avx512 on a CPU without it was refused by simulate
}

// The share of one layer's work a worker does: tiles [t0, t1) at positions [p0, p1).
struct Work {
    size_t t0 = 0, t1 = 0;
    int64_t p0 = 0, p1 = 0;
};

// A worker's results: y (rows p - p0, when values are computed), per position the cycles of
// its busiest crossbar among its tiles, and its counters.
struct Part {
    std::vector<int64_t> y;
    std::vector<uint64_t> worst;
    Stats stats;
    uint64_t largest = 0;        // largest column sum converted (exact path)
    std::vector<uint64_t> hist;  // conversions per column sum (SimOptions::histogram)
};

SPARSECIM_HOT_CLONES
void run_work(const Mapping& m, const LayerTrace& tr, const HwConfig& hw, const SimOptions& opt,
              const Prepared& P, const Work& wk, Part& out) {
    const int a_bits = tr.a_bits;
    const uint32_t raw_mask = a_bits >= 32 ? 0xffffffffu : ((1u << a_bits) - 1);
    const int64_t adc_max = hw.adc_bits >= 62 ? INT64_MAX : (int64_t{1} << hw.adc_bits) - 1;
    const bool values = !opt.counts_only;
    const bool hist = opt.histogram && values && !P.analog;
    const bool vector = use_vector_kernel(opt.kernel);
    if (hist) out.hist.assign(static_cast<size_t>(P.largest_sum) + 1, 0);
    const bool pipelined = !m.pipeline.empty();
    const int64_t npos = wk.p1 - wk.p0;
    // Counters kept in locals (no aliasing with the outputs), stored into out.stats at the end.
    uint64_t ou_ops = 0, skipped = 0, driven = 0, reads = 0, conversions = 0, saturations = 0;
    if (values) out.y.assign(static_cast<size_t>(npos * m.N), 0);
    out.worst.assign(static_cast<size_t>(npos), 0);
    const int nstates = P.states - 1;
    std::vector<uint64_t> by_state(static_cast<size_t>(nstates) + 1, 0);  // nonzero states
    std::vector<uint64_t> planes;
    std::vector<uint32_t> row_bits;
    std::vector<PackedBand> packed;
    // (whole vectors: the vector kernel stores eight columns at a time)
    std::vector<int64_t> acc(static_cast<size_t>((std::max(1, P.max_cols) + 7) / 8 * 8));
    std::vector<uint16_t> acc16(P.max_vacc);  // the band kernel's sums of one tile's bands
    uint16_t big16[kBandLanes] = {};          // and its largest sums, lane by lane
    std::vector<int32_t> share(P.max_vacc);   // one band's column shares (Band::vfactor)
    // The analogue path's column values and one tile's share of the outputs at one position.
    std::vector<int> rows_on(P.analog ? static_cast<size_t>(std::max(1, P.max_rows)) : 0);
    std::vector<double> acc_d(P.analog ? acc.size() : 0),
        y_tile(P.analog ? static_cast<size_t>(m.N) : 0, 0.0);
    PipelineClock clock(m.pipeline, P.max_planes);
    const size_t plane_words = static_cast<size_t>(P.max_planes) * static_cast<size_t>(P.max_words);
    for (size_t t = wk.t0; t < wk.t1; ++t) {
        const auto [b0, b1] = P.bands_of_tile[t];
        const auto [o0, o1] = P.ops_of_tile[t];
        planes.assign((b1 - b0) * plane_words, 0);
        row_bits.assign((b1 - b0) * static_cast<size_t>(P.max_rows), 0);
        packed.assign(b1 - b0, PackedBand{});
        for (int64_t p = wk.p0; p < wk.p1; ++p) {
            const int32_t* x = tr.input(p);
            uint64_t busy = 0;  // the crossbar's ADC rounds at this position
            for (size_t b = b0; b < b1; ++b) {
                const Band& band = P.bands[b];
                PackedBand& pb = packed[b - b0];
                uint64_t* pl = planes.data() + (b - b0) * plane_words;
                uint32_t* rb = row_bits.data() + (b - b0) * static_cast<size_t>(P.max_rows);
                const int nplanes = a_bits + band.max_shift;
                // Planes only where column sums are formed: values, the analogue path, or ops
                // whose sums the ADC may clip (counted even in a counts-only run).
                const bool need_planes =
                    values || P.analog || (!opt.ideal_adc && band.may_saturate);
                const auto pack = [&](auto packer) {
                    packer(x, P.row_k.data() + band.row0, P.row_shift.data() + band.row0, band.rows,
                           band.words, nplanes, raw_mask, pl, rb, pb.nonempty, pb.driven);
                };
#ifdef SPARSECIM_SIM_AVX512
                if (vector && nplanes <= 32)
                    need_planes ? pack(pack_band_avx512<true>) : pack(pack_band_avx512<false>);
                else
#endif
                    need_planes ? pack(pack_band<true>) : pack(pack_band<false>);
                pb.planes = pl;
                pb.row_bits = rb;
                // The counters of all the band's ops at once: issued and skipped planes,
                // conversions, ADC rounds, driven rows, and cell reads in state s (per row, its
                // set input bits x its cells in state s).
                const uint64_t all = nplanes >= 64 ? ~uint64_t{0} : (uint64_t{1} << nplanes) - 1;
                pb.issued = m.skip_zero_ou ? pb.nonempty : all;
                const uint64_t n_issued = static_cast<uint64_t>(std::popcount(pb.issued));
                ou_ops += n_issued * band.ops;
                skipped += (static_cast<uint64_t>(nplanes) - n_issued) * band.ops;
                conversions += n_issued * band.acols;
                busy += n_issued * band.adc_rounds;
                driven += pb.driven * band.ops;
                reads += pb.driven * band.acols;
                uint64_t nonzero = 0;
                if (pb.driven) {
                    const uint32_t* cnt = P.row_states.data() + band.cnt0;
                    for (int s = 0; s < nstates; ++s, cnt += band.rows) {
                        uint64_t c = 0;
                        for (int i = 0; i < band.rows; ++i)
                            c += static_cast<uint64_t>(rb[i]) * cnt[i];
                        by_state[static_cast<size_t>(s) + 1] += c;
                        nonzero += c;
                    }
                }
                by_state[0] += pb.driven * band.acols - nonzero;
                if (band.vcols == 0) continue;
                // The band kernel: all the band's ops' column sums, then their shares of the
                // outputs, one run of columns per output (sign and shift per column).
                const bool clip = !opt.ideal_adc && band.may_saturate;
                if (!values && !clip) continue;
                uint16_t* a16 = acc16.data() + band.vacc;
                saturations += band_sums(
                    clip, pb.planes, pb.issued, tr.in_signed ? a_bits - 1 + band.max_shift : -1,
                    P.vmasks.data() + band.vmask0, band.vcols, P.cell_bits, adc_max, a16, big16);
                if (!values) continue;
                int64_t* y = out.y.data() + (p - wk.p0) * m.N;
                size_t c = 0;
                if (band.vfactor) {  // the shares in vector, then one add per output
                    band_shares_avx512(a16, P.vcol_factor.data() + band.vcol0, band.vcols,
                                       tr.in_signed, share.data());
                    for (size_t r = band.vrun0; r < band.vrun0 + band.nruns; ++r) {
                        const auto [n, len] = P.vruns[r];
                        int64_t v = 0;
                        for (const size_t end = c + static_cast<size_t>(len); c < end; ++c)
                            v += share[c];
                        y[n] += v;
                    }
                    continue;
                }
                const int32_t* shift = P.vcol_shift.data() + band.vcol0;
                const int32_t* sign = P.vcol_sign.data() + band.vcol0;
                for (size_t r = band.vrun0; r < band.vrun0 + band.nruns; ++r) {
                    const auto [n, len] = P.vruns[r];
                    int64_t v = 0;
                    for (const size_t end = c + static_cast<size_t>(len); c < end; ++c) {
                        const int64_t s = tr.in_signed ? static_cast<int16_t>(a16[c])
                                                       : static_cast<int64_t>(a16[c]);
                        v += sign[c] * (s << shift[c]);
                    }
                    y[n] += v;
                }
            }
            if (pipelined) clock.reset();
            NormalRng rng(stream_seed(opt.device_seed, t, static_cast<uint64_t>(p)));
            for (size_t oi = o0; oi < o1; ++oi) {
                const PreparedOp& op = P.ops[oi];
                const Band& band = P.bands[op.band];
                const PackedBand& pb = packed[op.band - b0];
                const uint64_t issued = pb.issued;
                if (pipelined) clock.op(op, std::popcount(issued));
                if (band.vcols) continue;  // the band kernel did its columns
                const int sign_plane = tr.in_signed ? a_bits - 1 + band.max_shift : -1;
                if (P.analog) {
                    const size_t lev = P.lev0[oi];
                    saturations += analog_sums(pb.planes, band.words, band.rows, issued, sign_plane,
                                               P.levels.data() + lev, P.noise_var.data() + lev,
                                               P.noisy, op.acols, opt.ideal_adc, adc_max,
                                               P.adc_step, rng, rows_on.data(), acc_d.data());
                    for (int j = 0; j < op.acols; ++j) {
                        const size_t c = op.col0 + static_cast<size_t>(j);
                        y_tile[static_cast<size_t>(P.col_n[c])] +=
                            P.col_sign[c] *
                            std::ldexp(acc_d[static_cast<size_t>(j)], P.col_shift[c]);
                    }
                    continue;
                }
                const bool clip = !opt.ideal_adc && op.may_saturate;
                if (!values && !clip) continue;  // counts only, and no conversion can clip
                const uint64_t* masks = P.masks.data() + op.mask0;
                const bool vectored =
                    vector && !hist &&
                    column_sums_vector(clip, pb.planes, band.words, issued, sign_plane, masks,
                                       op.acols, P.cell_bits, adc_max, acc.data(), out.largest,
                                       saturations);
                if (!vectored) {
                    if (clip)
                        saturations += column_sums<true>(pb.planes, band.words, issued, sign_plane,
                                                         masks, op.acols, P.cell_bits, adc_max,
                                                         acc.data(), out.largest);
                    else if (hist)
                        column_sums<false, true>(pb.planes, band.words, issued, sign_plane, masks,
                                                 op.acols, P.cell_bits, adc_max, acc.data(),
                                                 out.largest, out.hist.data());
                    else
                        column_sums<false>(pb.planes, band.words, issued, sign_plane, masks,
                                           op.acols, P.cell_bits, adc_max, acc.data(), out.largest);
                }
                if (!values) continue;
                int64_t* y = out.y.data() + (p - wk.p0) * m.N;
                for (int j = 0; j < op.acols; ++j) {
                    const size_t c = op.col0 + static_cast<size_t>(j);
                    y[P.col_n[c]] +=
                        P.col_sign[c] * (acc[static_cast<size_t>(j)] << P.col_shift[c]);
                }
            }
            if (P.analog) {  // a tile's share rounds to the integer its periphery delivers
                for (int32_t n : P.outputs_of_tile[t]) {
                    double& v = y_tile[static_cast<size_t>(n)];
                    if (values)
                        out.y[static_cast<size_t>((p - wk.p0) * m.N + n)] += std::llround(v);
                    v = 0.0;
                }
            }
            uint64_t& worst = out.worst[static_cast<size_t>(p - wk.p0)];
            worst = std::max(worst, pipelined ? clock.done() : busy);
        }
    }
    for (uint16_t v : big16) out.largest = std::max<uint64_t>(out.largest, v);
    Stats& st = out.stats;
    st.ou_ops = ou_ops;
    st.ou_ops_skipped = skipped;
    st.driver_activations = driven;
    st.cell_reads = reads;
    st.adc_conversions = conversions;
    st.sa_ops = conversions;  // one shift-and-add per conversion
    st.adc_saturations = saturations;
    st.cell_reads_by_state = by_state;
}

}  // namespace

bool avx512_kernel_available() {
#ifdef SPARSECIM_SIM_AVX512
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
    }();
    return has;
#else
    return false;
#endif
}

bool avx512_band_kernel_available() {
#ifdef SPARSECIM_SIM_AVX512
    static const bool has = [] {
        __builtin_cpu_init();
        return avx512_kernel_available() && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512bitalg");
    }();
    return has;
#else
    return false;
#endif
}

SimOptions::Kernel best_kernel() {
    return runnable_kernels().back();
}

const char* kernel_name(SimOptions::Kernel k) {
    switch (k) {
        case SimOptions::Kernel::Auto:
            return "auto";
        case SimOptions::Kernel::Portable:
            return "portable";
        case SimOptions::Kernel::Avx512:
            return "avx512";
        case SimOptions::Kernel::Avx512Band:
            return "avx512-band";
    }
    return "?";
}

std::vector<SimOptions::Kernel> runnable_kernels() {
    std::vector<SimOptions::Kernel> k{SimOptions::Kernel::Portable};
    if (avx512_kernel_available()) k.push_back(SimOptions::Kernel::Avx512);
    if (avx512_band_kernel_available()) k.push_back(SimOptions::Kernel::Avx512Band);
    return k;
}

SimResult simulate(const Mapping& m, const LayerTrace& tr, const HwConfig& hw,
                   const SimOptions& opt) {
    if (!tr.outputs.empty() && tr.outputs.size() != static_cast<size_t>(tr.positions * tr.N))
        throw Error(m.layer + ": trace holds " + std::to_string(tr.outputs.size()) +
                    " reference outputs, expected positions x N");
    if (tr.K != m.K || tr.N != m.N)
        throw Error(m.layer + ": trace is " + std::to_string(tr.K) + "x" + std::to_string(tr.N) +
                    " but the mapping is " + std::to_string(m.K) + "x" + std::to_string(m.N));
    if (tr.inputs.size() != static_cast<size_t>(tr.positions * tr.K))
        throw Error(m.layer + ": trace holds " + std::to_string(tr.inputs.size()) +
                    " inputs, expected positions x K");
    if (std::string problem = groups_problem(m.layer, m.K, m.N, m.groups); !problem.empty())
        throw Error(problem);
    if (opt.kernel == SimOptions::Kernel::Avx512 && !avx512_kernel_available())
        throw Error(m.layer +
                    ": the AVX-512 simulator kernel was asked for, but this CPU lacks "
                    "AVX-512F or VPOPCNTDQ");
    if (opt.kernel == SimOptions::Kernel::Avx512Band && !avx512_band_kernel_available())
        throw Error(m.layer +
                    ": the AVX-512 band kernel was asked for, but this CPU lacks AVX-512F, "
                    "VPOPCNTDQ, BW or BITALG");
    // Real devices: the cells as programmed (the caller's, or programmed here once).
    DeviceCells programmed;
    const DeviceCells* dev = nullptr;
    if (!opt.ideal_adc && (opt.device || hw.nonideal() || opt.force_analog)) {
        dev = opt.device;
        if (!dev) {
            programmed = program_cells(m, hw, opt.device_seed);
            dev = &programmed;
        }
    } else if (opt.force_analog) {
        programmed = program_cells(m, HwConfig{}, opt.device_seed);  // ideal cells
        dev = &programmed;
    }
    if ((hw.adc_calibration == "profiled" || hw.adc_calibration == "percentile") &&
        !opt.ideal_adc && opt.adc_range < 0.0)
        throw Error(m.layer + ": adc.calibration " + hw.adc_calibration +
                    " needs the layer's profiled column-sum range (a calibration pass on "
                    "calibration images, as evaluate runs)");
    const bool band_kernel =
        (opt.kernel == SimOptions::Kernel::Avx512Band ||
         (opt.kernel == SimOptions::Kernel::Auto && avx512_band_kernel_available())) &&
        !(opt.histogram && !opt.counts_only);
    const Prepared P =
        prepare(m, tr, hw, dev, opt.adc_range, band_kernel, resolve_threads(opt.threads));
    const int64_t positions = tr.positions;
    const size_t tiles = m.tiles.size();
    // Work split: position ranges when there are enough positions, else tile ranges (a layer
    // seen at one position, e.g. a Gemm on one image). Integer sums and maxima combine the
    // parts, so the result does not depend on the split.
    const int threads = resolve_threads(opt.threads);
    std::vector<Work> work;
    if (positions >= threads || tiles < 2) {
        const int64_t n = std::min<int64_t>(threads, std::max<int64_t>(1, positions));
        for (int64_t w = 0; w < n; ++w)
            work.push_back({0, tiles, positions * w / n, positions * (w + 1) / n});
    } else {
        const size_t n = std::min<size_t>(static_cast<size_t>(threads), tiles);
        for (size_t w = 0; w < n; ++w)
            work.push_back({tiles * w / n, tiles * (w + 1) / n, 0, positions});
    }
    std::vector<Part> parts(work.size());
    parallel_for(static_cast<int64_t>(work.size()), threads, [&](int64_t w) {
        run_work(m, tr, hw, opt, P, work[static_cast<size_t>(w)], parts[static_cast<size_t>(w)]);
    });

    SimResult res;
    res.counts_only = opt.counts_only;
    res.stats.cell_reads_by_state.assign(static_cast<size_t>(P.states), 0);
    std::vector<uint64_t> worst(static_cast<size_t>(positions), 0);
    std::vector<int64_t> y;
    if (!opt.counts_only) y.assign(static_cast<size_t>(positions * m.N), 0);
    if (!opt.counts_only && !P.analog) res.largest_sum = 0;
    for (size_t w = 0; w < work.size(); ++w) {
        const Part& part = parts[w];
        if (res.sum_histogram.size() < part.hist.size())
            res.sum_histogram.resize(part.hist.size(), 0);
        for (size_t v = 0; v < part.hist.size(); ++v) res.sum_histogram[v] += part.hist[v];
        res.stats.add(part.stats);
        if (res.largest_sum >= 0)
            res.largest_sum = std::max(res.largest_sum, static_cast<int64_t>(part.largest));
        const int64_t p0 = work[w].p0;
        for (size_t i = 0; i < part.worst.size(); ++i)
            worst[static_cast<size_t>(p0) + i] =
                std::max(worst[static_cast<size_t>(p0) + i], part.worst[i]);
        for (size_t i = 0; i < part.y.size(); ++i)
            y[static_cast<size_t>(p0 * m.N) + i] += part.y[i];
    }
    // Crossbars run in parallel; a position takes as long as its busiest crossbar.
    const uint64_t cycle_scale = m.pipeline.empty() ? static_cast<uint64_t>(hw.ou_op_cycles) : 1;
    for (uint64_t c : worst) res.stats.cycles += c * cycle_scale;
    const uint64_t npos = static_cast<uint64_t>(positions);
    res.stats.buffer_bytes += P.input_bytes * npos;
    res.stats.digital_adds += P.digital_adds * npos;
    res.stats.index_bits_read += static_cast<uint64_t>(m.total_index_bits()) * npos;
    if (!opt.counts_only && m.offset != 0) {
        // Per output, offset x the sum of its own group's inputs (all inputs when groups = 1).
        const int64_t group_rows = m.K / m.groups, group_cols = m.N / m.groups;
        for (int64_t p = 0; p < positions; ++p) {
            const int32_t* x = tr.input(p);
            int64_t* yp = y.data() + p * m.N;
            for (int64_t g = 0; g < m.groups; ++g) {
                int64_t sx = 0;
                for (int64_t k = g * group_rows; k < (g + 1) * group_rows; ++k) sx += x[k];
                for (int64_t n = g * group_cols; n < (g + 1) * group_cols; ++n)
                    yp[n] -= m.offset * sx;
            }
        }
    }
    for (const Mapping::EventRule& rule : m.events) {
        using Per = Mapping::EventRule::Per;
        const Stats& st = res.stats;
        uint64_t base = 0;
        switch (rule.per) {
            case Per::Position:
                base = npos;
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
    if (!opt.counts_only && !tr.outputs.empty()) {  // a trace without outputs is only computed
        res.outputs_checked = static_cast<int64_t>(y.size());
        for (size_t i = 0; i < y.size(); ++i)
            if (y[i] != tr.outputs[i]) {
                ++res.mismatches;
                const double e = static_cast<double>(y[i] - tr.outputs[i]);
                res.squared_error += e * e;
            }
    }
    if (opt.keep_outputs && !opt.counts_only) res.outputs = std::move(y);
    return res;
}

}  // namespace sparsecim
