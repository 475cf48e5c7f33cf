// Pattern-block mapping: blocks from the keep mask, shelf placement, tiles with gather/scatter
// tables, OU schedule per placed segment, and the periphery, index and figures it costs.
#include "schemes/pattern/pattern_map.hpp"

#include <algorithm>
#include <bit>
#include <map>

#include "core/error.hpp"
#include "map/dense_mapper.hpp"
#include "map/encoding.hpp"
#include "map/ou_grid.hpp"
#include "schemes/pattern/shelf_packing.hpp"

namespace sparsecim {

namespace {

constexpr int kPositions = 9;

// Bits to name one of n things (0 when there is only one).
int64_t bits_for(int64_t n) {
    return n <= 1 ? 0 : static_cast<int64_t>(std::bit_width(static_cast<uint64_t>(n - 1)));
}

PatternMask kernel_mask(const WeightMatrix& w, int64_t c, int64_t n) {
    PatternMask m = 0;
    for (int q = 0; q < kPositions; ++q)
        if (w.keep[static_cast<size_t>((c * kPositions + q) * w.N + n)])
            m = static_cast<PatternMask>(m | (1u << q));
    return m;
}

// The layer's distinct patterns, most used first (ties: smaller mask first).
std::vector<PatternMask> library_of(const WeightMatrix& w) {
    std::map<PatternMask, int64_t> freq;
    for (int64_t c = 0; c < w.K / kPositions; ++c)
        for (int64_t n = 0; n < w.N; ++n)
            if (PatternMask m = kernel_mask(w, c, n)) ++freq[m];
    std::vector<std::pair<PatternMask, int64_t>> ranked(freq.begin(), freq.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<PatternMask> lib;
    for (const auto& r : ranked) lib.push_back(r.first);
    return lib;
}

int64_t crossbars_for(int64_t shelves, int64_t shelves_per_xbar) {
    return (shelves + shelves_per_xbar - 1) / shelves_per_xbar;
}

// A layer pattern pruning leaves alone is mapped as dense, with the zero-input skipping of the
// pattern crossbars beside it (as its matched baseline, dense[skip_zero], maps it).
Mapping dense_fallback(const QuantLayer& layer, const HwConfig& hw, const PatternParams& p,
                       const std::string& why) {
    Mapping m = map_dense(layer.weights, hw);
    m.scheme = "pattern";
    m.skip_zero_ou = p.skip_zero;
    m.notes.push_back(why + ": mapped densely");
    m.figures["dense_fallback_layers"] = 1;
    return m;
}

}  // namespace

std::vector<PatternBlock> pattern_blocks(const WeightMatrix& w) {
    const std::vector<PatternMask> lib = library_of(w);
    std::vector<PatternBlock> blocks;
    for (int64_t c = 0; c < w.K / kPositions; ++c) {
        std::vector<PatternBlock> of_c(lib.size());
        for (int64_t n = 0; n < w.N; ++n) {
            const PatternMask m = kernel_mask(w, c, n);
            if (!m) continue;
            const size_t id =
                static_cast<size_t>(std::find(lib.begin(), lib.end(), m) - lib.begin());
            of_c[id].outputs.push_back(static_cast<int32_t>(n));
        }
        for (size_t id = 0; id < lib.size(); ++id) {
            if (of_c[id].outputs.empty()) continue;
            of_c[id].c = c;
            of_c[id].mask = lib[id];
            blocks.push_back(std::move(of_c[id]));
        }
    }
    return blocks;
}

Mapping map_pattern(const QuantLayer& layer, const HwConfig& hw, const PatternParams& p) {
    const WeightMatrix& W = layer.weights;
    if (layer.kernel_h == 0) return dense_fallback(layer, hw, p, "not a convolution");
    if (layer.exempt) return dense_fallback(layer, hw, p, "exempt from pruning");
    if (layer.kernel_h != 3 || layer.kernel_w != 3)
        return dense_fallback(layer, hw, p,
                              "kernel " + std::to_string(layer.kernel_h) + "x" +
                                  std::to_string(layer.kernel_w) + ", not 3x3");
    if (hw.encoding == Encoding::Offset)
        throw Error(hw.source +
                    ": data.encoding: the pattern scheme stores only the patterns' positions, "
                    "but offset encoding needs every pruned zero stored as 2^(b-1); use "
                    "differential or twos_complement");
    const ColumnCode code = column_code(hw);
    const int64_t cpo = static_cast<int64_t>(code.columns.size());
    const std::vector<PatternMask> lib = library_of(W);
    const std::vector<PatternBlock> blocks = pattern_blocks(W);
    int height = 1;
    for (PatternMask m : lib) height = std::max(height, std::popcount(m));
    const int64_t capacity = hw.xbar_cols / cpo;  // outputs per shelf
    const int64_t shelves_per_xbar = hw.xbar_rows / height;
    if (capacity < 1 || shelves_per_xbar < 1)
        throw Error(hw.source + ": crossbar " + std::to_string(hw.xbar_rows) + "x" +
                    std::to_string(hw.xbar_cols) + " cannot hold one " + std::to_string(height) +
                    "-row pattern of one output (" + std::to_string(cpo) + " columns)");

    std::vector<int64_t> widths;
    for (const PatternBlock& b : blocks) widths.push_back(static_cast<int64_t>(b.outputs.size()));
    Mapping m = empty_mapping("pattern", W, hw.cell_bits);
    m.offset = code.offset;
    m.skip_zero_ou = p.skip_zero;
    for (PlacementMethod method : all_placements())
        m.figures[std::string("crossbars_") + placement_name(method)] = static_cast<double>(
            crossbars_for(pack_shelves(widths, capacity, method, shelves_per_xbar).shelves,
                          shelves_per_xbar));
    const ShelfPacking pack = pack_shelves(widths, capacity, p.placement, shelves_per_xbar);
    const int64_t ntiles = crossbars_for(pack.shelves, shelves_per_xbar);
    m.tiles.assign(static_cast<size_t>(ntiles), empty_tile(hw.xbar_rows, hw.xbar_cols));

    std::vector<uint8_t> states(static_cast<size_t>(cpo));
    int64_t gathered = 0, outputs_placed = 0;
    for (const ShelfSegment& seg : pack.segments) {
        const PatternBlock& b = blocks[seg.item];
        Tile& t = m.tiles[static_cast<size_t>(seg.shelf / shelves_per_xbar)];
        const int r0 = static_cast<int>((seg.shelf % shelves_per_xbar) * height);
        const int c0 = static_cast<int>(seg.pos * cpo);
        const auto in_ofs = static_cast<uint32_t>(t.inputs.size());
        const auto out_ofs = static_cast<uint32_t>(t.outputs.size());
        std::vector<int64_t> rows;  // the pattern's rows of channel c: the gather list
        for (int q = 0; q < kPositions; ++q)
            if ((b.mask >> q) & 1) rows.push_back(b.c * kPositions + q);
        for (int64_t k : rows) t.inputs.push_back({static_cast<int32_t>(k), 0});
        for (int64_t o = 0; o < seg.count; ++o) {
            const int32_t n = b.outputs[static_cast<size_t>(seg.first + o)];
            for (int64_t j = 0; j < cpo; ++j) {
                ColOutput co = code.columns[static_cast<size_t>(j)];
                co.n = n;
                t.outputs.push_back(co);
            }
            for (size_t i = 0; i < rows.size(); ++i) {
                encode_weight(W.at(rows[i], n), code, hw, states.data());
                for (int64_t j = 0; j < cpo; ++j)
                    t.cell(r0 + static_cast<int>(i), c0 + static_cast<int>(o * cpo + j)) =
                        states[static_cast<size_t>(j)];
            }
        }
        const int nrows = static_cast<int>(rows.size());
        const int ncols = static_cast<int>(seg.count * cpo);
        add_ou_grid(t, OuBlock{r0, nrows, c0, ncols, in_ofs, out_ofs}, hw);
        gathered += nrows;
        outputs_placed += seg.count;
    }

    // Metadata: the pattern library; per segment its input channel and pattern id (the input
    // preprocessing unit derives the rows from them), its column span, and per output its
    // address (the output indexing unit's table).
    const int64_t segments = static_cast<int64_t>(pack.segments.size());
    const int64_t cin = W.K / kPositions;
    m.index_bits["pattern_library"] = static_cast<int64_t>(lib.size()) * kPositions;
    m.index_bits["pattern_input_index"] =
        segments * (bits_for(cin) + bits_for(static_cast<int64_t>(lib.size())));
    m.index_bits["pattern_segment_span"] = segments * 2 * bits_for(capacity + 1);
    m.index_bits["pattern_output_index"] = outputs_placed * bits_for(W.N);
    // Periphery: one input preprocessing unit and one output indexing unit per crossbar.
    m.units["pattern_ipu"] = ntiles;
    m.units["pattern_oiu"] = ntiles;
    using Per = Mapping::EventRule::Per;
    m.events.push_back({"pattern_gather", Per::Position, gathered});
    if (p.skip_zero) m.events.push_back({"pattern_zero_check", Per::OpSlot, 1});
    m.events.push_back({"pattern_scatter", Per::Conversion, 1});

    int64_t kernels_kept = 0;
    for (const PatternBlock& b : blocks) kernels_kept += static_cast<int64_t>(b.outputs.size());
    // The dense mapper's crossbars for this layer, and its kernels (a grouped layer's structural
    // zeros are no kernels).
    const std::vector<DensePiece> dense = dense_pieces(W, hw.xbar_rows, capacity);
    const int64_t dense_xbars = dense.empty() ? 0 : dense.back().tile + 1;
    const int64_t kernels = cin * W.N / W.groups;
    m.figures["patterns"] = static_cast<double>(lib.size());
    m.figures["kernels"] = static_cast<double>(kernels);
    m.figures["kernels_kept"] = static_cast<double>(kernels_kept);
    m.figures["pattern_blocks"] = static_cast<double>(blocks.size());
    m.figures["block_segments"] = static_cast<double>(segments);
    m.figures["shelves"] = static_cast<double>(pack.shelves);
    m.figures["shelf_slots"] = static_cast<double>(pack.shelves * capacity);
    m.figures["shelf_slots_used"] = static_cast<double>(outputs_placed);
    m.figures["crossbar_cells"] =
        static_cast<double>(ntiles) * hw.xbar_rows * static_cast<double>(hw.xbar_cols);
    m.figures["block_cells"] = static_cast<double>(m.used_cells());
    m.figures["dense_crossbars"] = static_cast<double>(dense_xbars);
    m.figures["pattern_layers"] = 1;
    m.notes.push_back("3x3 pattern blocks: " + std::to_string(lib.size()) + " patterns, " +
                      std::to_string(kernels_kept) + "/" + std::to_string(kernels) +
                      " kernels kept, " + std::to_string(blocks.size()) + " blocks in " +
                      std::to_string(segments) + " segments, placement " +
                      placement_name(p.placement) + ": " + std::to_string(ntiles) +
                      " crossbars (dense " + std::to_string(dense_xbars) + ")");
    return m;
}

}  // namespace sparsecim
