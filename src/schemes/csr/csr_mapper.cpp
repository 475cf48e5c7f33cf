// The csr mapper: block masks per row band, a searched permutation per (band, window), greedy
// compression with the height-balance constraint, stacking of compressed bands into crossbars,
// row-first OU schedule, index/Benes/zero-flag costs and the pipelined timing stages.
#include "schemes/csr/csr_mapper.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "map/dense_mapper.hpp"
#include "map/encoding.hpp"
#include "map/ou_grid.hpp"
#include "schemes/csr/csr_kmeans.hpp"
#include "schemes/csr/csr_search.hpp"
#include "schemes/param_table.hpp"
#include "sim/device.hpp"

namespace sparsecim {

namespace {

int64_t next_pow2(int64_t n) {
    int64_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

int64_t log2_exact(int64_t p) {
    return std::countr_zero(static_cast<uint64_t>(p));
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t fnv1a(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

// Lloyd rounds of the k-means comparison point (k-modes converges in far fewer on every zoo layer).
constexpr int kKmeansIterations = 100;

// Rows a group's row mask sets (`words` 64-bit words).
int64_t mask_rows(const uint64_t* mask, int words) {
    int64_t h = 0;
    for (int x = 0; x < words; ++x) h += std::popcount(mask[x]);
    return h;
}

int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

const ComponentSpec& component(const HwConfig& hw, const std::string& name) {
    auto it = hw.components.find(name);
    if (it == hw.components.end())
        throw Error(hw.source + ": components." + name +
                    ": missing (the csr scheme's hardware uses it; see configs/hw/csr.yaml)");
    return it->second;
}

}  // namespace

int64_t benes_switches(int64_t n) {
    if (n <= 1) return 0;
    const int64_t p = next_pow2(n);
    return p * log2_exact(p) - p / 2;
}

int64_t benes_stages(int64_t n) {
    if (n <= 1) return 0;
    return 2 * log2_exact(next_pow2(n)) - 1;
}

ShuffleResult search_shuffles(const std::vector<WindowProblem>& problems, int64_t windows,
                              const CsrParams& p, const std::string& layer) {
    ShuffleResult res;
    res.perm.resize(problems.size());
    GaOptions ga;
    ga.population = p.ga_population;
    ga.generations = p.ga_generations;
    ga.mutation = p.ga_mutation;
    ga.tournament = p.ga_tournament;
    ga.elite = p.ga_elite;
    const uint64_t layer_hash = fnv1a(layer);
    const WindowCost zero_cost{};
    for (size_t i = 0; i < problems.size(); ++i) {
        const auto b = static_cast<int64_t>(i) / windows, win = static_cast<int64_t>(i) % windows;
        WindowProblem prob = problems[i];
        prob.balance = p.balance != "none";
        const SearchResult id = identity_search(prob);
        SearchResult best = id;
        if (id.cost == zero_cost) {
            // nothing stored: nothing to search
        } else if (p.search == "ga") {
            ga.seed = mix(p.ga_seed ^ layer_hash ^
                          mix(static_cast<uint64_t>(b) << 32 ^ static_cast<uint64_t>(win)));
            best = ga_search(prob, ga);
        } else if (p.search == "exhaustive") {
            best = exhaustive_search(prob);
        }
        res.evaluations += best.evaluations;
        res.rows_identity += id.cost.stored_rows;
        res.ops_identity += id.cost.ou_ops;
        res.rows_searched += best.cost.stored_rows;
        res.ops_searched += best.cost.ou_ops;
        if (best.cost < id.cost) ++res.windows_improved;
        res.perm[i] = best.perm;
    }
    return res;
}

KmeansComparison kmeans_comparison(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p) {
    const uint64_t layer_hash = fnv1a(w.name);
    auto removed = [&](int slab_rows, int64_t block_cols, uint64_t tag) {
        const ColumnPatterns cp = column_patterns(w, hw.xbar_rows, slab_rows);
        const int k = p.kmeans_k > 0 ? p.kmeans_k : static_cast<int>(ceil_div(w.N, block_cols));
        const KmeansOrder o = kmeans_column_order(cp, k, kKmeansIterations,
                                                  mix(p.kmeans_seed ^ layer_hash ^ mix(tag)));
        return skipped_zero_weights(cp, o.order, block_cols);
    };
    return {removed(hw.ou_rows, hw.ou_cols, 1), removed(hw.xbar_rows, hw.xbar_cols, 2)};
}

void stored_rows(const uint64_t* gmask, int band_rows, int64_t padding, std::vector<int32_t>& out) {
    out.clear();
    for (int r = 0; r < band_rows; ++r) {
        const bool set = (gmask[r / 64] >> (r % 64)) & 1;
        if (set || padding > 0) {
            out.push_back(r);
            if (!set) --padding;
        }
    }
}

CompressResult compress_rows(const std::vector<WindowProblem>& problems,
                             const std::vector<std::vector<int>>& perms, int64_t windows,
                             int64_t slots, const std::string& balance,
                             const std::vector<int>& band_rows) {
    CompressResult res;
    res.rows.assign(problems.size() * static_cast<size_t>(slots), {});
    const auto nbands = static_cast<int64_t>(problems.size()) / windows;
    for (int64_t b = 0; b < nbands; ++b) {
        auto at = [&](int64_t win) { return static_cast<size_t>(b * windows + win); };
        std::vector<std::vector<uint64_t>> gm(static_cast<size_t>(windows));
        for (int64_t win = 0; win < windows; ++win)
            gm[static_cast<size_t>(win)] = group_row_masks(problems[at(win)], perms[at(win)]);
        auto height = [&](int64_t win, int64_t g) {
            const int words = problems[at(win)].words;
            return mask_rows(gm[static_cast<size_t>(win)].data() + g * words, words);
        };
        // Floors from the balance constraint.
        std::vector<int64_t> floor_h(static_cast<size_t>(windows), 0);
        if (balance != "none") {
            const int64_t slack = problems[at(0)].ou_rows - 1;  // heights may differ by < P_WL
            int64_t layer_max = 0;
            for (int64_t win = 0; win < windows; ++win) {
                int64_t hmax = 0;
                for (int64_t g = 0; g < problems[at(win)].groups(); ++g)
                    hmax = std::max(hmax, height(win, g));
                floor_h[static_cast<size_t>(win)] = std::max<int64_t>(0, hmax - slack);
                layer_max = std::max(layer_max, hmax);
            }
            if (balance == "layer")
                std::fill(floor_h.begin(), floor_h.end(), std::max<int64_t>(0, layer_max - slack));
        }
        for (int64_t win = 0; win < windows; ++win) {
            const WindowProblem& prob = problems[at(win)];
            for (int64_t g = 0; g < prob.groups(); ++g) {
                const uint64_t* gmask = gm[static_cast<size_t>(win)].data() + g * prob.words;
                const int64_t need =
                    std::max<int64_t>(0, floor_h[static_cast<size_t>(win)] - height(win, g));
                stored_rows(
                    gmask, band_rows[static_cast<size_t>(b)], need,
                    res.rows[at(win) * static_cast<size_t>(slots) + static_cast<size_t>(g)]);
                res.padding_rows += need;
            }
        }
    }
    return res;
}

CsrGeometry csr_geometry(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p) {
    CsrGeometry g;
    g.w = &w;
    g.beta = p.beta;
    g.ou_rows = hw.ou_rows;
    g.ou_cols = hw.ou_cols;
    g.xbar_rows = hw.xbar_rows;
    g.xbar_cols = hw.xbar_cols;
    g.window_cols = static_cast<int64_t>(p.alpha) * g.ou_cols;
    g.stack = p.stack;
    if (g.xbar_cols % g.ou_cols != 0)
        throw Error(hw.source + ": crossbar.cols: csr needs a multiple of ou.cols (" +
                    std::to_string(g.xbar_cols) + " vs " + std::to_string(g.ou_cols) + ")");
    if (g.window_cols % p.beta != 0)
        param_error("csr", "alpha",
                    "a window of alpha x P_BL = " + std::to_string(g.window_cols) +
                        " columns must be a multiple of beta = " + std::to_string(p.beta));
    if (g.window_cols > g.xbar_cols)
        param_error("csr", "alpha",
                    "a window of alpha x P_BL = " + std::to_string(g.window_cols) +
                        " columns exceeds the crossbar's " + std::to_string(g.xbar_cols) +
                        " columns");
    const int64_t unit_cols = std::lcm<int64_t>(p.beta, g.ou_cols);
    g.padded_cols = ceil_div(w.N, unit_cols) * unit_cols;
    g.bands = ceil_div(w.K, g.xbar_rows);
    g.windows = ceil_div(g.padded_cols, g.window_cols);
    g.slots = g.window_cols / g.ou_cols;
    return g;
}

int CsrGeometry::band_rows(int64_t b) const {
    return static_cast<int>(std::min<int64_t>(xbar_rows, w->K - b * xbar_rows));
}

int64_t CsrGeometry::column_at(const std::vector<int>& perm, int64_t win, int64_t x) const {
    const int64_t n = win * window_cols + perm[static_cast<size_t>(x / beta)] * beta + x % beta;
    return n < w->N ? n : -1;
}

int64_t CsrGeometry::live_cols(const std::vector<int>& perm, int64_t win, int64_t g) const {
    int64_t live = 0;
    for (int64_t x = g * ou_cols; x < (g + 1) * ou_cols; ++x) live += column_at(perm, win, x) >= 0;
    return live;
}

int64_t CsrGeometry::live_positions(const std::vector<int>& perm, int64_t win, int64_t g,
                                    int64_t k) const {
    if (w->groups == 1) return live_cols(perm, win, g);
    int64_t live = 0;
    for (int64_t x = g * ou_cols; x < (g + 1) * ou_cols; ++x) {
        const int64_t n = column_at(perm, win, x);
        live += n >= 0 && w->is_weight(k, n);
    }
    return live;
}

CsrLayout csr_layout(const CsrGeometry& geo, int cpo,
                     const std::vector<std::vector<int32_t>>& rows) {
    CsrLayout L;
    const int PBL = geo.ou_cols, R = geo.xbar_rows, C = geo.xbar_cols;
    auto height = [&](int64_t b, const CsrLayout::Group& sg) {
        return static_cast<int64_t>(rows[geo.slot(b, sg.window, sg.g)].size());
    };
    // Column stripes: units (slice plane, window) packed into crossbar widths in order.
    int used = C;
    for (int c = 0; c < cpo; ++c)
        for (int64_t win = 0; win < geo.windows; ++win) {
            const int width = static_cast<int>(geo.window_width(win));
            if (used + width > C) {
                L.stripes.emplace_back();
                used = 0;
            }
            CsrLayout::Stripe& st = L.stripes.back();
            st.units.push_back(CsrLayout::Unit{c, win, used, width});
            for (int64_t g = 0; g < width / PBL; ++g)
                st.groups.push_back(CsrLayout::Group{st.units.size() - 1, c, win, g,
                                                     used + static_cast<int>(g) * PBL});
            used += width;
        }
    // Compressed bands stacked into crossbars while every group's rows fit (csr.stack; without
    // it every row band keeps a crossbar of its own, as dense places it).
    L.at.assign(static_cast<size_t>(cpo) * geo.slot(geo.bands, 0, 0), CsrLayout::Place{});
    for (CsrLayout::Stripe& st : L.stripes) {
        st.tile.assign(static_cast<size_t>(geo.bands), -1);
        st.row0.assign(static_cast<size_t>(geo.bands), {});
        std::vector<int> off(st.groups.size(), 0);
        int64_t tile = -1;
        for (int64_t b = 0; b < geo.bands; ++b) {
            bool any = false, fits = geo.stack && tile >= 0;
            for (size_t s = 0; s < st.groups.size(); ++s) {
                const int64_t h = height(b, st.groups[s]);
                any = any || h > 0;
                if (off[s] + h > R) fits = false;
            }
            if (!any) continue;
            if (!fits) {
                tile = L.tiles++;
                std::fill(off.begin(), off.end(), 0);
            }
            st.tile[static_cast<size_t>(b)] = tile;
            st.row0[static_cast<size_t>(b)] = off;
            for (size_t s = 0; s < st.groups.size(); ++s) {
                const CsrLayout::Group& sg = st.groups[s];
                L.at[static_cast<size_t>(sg.slice) * geo.slot(geo.bands, 0, 0) +
                     geo.slot(b, sg.window, sg.g)] = CsrLayout::Place{tile, off[s], sg.col0};
                off[s] += static_cast<int>(height(b, sg));
            }
        }
    }
    return L;
}

CsrPlacement place_and_schedule(const CsrGeometry& geo, const ColumnCode& code,
                                const std::vector<uint8_t>& enc,
                                const std::vector<std::vector<int>>& perms,
                                const std::vector<std::vector<int32_t>>& rows, Mapping& m) {
    const int cpo = static_cast<int>(code.columns.size());
    const int PBL = geo.ou_cols, PWL = geo.ou_rows, R = geo.xbar_rows, C = geo.xbar_cols;
    const int64_t N = geo.w->N;
    auto perm = [&](int64_t b, int64_t win) -> const std::vector<int>& {
        return perms[static_cast<size_t>(b * geo.windows + win)];
    };
    const CsrLayout layout = csr_layout(geo, cpo, rows);
    const size_t first_tile = m.tiles.size();
    m.tiles.reserve(first_tile + static_cast<size_t>(layout.tiles));

    // Emit, per stripe and band, its tables, cells and row-first schedule into its crossbar.
    CsrPlacement out;
    for (const CsrLayout::Stripe& stripe : layout.stripes) {
        const std::vector<CsrLayout::Group>& sgs = stripe.groups;
        for (int64_t b = 0; b < geo.bands; ++b) {
            if (stripe.tile[static_cast<size_t>(b)] < 0) continue;
            const size_t t = first_tile + static_cast<size_t>(stripe.tile[static_cast<size_t>(b)]);
            if (t == m.tiles.size()) m.tiles.push_back(empty_tile(R, C));
            Tile* tile = &m.tiles[t];
            const std::vector<int>& off = stripe.row0[static_cast<size_t>(b)];
            // Output tables: per unit, its columns in permuted order (the Benes's undoing).
            std::vector<uint32_t> out_base(stripe.units.size());
            for (size_t ui = 0; ui < stripe.units.size(); ++ui) {
                const CsrLayout::Unit& u = stripe.units[ui];
                out_base[ui] = static_cast<uint32_t>(tile->outputs.size());
                for (int x = 0; x < u.width; ++x) {
                    ColOutput co = code.columns[static_cast<size_t>(u.slice)];
                    co.n = static_cast<int32_t>(geo.column_at(perm(b, u.window), u.window, x));
                    tile->outputs.push_back(co);
                }
            }
            // Input tables and cells, per stripe group.
            std::vector<uint32_t> in_base(sgs.size());
            int64_t steps = 0;
            for (size_t s = 0; s < sgs.size(); ++s) {
                const CsrLayout::Group& sg = sgs[s];
                const std::vector<int>& pm = perm(b, sg.window);
                const std::vector<int32_t>& rr = rows[geo.slot(b, sg.window, sg.g)];
                in_base[s] = static_cast<uint32_t>(tile->inputs.size());
                steps = std::max<int64_t>(steps, ceil_div(static_cast<int64_t>(rr.size()), PWL));
                if (sg.slice == 0)
                    out.weight_slots +=
                        geo.live_cols(pm, sg.window, sg.g) * static_cast<int64_t>(rr.size());
                for (size_t i = 0; i < rr.size(); ++i) {
                    const int64_t k = b * R + rr[i];
                    if (sg.slice == 0)
                        out.weight_positions += geo.live_positions(pm, sg.window, sg.g, k);
                    tile->inputs.push_back(RowInput{static_cast<int32_t>(k), 0});
                    for (int x = 0; x < PBL; ++x) {
                        const int64_t n =
                            geo.column_at(pm, sg.window, static_cast<int>(sg.g) * PBL + x);
                        if (n < 0) continue;
                        tile->cell(off[s] + static_cast<int>(i), sg.col0 + x) =
                            enc[static_cast<size_t>((k * N + n) * cpo + sg.slice)];
                    }
                }
            }
            // Row-first traversal: OU row step i across every group of the stripe.
            for (int64_t i = 0; i < steps; ++i) {
                bool first = true;
                for (size_t s = 0; s < sgs.size(); ++s) {
                    const CsrLayout::Group& sg = sgs[s];
                    const int64_t h =
                        static_cast<int64_t>(rows[geo.slot(b, sg.window, sg.g)].size());
                    if (i * PWL >= h) continue;
                    OuOp op = ou_op(off[s] + i * PWL, std::min<int64_t>(PWL, h - i * PWL), sg.col0,
                                    PBL, in_base[s] + static_cast<uint32_t>(i * PWL),
                                    out_base[sg.unit] + static_cast<uint32_t>(sg.g * PBL));
                    op.fetch = first;
                    first = false;
                    tile->ops.push_back(op);
                }
            }
        }
    }
    return out;
}

namespace {

// One stuck cell under a group's stored rows: physical row i of the group, column x of its
// OU, slice plane c, and the state it is stuck in.
struct GroupFault {
    int i = 0, x = 0, c = 0, stuck = 0;
};

}  // namespace

FaultPlacement place_around_faults(const CsrGeometry& geo, const ColumnCode& code,
                                   const std::vector<uint8_t>& enc,
                                   const std::vector<WindowProblem>& problems,
                                   const ChipFaults& faults, const CsrParams& p,
                                   const std::string& layer, std::vector<std::vector<int>>& perms,
                                   std::vector<std::vector<int32_t>>& rows) {
    FaultPlacement res;
    const int cpo = static_cast<int>(code.columns.size());
    const int PBL = geo.ou_cols, R = geo.xbar_rows;
    const int64_t N = geo.w->N;
    const CsrLayout layout = csr_layout(geo, cpo, rows);
    const size_t plane = geo.slot(geo.bands, 0, 0);
    std::vector<int64_t> weight(static_cast<size_t>(cpo));
    for (int c = 0; c < cpo; ++c)
        weight[static_cast<size_t>(c)] = int64_t{1} << code.columns[static_cast<size_t>(c)].shift;
    std::vector<uint64_t> tile_seed(static_cast<size_t>(layout.tiles));
    for (int64_t t = 0; t < layout.tiles; ++t)
        tile_seed[static_cast<size_t>(t)] = faults.tile_seed(static_cast<size_t>(t));

    GaOptions ga;
    ga.population = p.ga_population;
    ga.generations = p.ga_generations;
    ga.mutation = p.ga_mutation;
    ga.tournament = p.ga_tournament;
    ga.elite = std::max(1, p.ga_elite);  // never worse than the compression's permutation
    const uint64_t layer_hash = fnv1a(layer);
    constexpr int64_t kInfeasible = std::numeric_limits<int64_t>::max();

    for (size_t pi = 0; pi < problems.size(); ++pi) {
        const WindowProblem& prob = problems[pi];
        const auto b = static_cast<int64_t>(pi) / geo.windows;
        const auto win = static_cast<int64_t>(pi) % geo.windows;
        const int groups = prob.groups();
        // The stuck cells under each group's stored rows, in every slice plane.
        std::vector<std::vector<GroupFault>> gf(static_cast<size_t>(groups));
        std::vector<int64_t> target(static_cast<size_t>(groups));
        bool any = false;
        for (int g = 0; g < groups; ++g) {
            const size_t slot = geo.slot(b, win, g);
            target[static_cast<size_t>(g)] = static_cast<int64_t>(rows[slot].size());
            for (int c = 0; c < cpo; ++c) {
                const CsrLayout::Place& pl = layout.at[static_cast<size_t>(c) * plane + slot];
                if (pl.tile < 0) continue;
                const uint64_t ts = tile_seed[static_cast<size_t>(pl.tile)];
                for (int i = 0; i < static_cast<int>(rows[slot].size()); ++i)
                    for (int x = 0; x < PBL; ++x) {
                        const int st = faults.stuck(ts, pl.row0 + i, pl.col0 + x);
                        if (st >= 0) gf[static_cast<size_t>(g)].push_back({i, x, c, st});
                    }
            }
            res.faulty_cells += static_cast<int64_t>(gf[static_cast<size_t>(g)].size());
            any = any || !gf[static_cast<size_t>(g)].empty();
        }
        if (!any) continue;
        // The error a stuck cell makes: |stuck - programmed state| steps, weighted by its slice.
        auto cell_error = [&](const GroupFault& f, int64_t k, int64_t n) -> int64_t {
            if (n < 0) return 0;  // a padding column: its output is not used
            const int st = enc[static_cast<size_t>((k * N + n) * cpo + f.c)];
            return std::abs(f.stuck - st) * weight[static_cast<size_t>(f.c)];
        };
        auto group_error = [&](const std::vector<int>& perm, int g,
                               const std::vector<int32_t>& rr) {
            int64_t e = 0;
            for (const GroupFault& f : gf[static_cast<size_t>(g)])
                e += cell_error(f, b * R + rr[static_cast<size_t>(f.i)],
                                geo.column_at(perm, win, static_cast<int64_t>(g) * PBL + f.x));
            return e;
        };
        // A permutation's error with each group's rows as compression stores them, when every
        // group still fits the rows it was given (so the layout, cost and schedule stay).
        std::vector<int> perm_v(static_cast<size_t>(prob.blocks));
        std::vector<int32_t> rr;
        const int band_rows = geo.band_rows(b);
        auto error_of = [&](const int* perm) -> int64_t {
            perm_v.assign(perm, perm + prob.blocks);
            const std::vector<uint64_t> gm = group_row_masks(prob, perm_v);
            int64_t e = 0;
            for (int g = 0; g < groups; ++g) {
                const uint64_t* m = gm.data() + static_cast<size_t>(g) * prob.words;
                const int64_t h = mask_rows(m, prob.words);
                if (h > target[static_cast<size_t>(g)]) return kInfeasible;
                if (gf[static_cast<size_t>(g)].empty()) continue;
                stored_rows(m, band_rows, target[static_cast<size_t>(g)] - h, rr);
                e += group_error(perm_v, g, rr);
            }
            return e;
        };
        std::vector<int>& perm = perms[pi];
        const int64_t before = error_of(perm.data());
        res.error_before += before;
        if (p.search == "ga" && prob.blocks > 1) {
            ga.seed = mix(p.ga_seed ^ layer_hash ^ 0xFA17 ^
                          mix(static_cast<uint64_t>(b) << 32 ^ static_cast<uint64_t>(win)));
            GaBest<int64_t> best = genetic_search<int64_t>(perm, ga, error_of);
            if (best.cost < before) perm = std::move(best.perm);
        }
        // The chosen permutation's rows, then each group's rows reordered over its physical
        // rows (the input table follows them) by pairwise swaps that lower the error.
        const std::vector<uint64_t> gm = group_row_masks(prob, perm);
        for (int g = 0; g < groups; ++g) {
            std::vector<int32_t>& out = rows[geo.slot(b, win, g)];
            const uint64_t* m = gm.data() + static_cast<size_t>(g) * prob.words;
            stored_rows(m, band_rows, target[static_cast<size_t>(g)] - mask_rows(m, prob.words),
                        out);
            const std::vector<GroupFault>& faults_g = gf[static_cast<size_t>(g)];
            if (faults_g.empty()) {
                continue;
            }
            // err(i, r): the error of logical row r placed on physical row i.
            std::vector<std::vector<const GroupFault*>> on_row(out.size());
            for (const GroupFault& f : faults_g) on_row[static_cast<size_t>(f.i)].push_back(&f);
            auto err = [&](size_t i, int32_t r) {
                int64_t e = 0;
                for (const GroupFault* f : on_row[i])
                    e += cell_error(*f, b * R + r,
                                    geo.column_at(perm, win, static_cast<int64_t>(g) * PBL + f->x));
                return e;
            };
            // Swaps stay inside one OU op's rows, so every op keeps its rows and the zero-input
            // skipping (an op's input bits all zero) skips exactly what it did.
            const auto op_rows = static_cast<size_t>(geo.ou_rows);
            for (int pass = 0; pass < 4; ++pass) {
                bool improved = false;
                for (size_t i1 = 0; i1 < out.size(); ++i1) {
                    if (on_row[i1].empty()) continue;
                    const size_t first = i1 / op_rows * op_rows;
                    const size_t last = std::min(out.size(), first + op_rows);
                    for (size_t i2 = first; i2 < last; ++i2) {
                        if (i2 == i1) continue;
                        const int64_t now = err(i1, out[i1]) + err(i2, out[i2]);
                        const int64_t swapped = err(i1, out[i2]) + err(i2, out[i1]);
                        if (swapped < now) {
                            std::swap(out[i1], out[i2]);
                            improved = true;
                        }
                    }
                }
                if (!improved) break;
            }
            res.error_after += group_error(perm, g, out);
        }
    }
    return res;
}

CsrIndex index_metadata(const CsrGeometry& geo, const std::vector<std::vector<int32_t>>& rows) {
    CsrIndex idx;
    const int64_t row_bits = std::max<int64_t>(1, log2_exact(next_pow2(geo.xbar_rows)));
    for (int64_t b = 0; b < geo.bands; ++b)
        for (int64_t win = 0; win < geo.windows; ++win) {
            int64_t win_rows = 0;
            for (int64_t g = 0; g < geo.window_width(win) / geo.ou_cols; ++g)
                win_rows += static_cast<int64_t>(rows[geo.slot(b, win, g)].size());
            idx.stored_rows += win_rows;
            if (win_rows > 0)
                idx.benes_config_bits += benes_switches(geo.window_width(win) / geo.beta);
        }
    idx.row_index_bits = idx.stored_rows * row_bits;
    return idx;
}

Mapping map_csr(const WeightMatrix& w, const HwConfig& hw, const CsrParams& p,
                std::optional<uint64_t> chip_seed) {
    const ColumnCode code = column_code(hw);
    if (code.offset != 0)
        throw Error(hw.source +
                    ": data.encoding: csr drops all-zero OU-rows, which needs a zero weight "
                    "stored as zero cells (differential or twos_complement), not offset");
    const int cpo = static_cast<int>(code.columns.size());
    const CsrGeometry geo = csr_geometry(w, hw, p);
    const int PWL = geo.ou_rows, PBL = geo.ou_cols, R = geo.xbar_rows, C = geo.xbar_cols;
    const int64_t nbands = geo.bands, nwin = geo.windows, Wl = geo.window_cols;
    const int words = (R + 63) / 64;
    const int64_t nblocks = geo.padded_cols / p.beta;

    Mapping m = empty_mapping("csr", w, hw.cell_bits);
    m.skip_zero_ou = p.skip_zero;

    // Prune is done (csr_prune, in prepare); the block masks of every band: bit r of block j =
    // row b*R + r has a non-zero weight in it.
    std::vector<uint64_t> bmask(static_cast<size_t>(nbands * nblocks * words), 0);
    auto mask_of = [&](int64_t b, int64_t j) { return bmask.data() + (b * nblocks + j) * words; };
    for (int64_t k = 0; k < w.K; ++k)
        for (int64_t n = 0; n < w.N; ++n)
            if (w.at(k, n) != 0) {
                const int64_t b = k / R, r = k % R;
                mask_of(b, n / p.beta)[r / 64] |= uint64_t{1} << (r % 64);
            }

    // The block masks of one (band, window): the search's problem (balance off unless set).
    auto window_problem = [&](int64_t b, int64_t win) {
        WindowProblem prob;
        prob.blocks = static_cast<int>(geo.window_width(win) / p.beta);
        prob.beta = p.beta;
        prob.ou_cols = PBL;
        prob.ou_rows = PWL;
        prob.words = words;
        prob.balance = false;
        const int64_t j0 = win * Wl / p.beta;
        prob.masks.assign(mask_of(b, j0), mask_of(b, j0) + prob.blocks * words);
        return prob;
    };

    // Shuffle: a permutation of each (band, window)'s column blocks.
    std::vector<WindowProblem> problems;
    problems.reserve(static_cast<size_t>(nbands * nwin));
    for (int64_t b = 0; b < nbands; ++b)
        for (int64_t win = 0; win < nwin; ++win) problems.push_back(window_problem(b, win));
    const ShuffleResult shuffle = search_shuffles(problems, nwin, p, w.name);

    // Compress: per (band, window, group) the stored rows, balanced. First without shuffling
    // (the identity in every window, balanced as the final mapping), for the weight positions
    // plain row compression would store; then under the searched permutations.
    std::vector<int> band_rows(static_cast<size_t>(nbands));
    for (int64_t b = 0; b < nbands; ++b) band_rows[static_cast<size_t>(b)] = geo.band_rows(b);
    int64_t noshuffle_positions = 0;
    {
        std::vector<std::vector<int>> identity(shuffle.perm.size());
        for (size_t i = 0; i < identity.size(); ++i) {
            identity[i].resize(static_cast<size_t>(problems[i].blocks));
            std::iota(identity[i].begin(), identity[i].end(), 0);
        }
        const std::vector<std::vector<int32_t>> rows =
            compress_rows(problems, identity, nwin, geo.slots, p.balance, band_rows).rows;
        for (int64_t b = 0; b < nbands; ++b)
            for (int64_t win = 0; win < nwin; ++win)
                for (int64_t g = 0; g < geo.window_width(win) / PBL; ++g) {
                    const std::vector<int>& id = identity[static_cast<size_t>(b * nwin + win)];
                    for (int32_t r : rows[geo.slot(b, win, g)])
                        noshuffle_positions += geo.live_positions(id, win, g, b * R + r);
                }
    }
    CompressResult compressed =
        compress_rows(problems, shuffle.perm, nwin, geo.slots, p.balance, band_rows);

    // The cell states of every weight, slice by slice.
    std::vector<uint8_t> enc(static_cast<size_t>(w.K * w.N * cpo), 0);
    for (int64_t i = 0; i < w.K * w.N; ++i)
        if (w.w[static_cast<size_t>(i)] != 0)
            encode_weight(w.w[static_cast<size_t>(i)], code, hw, enc.data() + i * cpo);

    // On a chip whose stuck cells are known: permutations and row orders that put the weights
    // where the faults hurt least, at the same stored rows and OU slots.
    std::vector<std::vector<int>> perms = shuffle.perm;
    if (p.fault_aware && chip_seed) {
        const ChipFaults faults(hw, hw.cell_bits, *chip_seed);
        if (faults.any()) {
            const FaultPlacement fp = place_around_faults(geo, code, enc, problems, faults, p,
                                                          w.name, perms, compressed.rows);
            m.figures["stuck_cells_under_rows"] = static_cast<double>(fp.faulty_cells);
            m.figures["fault_error_unaware"] = static_cast<double>(fp.error_before);
            m.figures["fault_error_placed"] = static_cast<double>(fp.error_after);
        }
    }

    // Place and schedule.
    const CsrPlacement placed = place_and_schedule(geo, code, enc, perms, compressed.rows, m);

    // Index: row indices and Benes configurations.
    const CsrIndex index = index_metadata(geo, compressed.rows);
    m.index_bits["row_index"] = index.row_index_bits;
    m.index_bits["benes_config"] = index.benes_config_bits;

    // Periphery: one Benes network and one zero-flag unit per crossbar.
    const int64_t nc = Wl / p.beta;
    const int64_t xbars = static_cast<int64_t>(m.tiles.size());
    m.units["benes_switch"] = xbars * benes_switches(nc);
    m.units["zero_flag"] = xbars;
    m.events.push_back({"zero_flag", Mapping::EventRule::Per::OpSlot, 1});
    if (benes_stages(nc) > 0)
        m.events.push_back({"benes_switch", Mapping::EventRule::Per::Conversion, benes_stages(nc)});

    if (p.pipeline) {
        using Per = Mapping::PipelineStage::Per;
        const int64_t adc_cycles = std::max<int64_t>(
            1, static_cast<int64_t>(std::ceil(hw.adc_latency_ns * hw.clock_mhz / 1000.0 - 1e-9)));
        m.pipeline = {
            {"cache", Per::Fetch, component(hw, "cache").latency_cycles},
            {"load", Per::Op, component(hw, "load").latency_cycles},
            {"skip", Per::Plane, component(hw, "zero_flag").latency_cycles},
            {"cim", Per::Plane, hw.ou_op_cycles},
            {"adc", Per::AdcRound, adc_cycles},
            {"benes", Per::Plane, component(hw, "benes_switch").latency_cycles},
            {"shift_add", Per::Plane, component(hw, "shift_and_add").latency_cycles},
        };
    }

    // Figures (ratios as numerator and denominator). Weights are weight positions (a grouped
    // layer's structural zeros are none, and the dense mapper does not store them); stored cells
    // are every slot csr stores, structural zeros included.
    const int64_t nnz = w.nonzeros();
    const int64_t total = w.weight_positions();
    int64_t dense_slots = 0;
    for (const DensePiece& dp : dense_pieces(w, R, std::max(1, C / cpo)))
        dense_slots += ceil_div(dp.rows, PWL) * ceil_div(dp.outs * cpo, PBL);
    m.figures["dense_cells"] = static_cast<double>(total * cpo);
    m.figures["stored_cells"] = static_cast<double>(placed.weight_slots * cpo);
    m.figures["weights"] = static_cast<double>(total);
    m.figures["zero_weights"] = static_cast<double>(total - nnz);
    m.figures["zero_weights_removed"] = static_cast<double>(total - placed.weight_positions);
    m.figures["noshuffle_zero_weights_removed"] = static_cast<double>(total - noshuffle_positions);
    const KmeansComparison kmeans = kmeans_comparison(w, hw, p);
    m.figures["kmeans_zero_weights_removed_ou"] = static_cast<double>(kmeans.removed_ou);
    m.figures["kmeans_zero_weights_removed_xbar"] = static_cast<double>(kmeans.removed_xbar);
    m.figures["ou_slots"] = static_cast<double>(m.ou_slots());
    m.figures["dense_ou_slots"] = static_cast<double>(dense_slots);
    m.figures["ou_rows_stored"] = static_cast<double>(index.stored_rows);
    m.figures["ou_rows_noshuffle"] = static_cast<double>(shuffle.rows_identity);
    m.figures["ou_rows_searched"] = static_cast<double>(shuffle.rows_searched);
    m.figures["ou_ops_noshuffle"] = static_cast<double>(shuffle.ops_identity);
    m.figures["ou_ops_searched"] = static_cast<double>(shuffle.ops_searched);
    m.figures["balance_padding_rows"] = static_cast<double>(compressed.padding_rows);
    m.figures["windows"] = static_cast<double>(nbands * nwin);
    m.figures["windows_improved"] = static_cast<double>(shuffle.windows_improved);
    m.figures["ga_evaluations"] = static_cast<double>(shuffle.evaluations);
    if (geo.padded_cols != w.N)
        m.notes.push_back("slice planes padded from " + std::to_string(w.N) + " to " +
                          std::to_string(geo.padded_cols) +
                          " columns (multiple of lcm(beta, P_BL))");
    return m;
}

}  // namespace sparsecim
