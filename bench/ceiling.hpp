// The ceiling of a bit-serial OU simulator on this machine: the bare kernel with nothing around
// it (no schedule, no index tables, no skip logic, no shift-add bookkeeping), timed in CPU
// seconds of its thread. One OU op is `ou_rows` input bits ANDed with each of `ou_cols` columns'
// cell bit-planes, each plane's popcount weighted by its place, the column sum clamped to the
// ADC's full scale and accumulated. Several OUs share one 64-bit word, one lane each (16-bit
// lanes for OUs of up to 16 rows, 32-bit lanes up to 32 rows, else one OU a word), so a word's
// AND + lane popcount + clamp does the work of 4, 2 or 1 OU ops. Two paths: portable C++ (SWAR,
// the build's flags) and, for 16-bit lanes on a CPU with AVX-512 BITALG (chosen at run time),
// 32 OUs per vpopcntw; both give the same checksum for the same passes. The simulator's OU ops
// per CPU-second divided by this rate is how close it runs to the machine (issue 21).
#pragma once

#include <time.h>

#include <bit>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sparsecim::bench {

struct CeilingShape {
    int ou_rows = 16, ou_cols = 8, cell_bits = 2, adc_bits = 6;
};

struct CeilingResult {
    int lane_bits = 64;         // bits per OU in a word
    int64_t ou_ops = 0;         // OU ops executed
    double seconds = 0.0;       // CPU time of the timed loop (this thread's, as the simulator's
                                // rate is per CPU-second)
    double ou_ops_per_s = 0.0;  // ou_ops / seconds
    uint64_t checksum = 0;      // the clamped sums, weighted by column (equal on every path)
    const char* path = "swar";  // "avx512-bitalg" when the CPU has it and it was not declined
};

namespace detail {

inline double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Per-lane popcount of `v` for lanes of L bits (16, 32, or 64), each count in its lane.
template <int L>
inline uint64_t lane_popcount(uint64_t v) {
    if constexpr (L == 64) {
        return static_cast<uint64_t>(std::popcount(v));
    } else {
        v = v - ((v >> 1) & 0x5555555555555555ULL);
        v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
        v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
        v = (v + (v >> 8)) & 0x00ff00ff00ff00ffULL;
        if constexpr (L == 32) v = (v + (v >> 16)) & 0x000000ff000000ffULL;
        return v;
    }
}

// A value repeated in every L-bit lane.
template <int L>
constexpr uint64_t lanes_of(uint64_t x) {
    if constexpr (L == 64) {
        return x;
    } else {
        uint64_t r = 0;
        for (int i = 0; i < 64; i += L) r |= x << i;
        return r;
    }
}

constexpr int kGroups = 128;  // words of OUs in the working set (16 KB for 8 columns x 2 planes)

// The working set: per column c and cell bit-plane p the cell bits of kGroups words of OUs
// (w[(c * P + p) * kGroups + g]), and kGroups words of input bits; pass k feeds word g the
// input word (g + 8k) mod kGroups on every path.
struct Workset {
    std::vector<uint64_t> w, x;
    int cols = 0;
};

// Per column, the sum of every clamped OU column sum so far (the checksum's terms).
inline uint64_t checksum_of(const std::vector<uint64_t>& totals) {
    uint64_t sum = 0;
    for (size_t c = 0; c < totals.size(); ++c) sum += (c + 1) * totals[c];
    return sum;
}

// `npasses` passes over the working set from pass `first`, portable SWAR with L-bit lanes;
// adds each column's clamped sums to totals[c].
template <int L, int P>
void swar_passes(const Workset& ws, int64_t first, int64_t npasses, uint64_t adc_max,
                 std::vector<uint64_t>& totals) {
    const uint64_t high = lanes_of<L>(uint64_t{1} << (L - 1));
    const uint64_t over_bias = lanes_of<L>((uint64_t{1} << (L - 1)) - adc_max - 1);
    const uint64_t full = L == 64 ? ~uint64_t{0} : (uint64_t{1} << L) - 1;
    const uint64_t adc_rep = lanes_of<L>(adc_max);
    const uint64_t even = L == 64 ? ~uint64_t{0} : lanes_of<2 * L>(full);
    const int cols = ws.cols;
    std::vector<uint64_t> acc(static_cast<size_t>(cols) * 2, 0);
    for (int64_t pass = first; pass < first + npasses; ++pass)
        for (int g = 0; g < kGroups; ++g) {
            const uint64_t in = ws.x[static_cast<size_t>((g + 8 * pass) & (kGroups - 1))];
            for (int c = 0; c < cols; ++c) {
                uint64_t sum = 0;
                for (int p = 0; p < P; ++p)
                    sum +=
                        lane_popcount<L>(in & ws.w[static_cast<size_t>((c * P + p) * kGroups + g)])
                        << p;
                if constexpr (L == 64) {
                    acc[static_cast<size_t>(c) * 2] += sum > adc_max ? adc_max : sum;
                } else {
                    const uint64_t over = (sum + over_bias) & high;  // lanes above full scale
                    const uint64_t m = (over >> (L - 1)) * full;
                    sum = (sum & ~m) | (adc_rep & m);
                    acc[static_cast<size_t>(c) * 2] += sum & even;  // widened: no lane overflow
                    acc[static_cast<size_t>(c) * 2 + 1] += (sum >> L) & even;
                }
            }
        }
    for (int c = 0; c < cols; ++c)
        for (int h = 0; h < 2; ++h) {
            const uint64_t a = acc[static_cast<size_t>(c) * 2 + static_cast<size_t>(h)];
            totals[static_cast<size_t>(c)] += L == 16 ? (a & 0xffffffffULL) + (a >> 32) : a;
        }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPARSECIM_CEILING_AVX512 1
constexpr int kMaxAvxCols = 32;  // columns of one OU the AVX-512 path handles
// The same passes for 16-bit lanes with AVX-512 BITALG (32 OUs per instruction: vpopcntw),
// compiled for that target only and chosen at run time.
template <int P>
__attribute__((target("avx512f,avx512bw,avx512bitalg"))) void avx512_passes(
    const Workset& ws, int64_t first, int64_t npasses, uint64_t adc_max,
    std::vector<uint64_t>& totals) {
    const int cols = ws.cols;
    const __m512i cap = _mm512_set1_epi16(static_cast<int16_t>(adc_max));
    const __m512i low16 = _mm512_set1_epi32(0xffff);
    __m512i acc[2 * kMaxAvxCols];
    for (__m512i& a : acc) a = _mm512_setzero_si512();
    for (int64_t pass = first; pass < first + npasses; ++pass)
        for (int g = 0; g < kGroups; g += 8) {
            const __m512i in =
                _mm512_loadu_si512(&ws.x[static_cast<size_t>((g + 8 * pass) & (kGroups - 1))]);
            for (int c = 0; c < cols; ++c) {
                __m512i sum = _mm512_setzero_si512();
                for (int p = 0; p < P; ++p) {
                    const __m512i cells =
                        _mm512_loadu_si512(&ws.w[static_cast<size_t>((c * P + p) * kGroups + g)]);
                    sum = _mm512_add_epi16(
                        sum, _mm512_slli_epi16(_mm512_popcnt_epi16(_mm512_and_si512(in, cells)),
                                               static_cast<unsigned>(p)));
                }
                sum = _mm512_min_epu16(sum, cap);
                __m512i& lo = acc[c * 2];
                __m512i& hi = acc[c * 2 + 1];
                lo = _mm512_add_epi32(lo, _mm512_and_si512(sum, low16));
                // (maskz: GCC 12 warns maybe-uninitialized on the unmasked form's undefined source)
                hi = _mm512_add_epi32(hi, _mm512_maskz_srli_epi32(0xffff, sum, 16));
            }
        }
    for (int c = 0; c < cols; ++c) {
        alignas(64) uint32_t lanes[32];
        _mm512_store_si512(lanes, acc[c * 2]);
        _mm512_store_si512(lanes + 16, acc[c * 2 + 1]);
        for (uint32_t v : lanes) totals[static_cast<size_t>(c)] += v;
    }
}

inline bool has_avx512_bitalg() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512bitalg");
}
#endif

template <int L, int P>
CeilingResult run(const CeilingShape& s, double min_seconds, bool portable) {
    constexpr int kOusPerWord = 64 / L;
    const uint64_t row_mask =
        s.ou_rows >= L ? ~uint64_t{0} >> (64 - L) : (uint64_t{1} << s.ou_rows) - 1;
    const uint64_t used = lanes_of<L>(row_mask);
    Workset ws;
    ws.cols = s.ou_cols;
    std::mt19937_64 rng(7);
    ws.w.resize(static_cast<size_t>(kGroups) * static_cast<size_t>(s.ou_cols) * P);
    for (uint64_t& v : ws.w) v = rng() & used;
    ws.x.resize(kGroups);
    for (uint64_t& v : ws.x) v = rng() & used;
    const uint64_t adc_max = (uint64_t{1} << s.adc_bits) - 1;
    std::vector<uint64_t> totals(static_cast<size_t>(s.ou_cols), 0);

    CeilingResult r;
    r.lane_bits = L;
    r.path = "swar";
    auto passes = [&](int64_t first, int64_t n) {
        swar_passes<L, P>(ws, first, n, adc_max, totals);
    };
    std::function<void(int64_t, int64_t)> step = passes;
#ifdef SPARSECIM_CEILING_AVX512
    if constexpr (L == 16)
        if (!portable && s.ou_cols <= kMaxAvxCols && has_avx512_bitalg()) {
            r.path = "avx512-bitalg";
            step = [&](int64_t first, int64_t n) {
                avx512_passes<P>(ws, first, n, adc_max, totals);
            };
        }
#endif
    constexpr int64_t kChunk = 64;
    const double t0 = thread_cpu_seconds();
    int64_t done = 0;
    for (;;) {
        step(done, kChunk);
        done += kChunk;
        const double dt = thread_cpu_seconds() - t0;
        if (dt >= min_seconds) {
            r.seconds = dt;
            break;
        }
    }
    r.ou_ops = done * kGroups * kOusPerWord;
    r.ou_ops_per_s = static_cast<double>(r.ou_ops) / r.seconds;
    r.checksum = checksum_of(totals);
    return r;
}

}  // namespace detail

// Runs the kernel for at least `min_seconds` of CPU time on the shape's OU (rows x cols of
// cell_bits-bit cells, ADC of adc_bits): the OU ops per second one core reaches. Throws
// std::invalid_argument for cells of other than 1, 2, 4 or 8 bits (the hardware's).
inline CeilingResult run_ceiling(const CeilingShape& s, double min_seconds, bool portable = false) {
    // A lane holds an OU's rows, and the clamp needs the column sum below 2^(L-1).
    const int64_t max_sum = static_cast<int64_t>(s.ou_rows) * ((int64_t{1} << s.cell_bits) - 1);
    const int lanes = s.ou_rows <= 16 && max_sum < (1 << 15) && s.adc_bits < 15 ? 16
                      : s.ou_rows <= 32 && s.adc_bits < 31                      ? 32
                                                                                : 64;
    auto with_lanes = [&]<int P>() {
        if (lanes == 16) return detail::run<16, P>(s, min_seconds, portable);
        if (lanes == 32) return detail::run<32, P>(s, min_seconds, portable);
        return detail::run<64, P>(s, min_seconds, portable);
    };
    switch (s.cell_bits) {
        case 1:
            return with_lanes.template operator()<1>();
        case 2:
            return with_lanes.template operator()<2>();
        case 4:
            return with_lanes.template operator()<4>();
        case 8:
            return with_lanes.template operator()<8>();
    }
    throw std::invalid_argument("run_ceiling: cell_bits must be 1, 2, 4 or 8");
}

}  // namespace sparsecim::bench
