// Shelf packing heuristics for pattern-block placement.
#include "schemes/pattern/shelf_packing.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"

namespace sparsecim {

ShelfPacking pack_shelves(const std::vector<int64_t>& widths, int64_t capacity,
                          PlacementMethod method, int64_t shelves_per_group) {
    if (capacity < 1 || shelves_per_group < 1)
        throw Error("pattern placement: a shelf must hold at least one output");
    if (method == PlacementMethod::FirstFitSplit) {
        ShelfPacking ffd = pack_shelves(widths, capacity, PlacementMethod::FirstFit);
        int64_t total = 0;
        for (int64_t w : widths) total += w;
        const int64_t bound = (total + capacity - 1) / capacity;
        auto groups = [&](int64_t shelves) {
            return (shelves + shelves_per_group - 1) / shelves_per_group;
        };
        if (groups(ffd.shelves) <= groups(bound)) return ffd;
    }
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
            case PlacementMethod::FirstFitSplit: {
                size_t s = 0;
                while (s < used.size() && used[s] + pc.count > capacity) ++s;
                if (s < used.size()) {
                    put(pc, pc.first, pc.count, s);
                    break;
                }
                std::vector<size_t> room(used.size());
                std::iota(room.begin(), room.end(), size_t{0});
                std::stable_sort(room.begin(), room.end(),
                                 [&](size_t a, size_t b) { return used[a] < used[b]; });
                int64_t first = pc.first, left = pc.count;
                for (size_t r : room) {
                    if (left == 0) break;
                    const int64_t take = std::min(left, capacity - used[r]);
                    if (take == 0) break;  // the rest are full too (sorted by free room)
                    put(pc, first, take, r);
                    first += take;
                    left -= take;
                }
                while (left > 0) {
                    const int64_t take = std::min(left, capacity);
                    put(pc, first, take, used.size());
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
