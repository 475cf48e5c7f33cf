// The LFSR of twofold's network-level pruning: a Fibonacci linear-feedback shift register whose
// pseudo-random states name the weights to prune. The hardware regenerates a layer's mask from
// (width, taps, seed) alone, so the mask costs no index storage, only LFSR steps.
#pragma once

#include <cstdint>
#include <vector>

namespace sparsecim {

struct LfsrSpec {
    int width = 16;         // register bits, 2..32
    std::vector<int> taps;  // tap positions, 1-based, the first = width (XAPP052 style)
    uint32_t seed = 1;      // initial state, 1 .. 2^width - 1
};

// Maximal-length taps (period 2^w - 1) for widths 2..32, from Xilinx XAPP052 (Alfke, 1996),
// table 3. Throws Error for a width outside 2..32.
std::vector<int> default_lfsr_taps(int width);

// One register. step(): new bit = XOR of the tapped bits, shifted in at the bottom.
class Lfsr {
  public:
    explicit Lfsr(const LfsrSpec& spec);  // throws Error on a bad width, taps or seed
    uint32_t state() const { return state_; }
    uint32_t step();  // advances one step and returns the new state (never 0)

  private:
    int width_;
    uint32_t mask_;
    uint32_t tap_mask_;  // bit (t-1) set for every tap t
    uint32_t state_;
};

// Steps until the register returns to its seed (2^w - 1 for maximal taps); stops and returns 0
// after `limit` steps.
uint64_t lfsr_period(const LfsrSpec& spec, uint64_t limit);

// The indices an LFSR prunes in a layer of `size` weights: each step's state s names index s - 1;
// indices >= size are skipped; stops once `count` distinct indices are collected. `steps` is the
// number of LFSR steps that took (what the hardware spends to regenerate the mask). Throws Error
// when the register cannot address the layer (2^w - 1 < size) or cycles before `count` indices
// (non-maximal taps).
struct LfsrPruning {
    std::vector<uint32_t> indices;  // in generation order
    uint64_t steps = 0;
};
LfsrPruning lfsr_prune_indices(const LfsrSpec& spec, uint64_t size, uint64_t count);

// The smallest width (>= 2) whose register addresses `size` weights: 2^w - 1 >= size.
int lfsr_width_for(uint64_t size);

}  // namespace sparsecim
