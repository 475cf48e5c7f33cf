// The ceiling of a bit-serial OU simulator on this machine: the bare kernel with nothing around
// it (no schedule, no index tables, no skip logic, no shift-add bookkeeping), timed in CPU
// seconds of its thread. One OU op is `ou_rows` input bits ANDed with each of `ou_cols` columns'
// cell bit-planes, each plane's popcount weighted by its place, the column sum clamped to the
// ADC's full scale and accumulated. Several OUs share one 64-bit word, one lane each (16-bit
// lanes for OUs of up to 16 rows, 32-bit lanes up to 32 rows, else one OU a word), so a word's
// AND + lane popcount + clamp does the work of 4, 2 or 1 OU ops. Portable C++ (SWAR, no ISA
// extensions: the build's flags), one thread; the simulator's OU ops per CPU-second divided by
// this rate is how close it runs to the machine (issue 21).
#pragma once

#include <time.h>

#include <bit>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

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
    uint64_t checksum = 0;      // the accumulated sums (kept so nothing is optimised away)
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

template <int L, int P>
CeilingResult run(const CeilingShape& s, double min_seconds) {
    constexpr int kOusPerWord = 64 / L;
    constexpr int kGroups = 128;  // words of OUs in the working set (fits L1 for 8 x 2 planes)
    constexpr int planes = P;
    const int cols = s.ou_cols;
    const uint64_t row_mask =
        s.ou_rows >= L ? ~uint64_t{0} >> (64 - L) : (uint64_t{1} << s.ou_rows) - 1;
    const uint64_t used = lanes_of<L>(row_mask);
    std::mt19937_64 rng(7);
    std::vector<uint64_t> w(static_cast<size_t>(kGroups) * cols * planes);
    for (uint64_t& v : w) v = rng() & used;
    std::vector<uint64_t> x(kGroups);
    for (uint64_t& v : x) v = rng() & used;
    std::vector<uint64_t> acc(static_cast<size_t>(cols) * 2, 0);
    const uint64_t adc_max = (uint64_t{1} << s.adc_bits) - 1;
    const uint64_t high = lanes_of<L>(uint64_t{1} << (L - 1));
    const uint64_t over_bias = lanes_of<L>((uint64_t{1} << (L - 1)) - adc_max - 1);
    const uint64_t full = L == 64 ? ~uint64_t{0} : (uint64_t{1} << L) - 1;
    const uint64_t adc_rep = lanes_of<L>(adc_max);
    const uint64_t even = L == 64 ? ~uint64_t{0} : lanes_of<2 * L>(full);

    CeilingResult r;
    r.lane_bits = L;
    const double t0 = thread_cpu_seconds();
    int64_t passes = 0;
    for (;;) {
        for (int g = 0; g < kGroups; ++g) {
            const uint64_t in = x[static_cast<size_t>((g + passes) & (kGroups - 1))];
            const uint64_t* wg = &w[static_cast<size_t>(g) * cols * planes];
            for (int c = 0; c < cols; ++c) {
                uint64_t sum = 0;
                for (int p = 0; p < planes; ++p)
                    sum += lane_popcount<L>(in & wg[c * planes + p]) << p;
                if constexpr (L == 64) {
                    sum = sum > adc_max ? adc_max : sum;
                    acc[static_cast<size_t>(c) * 2] += sum;
                } else {
                    const uint64_t over = (sum + over_bias) & high;  // lanes above full scale
                    const uint64_t m = (over >> (L - 1)) * full;
                    sum = (sum & ~m) | (adc_rep & m);
                    acc[static_cast<size_t>(c) * 2] += sum & even;  // widened: no lane overflow
                    acc[static_cast<size_t>(c) * 2 + 1] += (sum >> L) & even;
                }
            }
        }
        ++passes;
        if (passes % 64 == 0) {
            const double dt = thread_cpu_seconds() - t0;
            if (dt >= min_seconds) {
                r.seconds = dt;
                break;
            }
        }
    }
    r.ou_ops = passes * kGroups * kOusPerWord;
    r.ou_ops_per_s = static_cast<double>(r.ou_ops) / r.seconds;
    for (uint64_t a : acc) r.checksum ^= a;
    return r;
}

}  // namespace detail

// Runs the kernel for at least `min_seconds` of CPU time on the shape's OU (rows x cols of
// cell_bits-bit cells, ADC of adc_bits): the OU ops per second one core reaches. Throws
// std::invalid_argument for cells of other than 1, 2, 4 or 8 bits (the hardware's).
inline CeilingResult run_ceiling(const CeilingShape& s, double min_seconds) {
    // A lane holds an OU's rows, and the clamp needs the column sum below 2^(L-1).
    const int64_t max_sum = static_cast<int64_t>(s.ou_rows) * ((int64_t{1} << s.cell_bits) - 1);
    const int lanes = s.ou_rows <= 16 && max_sum < (1 << 15) && s.adc_bits < 15 ? 16
                      : s.ou_rows <= 32 && s.adc_bits < 31                      ? 32
                                                                                : 64;
    auto with_lanes = [&]<int P>() {
        if (lanes == 16) return detail::run<16, P>(s, min_seconds);
        if (lanes == 32) return detail::run<32, P>(s, min_seconds);
        return detail::run<64, P>(s, min_seconds);
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
