// A hardware config for tests: the fields that shape a mapping (encoding, cell bits, crossbar and
// OU size), everything else at HwConfig's defaults.
#pragma once

#include "hw/hw_config.hpp"

namespace sparsecim::testing {

inline HwConfig hw_shape(Encoding enc, int cell_bits, int rows, int cols, int ou_rows,
                         int ou_cols) {
    HwConfig hw;
    hw.encoding = enc;
    hw.cell_bits = cell_bits;
    hw.xbar_rows = rows;
    hw.xbar_cols = cols;
    hw.ou_rows = ou_rows;
    hw.ou_cols = ou_cols;
    return hw;
}

}  // namespace sparsecim::testing
