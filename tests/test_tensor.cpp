// Tensor and shape helpers.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/tensor.hpp"

using namespace sparsecim;

TEST(Tensor, NumelAndShapeString) {
    EXPECT_EQ(numel({2, 3, 4}), 24);
    EXPECT_EQ(numel({}), 1);
    EXPECT_EQ(shape_str({1, 28, 28}), "[1,28,28]");
    EXPECT_THROW(numel({2, -1}), Error);
    Tensor t({2, 2}, 1.5f);
    EXPECT_EQ(t.size(), 4);
    EXPECT_FLOAT_EQ(t.data[3], 1.5f);
}
