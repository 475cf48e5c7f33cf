// Real RRAM cells under a mapping (docs/nonideal.md): what each programmed cell reads after
// stuck-at faults and device-to-device variation, and the sigma of its cycle-to-cycle read noise,
// both in units of one conductance step (the ideal cell in state s reads s). Built once per
// mapping and trial; every simulation of that trial reuses it.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"

namespace sparsecim {

struct DeviceCells {
    // Per tile, rows x cols row-major like Tile::cells: the level the cell reads (its
    // conductance above the HRS reference, in steps) and its read-noise sigma in steps.
    std::vector<std::vector<float>> level, noise;
    int64_t cells = 0, stuck_lrs = 0, stuck_hrs = 0;
};

// The stuck-at faults of a chip: which cells of its crossbars are stuck, and in which state. A
// property of the devices, as a post-fabrication test would find it, not of what is programmed:
// cell (r, c) of crossbar `tile` is stuck or not whatever mapping, tile size or cell state it
// holds, so a mapper given the same seed (SchemeContext::chip_seed) can place around the faults
// program_cells() then applies.
class ChipFaults {
  public:
    ChipFaults(const HwConfig& hw, int cell_bits, uint64_t seed);
    bool any() const { return lrs_ + hrs_ > 0.0; }
    // The seed of crossbar `tile`'s cells, for stuck().
    uint64_t tile_seed(size_t tile) const;
    // The state cell (r, c) of the crossbar seeded `tile_seed` is stuck in: 2^cell_bits - 1
    // (LRS), 0 (HRS), or -1 when it is not stuck.
    int stuck(uint64_t tile_seed, int r, int c) const;

  private:
    double lrs_ = 0.0, hrs_ = 0.0;
    int top_ = 1;
    uint64_t seed_ = 0;
};

// Programs every cell of `m`'s crossbars on the devices `hw` describes: ChipFaults(hw, seed)'s
// stuck cells, then device-to-device variation. Deterministic for `seed` (each tile draws from
// its own stream), whatever the thread count.
DeviceCells program_cells(const Mapping& m, const HwConfig& hw, uint64_t seed);

// A small, fast normal generator: splitmix64 seeding, xoshiro256** draws, Marsaglia's polar
// method. Deterministic for a seed on every platform (unlike std::normal_distribution).
class NormalRng {
  public:
    explicit NormalRng(uint64_t seed);
    double normal();
    double uniform();  // [0, 1)

  private:
    uint64_t s_[4];
    double spare_ = 0.0;
    bool has_spare_ = false;
    uint64_t next();
};

// A seed for one of many streams: splitmix64 of `seed` mixed with `a` and `b`.
uint64_t stream_seed(uint64_t seed, uint64_t a, uint64_t b);

}  // namespace sparsecim
