// The csr mapper (deck 000): weights bit-sliced slice-plane-major (each slice of every logical
// column is one physical column; an OU holds P_BL logical columns of one slice), the layer's rows
// cut into row bands of one crossbar height, the columns into shuffle windows of alpha OUs. Per
// (band, window) a permutation of the window's column blocks (beta columns, shared by all slice
// planes, found by the GA) decides which blocks share an OU; greedy compression keeps, per OU
// column group, only its non-zero OU-rows, packed upward, heights balanced to differ by < P_WL;
// compressed bands are stacked into crossbars. RowInput tables say which input feeds each stored
// row; ColOutput tables carry the permutation, so outputs land in the original order (the Benes).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hw/hw_config.hpp"
#include "map/encoding.hpp"
#include "map/mapping.hpp"
#include "model/weight_matrix.hpp"
#include "schemes/csr/csr_params.hpp"
#include "schemes/csr/csr_search.hpp"

namespace sparsecim {

// 2x2 switches of a Benes network on n inputs (n rounded up to a power of two):
// n*log2(n) - n/2; 0 for n <= 1.
int64_t benes_switches(int64_t n);
// Switch stages a value traverses: 2*log2(n) - 1; 0 for n <= 1.
int64_t benes_stages(int64_t n);

// With csr.fault_aware and a `chip_seed` (the layer's devices, SchemeContext::chip_seed) on
// hardware with stuck-at faults, the mapping is placed around the chip's stuck cells
// (place_around_faults); otherwise the seed is unused.
Mapping map_csr(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p,
                std::optional<uint64_t> chip_seed = std::nullopt);

// The layout every phase of map_csr shares: the layer's rows cut into bands of one crossbar
// height, its columns (padded to a multiple of lcm(beta, P_BL)) into shuffle windows of alpha OUs,
// each window into OU column groups ("slots"). Problem (band b, window win) is b * windows + win;
// slot (b, win, g) is its group g. Built by csr_geometry, which checks that the hardware and the
// parameters fit (Error naming the field).
struct CsrGeometry {
    const WeightMatrix* w = nullptr;
    int beta = 1, ou_rows = 1, ou_cols = 1, xbar_rows = 1, xbar_cols = 1;
    int64_t window_cols = 0;  // alpha x P_BL
    int64_t padded_cols = 0;  // slice plane width, padded
    int64_t bands = 0, windows = 0;
    int64_t slots = 0;  // OU column groups of a full window
    bool stack = true;  // csr.stack: compressed row bands share crossbars while they fit

    int64_t window_width(int64_t win) const {
        return std::min(window_cols, padded_cols - win * window_cols);
    }
    size_t slot(int64_t b, int64_t win, int64_t g) const {
        return static_cast<size_t>((b * windows + win) * slots + g);
    }
    int band_rows(int64_t b) const;
    // The logical column at position x of window `win` under permutation `perm` (of its blocks),
    // or -1 for a padding column.
    int64_t column_at(const std::vector<int>& perm, int64_t win, int64_t x) const;
    // Logical weights in group g of window `win` under `perm` (padding columns hold none).
    int64_t live_cols(const std::vector<int>& perm, int64_t win, int64_t g) const;
    // Weight positions of row k there: the live columns in k's diagonal block (all of them
    // unless the layer is grouped).
    int64_t live_positions(const std::vector<int>& perm, int64_t win, int64_t g, int64_t k) const;
};
CsrGeometry csr_geometry(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p);

// map_csr's shuffle phase: per (band, window) problem (band-major, `windows` per band) the
// permutation of its column blocks that csr.search chooses (identity, ga seeded per layer name,
// band and window, or exhaustive), with the search's totals.
struct ShuffleResult {
    std::vector<std::vector<int>> perm;            // one per problem
    int64_t evaluations = 0;                       // fitness evaluations of the search
    int64_t rows_identity = 0, rows_searched = 0;  // stored OU-rows without / with the shuffle
    int64_t ops_identity = 0, ops_searched = 0;    // OU ops per plane without / with it
    int64_t windows_improved = 0;                  // windows the search made cheaper
};
ShuffleResult search_shuffles(const std::vector<WindowProblem>& problems, int64_t windows,
                              const CsrParams& p, const std::string& layer);

// map_csr's compress phase: for every (band, window) problem (band-major, `windows` per band)
// under its permutation, per OU column group the band rows it stores: its non-empty rows packed
// upward, plus padding rows so that heights differ by less than P_WL (csr.balance: "window" within
// each window, "layer" across the band's windows, "none"). rows[problem * slots + group];
// band_rows[b] is band b's row count.
struct CompressResult {
    std::vector<std::vector<int32_t>> rows;
    int64_t padding_rows = 0;  // rows stored only for the balance
};
CompressResult compress_rows(const std::vector<WindowProblem>& problems,
                             const std::vector<std::vector<int>>& perms, int64_t windows,
                             int64_t slots, const std::string& balance,
                             const std::vector<int>& band_rows);

// The stored rows of one OU column group: the band rows its mask `gmask` sets, plus its first
// `padding` unset rows (the balance), in ascending order.
void stored_rows(const uint64_t* gmask, int band_rows, int64_t padding, std::vector<int32_t>& out);

// Where map_csr's compressed rows go: every (slice plane, window) unit in crossbar column
// stripes (in order, a new stripe when the next one does not fit), and per stripe the compressed
// bands stacked into crossbars while every group's rows fit. Depends on the rows' counts only.
struct CsrLayout {
    struct Unit {  // one shuffle window of one slice plane in a column stripe
        int slice = 0;
        int64_t window = 0;
        int col0 = 0;   // first column in the stripe
        int width = 0;  // columns
    };
    struct Group {  // one OU column group of a stripe
        size_t unit = 0;
        int slice = 0;
        int64_t window = 0, g = 0;
        int col0 = 0;
    };
    struct Stripe {
        std::vector<Unit> units;
        std::vector<Group> groups;
        std::vector<int64_t> tile;           // per band: its crossbar, -1 = stores nothing here
        std::vector<std::vector<int>> row0;  // per band, per group: its first row there
    };
    struct Place {
        int64_t tile = -1;  // crossbar, counted from the layer's first; -1 = not placed
        int row0 = 0, col0 = 0;
    };
    std::vector<Stripe> stripes;
    // at[slice * geo.slot(bands, 0, 0) + slot]: where that slice plane of the slot's group sits.
    std::vector<Place> at;
    int64_t tiles = 0;
};
CsrLayout csr_layout(const CsrGeometry& geo, int cpo,
                     const std::vector<std::vector<int32_t>>& rows);

// map_csr's placement and schedule phase: every (slice plane, window) placed in crossbar column
// stripes (in order, a new stripe when the next one does not fit), the compressed bands of a
// stripe stacked into crossbars while every group's rows fit; per crossbar and band, its output
// table (the window's columns in permuted order: the Benes's undoing), its input table (which
// input row feeds each stored row), its cells (`enc`: the cell states of every weight, slice by
// slice) and its row-first OU schedule (OU-row step i across every group of the stripe, the
// first op of a step fetching the inputs), appended to m.tiles. Returns what was stored.
struct CsrPlacement {
    int64_t weight_slots = 0;      // logical weight slots stored (one slice plane)
    int64_t weight_positions = 0;  // of them, real weight positions (grouped layers have fewer)
};
CsrPlacement place_and_schedule(const CsrGeometry& g, const ColumnCode& code,
                                const std::vector<uint8_t>& enc,
                                const std::vector<std::vector<int>>& perms,
                                const std::vector<std::vector<int32_t>>& rows, Mapping& m);

// map_csr's fault-aware phase (csr.fault_aware): given the chip's stuck cells, per (band,
// window) problem a permutation of its blocks found by the GA whose fitness is the error the
// stuck cells under its stored rows make (|stuck - programmed state| steps, weighted 2^shift by
// the cell's slice), among those whose every group fits the rows compression gave it (padded to
// them, so the layout, stored rows and OU slots do not change); then each group's rows reordered
// over its physical rows by pairwise swaps inside each OU op's rows (so zero-input skipping is
// unchanged by the reorder). Updates `perms` and `rows`; returns the error before and after.
struct FaultPlacement {
    int64_t faulty_cells = 0;  // stuck cells under stored rows (every slice plane)
    int64_t error_before = 0, error_after = 0;
};
class ChipFaults;
FaultPlacement place_around_faults(const CsrGeometry& geo, const ColumnCode& code,
                                   const std::vector<uint8_t>& enc,
                                   const std::vector<WindowProblem>& problems,
                                   const ChipFaults& faults, const CsrParams& p,
                                   const std::string& layer, std::vector<std::vector<int>>& perms,
                                   std::vector<std::vector<int32_t>>& rows);

// map_csr's index phase: a row index (log2 R bits) per stored OU-row of a logical group (the
// slice planes share it), and one configuration bit per Benes switch of every (band, window)
// that stores a row.
struct CsrIndex {
    int64_t stored_rows = 0;
    int64_t row_index_bits = 0;
    int64_t benes_config_bits = 0;
};
CsrIndex index_metadata(const CsrGeometry& g, const std::vector<std::vector<int32_t>>& rows);

// The prior-work comparison point beside csr (csr_kmeans.hpp): zero weights a k-means-reordered,
// block-skipping mapping leaves out, at OU blocks (P_WL x P_BL) and at whole crossbars. Not part
// of the mapping; map_csr reports it as figures.
struct KmeansComparison {
    int64_t removed_ou = 0, removed_xbar = 0;
};
KmeansComparison kmeans_comparison(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p);

}  // namespace sparsecim
