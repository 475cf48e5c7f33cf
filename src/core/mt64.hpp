// Mt64: the std::mt19937_64 stream (the same numbers for the same seed), made 312 at a time with
// vector instructions. The zoo's synthetic weights and the modelled activations of a ResNet-18
// run drew about 100 M numbers through std::mt19937_64 (a tenth of the run's CPU); their streams
// must not change (docs quote figures computed from them), so the generator is the same one,
// computed faster. tests/test_mt64.cpp compares it with std::mt19937_64.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sparsecim {

class Mt64 {
  public:
    using result_type = uint64_t;
    static constexpr size_t kState = 312;

    explicit Mt64(uint64_t seed = 5489u);
    static constexpr uint64_t min() { return 0; }
    static constexpr uint64_t max() { return ~uint64_t{0}; }
    uint64_t operator()() {
        if (next_ == kState) refill();
        return out_[next_++];
    }

  private:
    void refill();  // the twist of the state and the tempering of its 312 words into out_

    std::array<uint64_t, kState> mt_;
    std::array<uint64_t, kState> out_;
    size_t next_ = kState;
};

}  // namespace sparsecim
