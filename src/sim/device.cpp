// Programming a mapping's cells on real devices: stuck-at faults by physical state, then
// device-to-device variation of the conductance; and the normal generator the simulator's read
// noise shares. The model and its equations: docs/nonideal.md.
#include "sim/device.hpp"

#include <algorithm>
#include <cmath>

namespace sparsecim {

namespace {

uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

}  // namespace

uint64_t stream_seed(uint64_t seed, uint64_t a, uint64_t b) {
    uint64_t x = seed;
    uint64_t h = splitmix64(x);
    x = h ^ (a * 0xD1B54A32D192ED03ull);
    h = splitmix64(x);
    x = h ^ (b * 0x8CB92BA72F3D8DD7ull);
    return splitmix64(x);
}

NormalRng::NormalRng(uint64_t seed) {
    for (uint64_t& s : s_) s = splitmix64(seed);
}

uint64_t NormalRng::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double NormalRng::uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double NormalRng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u, v, s;
    do {
        u = 2.0 * uniform() - 1.0;
        v = 2.0 * uniform() - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
}

ChipFaults::ChipFaults(const HwConfig& hw, int cell_bits, uint64_t seed)
    : lrs_(hw.saf_lrs_rate), hrs_(hw.saf_hrs_rate), top_((1 << cell_bits) - 1), seed_(seed) {}

uint64_t ChipFaults::tile_seed(size_t tile) const {
    return stream_seed(seed_, tile, 0x5AF);
}

int ChipFaults::stuck(uint64_t tile_seed, int r, int c) const {
    // One uniform per physical cell, hashed from its position: no stream order to depend on.
    uint64_t x = tile_seed ^
                 (static_cast<uint64_t>(static_cast<uint32_t>(r)) << 32 | static_cast<uint32_t>(c));
    const double u = static_cast<double>(splitmix64(x) >> 11) * 0x1.0p-53;
    if (u < lrs_) return top_;
    if (u < lrs_ + hrs_) return 0;
    return -1;
}

DeviceCells program_cells(const Mapping& m, const HwConfig& hw, uint64_t seed) {
    const int top = (1 << m.cell_bits) - 1;
    const ChipFaults faults(hw, m.cell_bits, seed);
    // The HRS conductance in steps: with G_LRS / G_HRS = R over `top` steps, G_HRS = top / (R - 1).
    const double hrs = hw.on_off_ratio > 1.0 ? top / (hw.on_off_ratio - 1.0) : 0.0;
    const bool noisy = hw.read_sigma > 0.0;
    DeviceCells d;
    d.level.resize(m.tiles.size());
    if (noisy) d.noise.resize(m.tiles.size());
    for (size_t t = 0; t < m.tiles.size(); ++t) {
        const Tile& tile = m.tiles[t];
        NormalRng rng(stream_seed(seed, t, ~uint64_t{0}));  // noise uses (t, position)
        const uint64_t tile_seed = faults.tile_seed(t);
        std::vector<float>& level = d.level[t];
        level.resize(tile.cells.size());
        if (noisy) d.noise[t].resize(tile.cells.size());
        for (size_t i = 0; i < tile.cells.size(); ++i) {
            int s = tile.cells[i];
            const int stuck = faults.any()
                                  ? faults.stuck(tile_seed, static_cast<int>(i) / tile.cols,
                                                 static_cast<int>(i) % tile.cols)
                                  : -1;
            if (stuck >= 0) {
                s = stuck;
                ++(stuck == 0 ? d.stuck_hrs : d.stuck_lrs);
            }
            double g = hw.device_level(s) + hrs;  // conductance in steps
            const double sigma = hw.device_sigma(std::min(s, static_cast<int>(top)));
            if (sigma > 0.0) g = std::max(0.0, g * (1.0 + sigma * rng.normal()));
            level[i] = static_cast<float>(g - hrs);
            if (noisy) d.noise[t][i] = static_cast<float>(hw.read_sigma * g);
        }
        d.cells += static_cast<int64_t>(tile.cells.size());
    }
    return d;
}

}  // namespace sparsecim
