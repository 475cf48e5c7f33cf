// Fibonacci LFSR, shift-left form: the XOR of the tapped bits enters at bit 0.
#include "schemes/twofold/lfsr.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"

namespace sparsecim {

std::vector<int> default_lfsr_taps(int width) {
    // XAPP052 table 3 (widths 3..32); width 2 is x^2 + x + 1.
    static const std::vector<std::vector<int>> table = {
        {2, 1},         {3, 2},        {4, 3},          {5, 3},   {6, 5},           {7, 6},
        {8, 6, 5, 4},   {9, 5},        {10, 7},         {11, 9},  {12, 6, 4, 1},    {13, 4, 3, 1},
        {14, 5, 3, 1},  {15, 14},      {16, 15, 13, 4}, {17, 14}, {18, 11},         {19, 6, 2, 1},
        {20, 17},       {21, 19},      {22, 21},        {23, 18}, {24, 23, 22, 17}, {25, 22},
        {26, 6, 2, 1},  {27, 5, 2, 1}, {28, 25},        {29, 27}, {30, 6, 4, 1},    {31, 28},
        {32, 22, 2, 1},
    };
    if (width < 2 || width > 32)
        throw Error("LFSR width " + std::to_string(width) + ": must be 2..32");
    return table[static_cast<size_t>(width - 2)];
}

Lfsr::Lfsr(const LfsrSpec& spec) : width_(spec.width), mask_(0), tap_mask_(0), state_(spec.seed) {
    if (width_ < 2 || width_ > 32)
        throw Error("LFSR width " + std::to_string(width_) + ": must be 2..32");
    mask_ = width_ == 32 ? 0xffffffffu : ((1u << width_) - 1);
    if (spec.taps.empty()) throw Error("LFSR taps: at least one tap is needed");
    for (int t : spec.taps) {
        if (t < 1 || t > width_)
            throw Error("LFSR tap " + std::to_string(t) + ": must be 1.." + std::to_string(width_));
        tap_mask_ |= 1u << (t - 1);
    }
    if (!(tap_mask_ >> (width_ - 1) & 1u))
        throw Error("LFSR taps: must include the top position " + std::to_string(width_));
    if ((state_ & mask_) != state_ || state_ == 0)
        throw Error("LFSR seed " + std::to_string(spec.seed) + ": must be 1.." +
                    std::to_string(mask_));
}

uint32_t Lfsr::step() {
    const uint32_t fb = static_cast<uint32_t>(__builtin_parity(state_ & tap_mask_));
    state_ = ((state_ << 1) | fb) & mask_;
    return state_;
}

uint64_t lfsr_period(const LfsrSpec& spec, uint64_t limit) {
    Lfsr r(spec);
    for (uint64_t n = 1; n <= limit; ++n)
        if (r.step() == spec.seed) return n;
    return 0;
}

int lfsr_width_for(uint64_t size) {
    int w = 2;
    while (w < 32 && ((uint64_t{1} << w) - 1) < size) ++w;
    return w;
}

LfsrPruning lfsr_prune_indices(const LfsrSpec& spec, uint64_t size, uint64_t count) {
    const uint64_t states = (uint64_t{1} << spec.width) - 1;
    if (states < size)
        throw Error("LFSR width " + std::to_string(spec.width) + ": addresses " +
                    std::to_string(states) + " weights, the layer has " + std::to_string(size));
    if (count > size)
        throw Error("LFSR pruning: " + std::to_string(count) + " indices asked of a layer of " +
                    std::to_string(size));
    LfsrPruning out;
    out.indices.reserve(static_cast<size_t>(count));
    Lfsr r(spec);
    while (out.indices.size() < count) {
        const uint32_t s = r.step();
        ++out.steps;
        if (s - 1u < size) out.indices.push_back(s - 1u);
        if (s == spec.seed && out.indices.size() < count)
            throw Error("LFSR taps: the register repeats after " + std::to_string(out.steps) +
                        " steps, before " + std::to_string(count) +
                        " indices are found (taps are not maximal-length)");
    }
    return out;
}

}  // namespace sparsecim
