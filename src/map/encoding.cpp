// Differential: W+ and W- magnitudes, each sliced into w_bits/cell_bits columns.
// Offset: w + 2^(w_bits-1) stored unsigned, the periphery subtracts the offset times sum(x).
// Two's complement: one column per bit (1-bit cells), the top bit weighted -2^(w_bits-1).
#include "map/encoding.hpp"

#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace sparsecim {

ColumnCode column_code(const HwConfig& hw) {
    ColumnCode code;
    const int slices = hw.slices_per_weight();
    auto add = [&](int8_t shift, int8_t sign) {
        ColOutput c;
        c.shift = shift;
        c.sign = sign;
        code.columns.push_back(c);
    };
    switch (hw.encoding) {
        case Encoding::Differential:
            for (int8_t sign : {int8_t{1}, int8_t{-1}})
                for (int s = 0; s < slices; ++s) add(static_cast<int8_t>(s * hw.cell_bits), sign);
            break;
        case Encoding::Offset:
            for (int s = 0; s < slices; ++s) add(static_cast<int8_t>(s * hw.cell_bits), 1);
            code.offset = int64_t{1} << (hw.w_bits - 1);
            break;
        case Encoding::TwosComplement:
            if (hw.cell_bits != 1)
                throw Error(hw.source + ": data.encoding: twos_complement needs cell_bits 1");
            for (int b = 0; b < hw.w_bits; ++b)
                add(static_cast<int8_t>(b), b == hw.w_bits - 1 ? int8_t{-1} : int8_t{1});
            break;
    }
    return code;
}

void encode_weight(int32_t w, const ColumnCode& /*code*/, const HwConfig& hw, uint8_t* states) {
    const int32_t lo = -(1 << (hw.w_bits - 1));
    const int32_t hi = (1 << (hw.w_bits - 1)) - 1;
    if (w < lo || w > hi)
        throw Error("weight " + std::to_string(w) + " does not fit in " +
                    std::to_string(hw.w_bits) + " bits");
    const uint32_t mask = (1u << hw.cell_bits) - 1;
    const int slices = hw.slices_per_weight();
    switch (hw.encoding) {
        case Encoding::Differential: {
            const uint32_t pos = w > 0 ? static_cast<uint32_t>(w) : 0;
            const uint32_t neg = w < 0 ? static_cast<uint32_t>(-w) : 0;  // -2^(b-1) fits b bits
            for (int s = 0; s < slices; ++s) {
                states[s] = static_cast<uint8_t>((pos >> (s * hw.cell_bits)) & mask);
                states[slices + s] = static_cast<uint8_t>((neg >> (s * hw.cell_bits)) & mask);
            }
            break;
        }
        case Encoding::Offset: {
            const uint32_t u = static_cast<uint32_t>(w + (1 << (hw.w_bits - 1)));
            for (int s = 0; s < slices; ++s)
                states[s] = static_cast<uint8_t>((u >> (s * hw.cell_bits)) & mask);
            break;
        }
        case Encoding::TwosComplement: {
            const uint32_t u = static_cast<uint32_t>(w) & ((1u << hw.w_bits) - 1);
            for (int b = 0; b < hw.w_bits; ++b) states[b] = static_cast<uint8_t>((u >> b) & 1u);
            break;
        }
    }
}

}  // namespace sparsecim
