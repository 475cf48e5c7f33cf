// Weight encoding: how one signed integer weight becomes the cell states of several physical
// columns (bit slicing within a crossbar) under the differential, offset or two's complement
// encodings. Shared by every mapper that stores ordinary integer weights.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/hw_config.hpp"
#include "map/mapping.hpp"

namespace sparsecim {

struct ColumnCode {
    std::vector<ColOutput> columns;  // per physical column of one logical output: shift, sign
                                     // (n is left at -1; the mapper sets it)
    int64_t offset = 0;              // value added to every weight before slicing (offset enc.)
};

// The physical columns one logical output occupies for `hw`'s encoding and cell size.
ColumnCode column_code(const HwConfig& hw);

// Cell states of weight `w` in the columns of `code` (same order). Throws Error if `w` does not
// fit in hw.w_bits.
void encode_weight(int32_t w, const ColumnCode& code, const HwConfig& hw, uint8_t* states);

}  // namespace sparsecim
