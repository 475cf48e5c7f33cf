// Placement of pattern blocks on crossbars, as shelf packing: a shelf is one row band of a
// crossbar (as tall as a pattern) holding `capacity` logical outputs side by side; a block of w
// outputs takes w consecutive output slots of one shelf (or, with splitting, several pieces in
// several shelves). Blocks wider than a shelf are first cut into shelf-wide pieces.
//   ffd:   first-fit decreasing (pieces by width, widest first, each into the first shelf it fits)
//   bfd:   best-fit decreasing (each into the fullest shelf it fits)
//   split: widest first, filling shelves to the brim, a piece that does not fit is split at an
//          output boundary and continues in the next shelf: ceil(total / capacity) shelves, at the
//          price of one more segment (input gather and index entry) per split.
//   ffd_split: ffd when it needs no more groups of `shelves_per_group` shelves (crossbars) than
//          the lower bound ceil(total / capacity) shelves do (no split, fewest segments); else
//          first fit for every piece that fits an open shelf whole, and a piece that fits none
//          is split over the open shelves with the most free room first before new shelves are
//          opened: then it reaches the lower bound like split, with fewer splits.
#pragma once

#include <cstdint>
#include <vector>

#include "schemes/pattern/pattern_params.hpp"

namespace sparsecim {

struct ShelfSegment {
    size_t item = 0;    // which block
    int64_t first = 0;  // its first output (index into the block's outputs)
    int64_t count = 0;  // outputs in this segment
    int64_t shelf = 0;  // which shelf
    int64_t pos = 0;    // first output slot in the shelf
};

struct ShelfPacking {
    std::vector<ShelfSegment> segments;  // by shelf, then position
    int64_t shelves = 0;
};

ShelfPacking pack_shelves(const std::vector<int64_t>& widths, int64_t capacity,
                          PlacementMethod method, int64_t shelves_per_group = 1);

}  // namespace sparsecim
