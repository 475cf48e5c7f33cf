// The csr mapper (deck 000): weights bit-sliced slice-plane-major (each slice of every logical
// column is one physical column; an OU holds P_BL logical columns of one slice), the layer's rows
// cut into row bands of one crossbar height, the columns into shuffle windows of alpha OUs. Per
// (band, window) a permutation of the window's column blocks (beta columns, shared by all slice
// planes, found by the GA) decides which blocks share an OU; greedy compression keeps, per OU
// column group, only its non-zero OU-rows, packed upward, heights balanced to differ by < P_WL;
// compressed bands are stacked into crossbars. RowInput tables say which input feeds each stored
// row; ColOutput tables carry the permutation, so outputs land in the original order (the Benes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/hw_config.hpp"
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

Mapping map_csr(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p);

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

// The prior-work comparison point beside csr (csr_kmeans.hpp): zero weights a k-means-reordered,
// block-skipping mapping leaves out, at OU blocks (P_WL x P_BL) and at whole crossbars. Not part
// of the mapping; map_csr reports it as figures.
struct KmeansComparison {
    int64_t removed_ou = 0, removed_xbar = 0;
};
KmeansComparison kmeans_comparison(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p);

}  // namespace sparsecim
