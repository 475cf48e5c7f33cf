// Mt64 gives std::mt19937_64's stream, for any seed, across many refills.
#include <gtest/gtest.h>

#include <random>

#include "core/mt64.hpp"

using namespace sparsecim;

TEST(Mt64, IsStdMt19937_64) {
    for (uint64_t seed :
         {uint64_t{0}, uint64_t{5489}, uint64_t{42}, ~uint64_t{0}, uint64_t{0x9E3779B97F4A7C15}}) {
        std::mt19937_64 want(seed);
        Mt64 got(seed);
        for (int i = 0; i < 5 * 312 + 7; ++i)
            ASSERT_EQ(got(), want()) << "seed " << seed << " draw " << i;
    }
    // The 10,000th draw of the default seed, as the C++ standard states it.
    Mt64 d;
    uint64_t v = 0;
    for (int i = 0; i < 10000; ++i) v = d();
    EXPECT_EQ(v, 9981545732273789042ull);
}
