// Mt64: MT19937-64 (Matsumoto and Nishimura's 64-bit Mersenne Twister, the parameters of
// std::mt19937_64), its twist and tempering on four words at a time (GCC vector extensions:
// two SSE2 halves on the x86-64 baseline, one AVX2 register on the x86-64-v3 clone).
#include "core/mt64.hpp"

#include <cstring>

#include "core/hot_clones.hpp"

namespace sparsecim {

namespace {

constexpr size_t kN = Mt64::kState, kM = 156;
constexpr uint64_t kMatrix = 0xB5026F5AA96619E9ull;
constexpr uint64_t kUpper = ~uint64_t{0} << 31, kLower = ~kUpper;

typedef uint64_t V4 __attribute__((vector_size(32)));
// The helpers below pass V4 by value; they are internal and inlined, so the baseline ABI GCC
// warns about (32-byte vectors without AVX) is never seen across a call.
#pragma GCC diagnostic ignored "-Wpsabi"

inline V4 load(const uint64_t* p) {
    V4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(uint64_t* p, V4 v) {
    std::memcpy(p, &v, sizeof v);
}

// mt[k] of the twist from the words it reads: x = mt[k], x1 = mt[k + 1], far = mt[k + m mod n].
inline uint64_t twist(uint64_t x, uint64_t x1, uint64_t far) {
    const uint64_t y = (x & kUpper) | (x1 & kLower);
    return far ^ (y >> 1) ^ ((y & 1) ? kMatrix : 0);
}
inline V4 twist(V4 x, V4 x1, V4 far) {
    const V4 y = (x & kUpper) | (x1 & kLower);
    return far ^ (y >> 1) ^ (-(y & 1) & kMatrix);
}

inline V4 temper(V4 y) {
    y ^= (y >> 29) & 0x5555555555555555ull;
    y ^= (y << 17) & 0x71D67FFFEDA60000ull;
    y ^= (y << 37) & 0xFFF7EEE000000000ull;
    y ^= y >> 43;
    return y;
}

}  // namespace

Mt64::Mt64(uint64_t seed) {
    mt_[0] = seed;
    for (size_t i = 1; i < kN; ++i)
        mt_[i] = 6364136223846793005ull * (mt_[i - 1] ^ (mt_[i - 1] >> 62)) + i;
}

SPARSECIM_HOT_CLONES
void Mt64::refill() {
    uint64_t* mt = mt_.data();
    // k < n - m reads words not yet rewritten (k + 1 and k + m); four at a time, loaded before
    // the store, as the one-word loop reads them.
    static_assert((kN - kM) % 4 == 0);
    for (size_t k = 0; k < kN - kM; k += 4)
        store(mt + k, twist(load(mt + k), load(mt + k + 1), load(mt + k + kM)));
    // n - m <= k < n - 1 reads mt[k + m - n], rewritten 156 words before: four at a time too,
    // the last words one by one.
    size_t k = kN - kM;
    for (; k + 4 <= kN - 1; k += 4)
        store(mt + k, twist(load(mt + k), load(mt + k + 1), load(mt + k + kM - kN)));
    for (; k < kN - 1; ++k) mt[k] = twist(mt[k], mt[k + 1], mt[k + kM - kN]);
    mt[kN - 1] = twist(mt[kN - 1], mt[0], mt[kM - 1]);
    static_assert(kN % 4 == 0);
    for (size_t i = 0; i < kN; i += 4) store(out_.data() + i, temper(load(mt + i)));
    next_ = 0;
}

}  // namespace sparsecim
