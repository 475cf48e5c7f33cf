// Shelf packing heuristics for pattern-block placement.
#include "schemes/pattern/shelf_packing.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace sparsecim {

ShelfPacking pack_shelves(const std::vector<int64_t>& widths, int64_t capacity,
                          PlacementMethod method) {
    if (capacity < 1) throw Error("pattern placement: a shelf must hold at least one output");
    struct Piece {
        size_t item;
        int64_t first, count;
    };
    std::vector<Piece> pieces;
    for (size_t i = 0; i < widths.size(); ++i)
        for (int64_t f = 0; f < widths[i]; f += capacity)
            pieces.push_back({i, f, std::min(capacity, widths[i] - f)});
    std::stable_sort(pieces.begin(), pieces.end(),
                     [](const Piece& a, const Piece& b) { return a.count > b.count; });

    ShelfPacking out;
    std::vector<int64_t> used;  // per shelf
    auto put = [&](const Piece& pc, int64_t first, int64_t count, size_t shelf) {
        if (shelf == used.size()) used.push_back(0);
        out.segments.push_back({pc.item, first, count, static_cast<int64_t>(shelf), used[shelf]});
        used[shelf] += count;
    };
    for (const Piece& pc : pieces) {
        switch (method) {
            case PlacementMethod::FirstFit: {
                size_t s = 0;
                while (s < used.size() && used[s] + pc.count > capacity) ++s;
                put(pc, pc.first, pc.count, s);
                break;
            }
            case PlacementMethod::BestFit: {
                size_t best = used.size();
                for (size_t s = 0; s < used.size(); ++s)
                    if (used[s] + pc.count <= capacity &&
                        (best == used.size() || used[s] > used[best]))
                        best = s;
                put(pc, pc.first, pc.count, best);
                break;
            }
            case PlacementMethod::Split: {
                int64_t first = pc.first, left = pc.count;
                while (left > 0) {
                    if (used.empty() || used.back() == capacity) used.push_back(0);
                    const size_t s = used.size() - 1;
                    const int64_t take = std::min(left, capacity - used[s]);
                    put(pc, first, take, s);
                    first += take;
                    left -= take;
                }
                break;
            }
        }
    }
    out.shelves = static_cast<int64_t>(used.size());
    std::stable_sort(out.segments.begin(), out.segments.end(),
                     [](const ShelfSegment& a, const ShelfSegment& b) {
                         return a.shelf != b.shelf ? a.shelf < b.shelf : a.pos < b.pos;
                     });
    return out;
}

}  // namespace sparsecim
