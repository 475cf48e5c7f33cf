// The dense baseline mapper. An ungrouped layer maps exactly as the whole-matrix tiling (one
// crossbar per row band x output group); a grouped or depthwise layer stores only its diagonal
// blocks, packed along crossbar diagonals: hand-computed crossbar and OU op counts, no crossbar or
// OU op without a weight position, pruned zeros still stored, reconstruction, array utilization,
// and exact simulation under every weight encoding.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "cost/cost_model.hpp"
#include "map/dense_mapper.hpp"
#include "map/encoding.hpp"
#include "sim/simulator.hpp"
#include "support/hw_builder.hpp"

using namespace sparsecim;

namespace {

// A K x N matrix of `groups` diagonal blocks whose weights are never zero (so every zero is a
// structural one), sign and magnitude varying with the position.
WeightMatrix grouped(int64_t K, int64_t N, int64_t groups) {
    WeightMatrix w("layer", K, N, 8);
    w.groups = groups;
    for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n) {
            if (!w.is_weight(k, n)) {
                w.keep[static_cast<size_t>(k * N + n)] = 0;
                continue;
            }
            const int32_t v = static_cast<int32_t>((k * 7 + n * 3) % 127) + 1;
            w.at(k, n) = (k + n) % 2 ? v : -v;
        }
    return w;
}

HwConfig hw_of(Encoding enc, int cell_bits, int rows, int cols, int ou_rows, int ou_cols) {
    return sparsecim::testing::hw_shape(enc, cell_bits, rows, cols, ou_rows, ou_cols);
}

// The project's default array: 128 x 128, 2-bit cells, differential int8 (8 columns a weight, 16
// outputs a crossbar), OU 16 x 8.
HwConfig default_array() {
    return hw_of(Encoding::Differential, 2, 128, 128, 16, 8);
}

// The whole-matrix tiling, written out on its own: crossbar (row band b, output group j) holds
// rows [b*R, b*R + R) x outputs [j*O, j*O + O) from (0, 0), one table entry per physical row and
// column, and the OU grid with row bands outer.
Mapping whole_matrix_tiling(const WeightMatrix& w, const HwConfig& hw) {
    const ColumnCode code = column_code(hw);
    const int cpo = static_cast<int>(code.columns.size());
    const int64_t O = hw.xbar_cols / cpo;
    Mapping m = empty_mapping("dense", w, hw.cell_bits);
    m.offset = code.offset;
    std::vector<uint8_t> states(static_cast<size_t>(cpo));
    for (int64_t b = 0; b * hw.xbar_rows < w.K; ++b)
        for (int64_t j = 0; j * O < w.N; ++j) {
            const int rows =
                static_cast<int>(std::min<int64_t>(hw.xbar_rows, w.K - b * hw.xbar_rows));
            const int64_t outs = std::min<int64_t>(O, w.N - j * O);
            Tile t = empty_tile(hw.xbar_rows, hw.xbar_cols);
            for (int r = 0; r < rows; ++r)
                t.inputs.push_back({static_cast<int32_t>(b * hw.xbar_rows + r), 0});
            for (int64_t o = 0; o < outs; ++o)
                for (int c = 0; c < cpo; ++c) {
                    ColOutput co = code.columns[static_cast<size_t>(c)];
                    co.n = static_cast<int32_t>(j * O + o);
                    t.outputs.push_back(co);
                    for (int r = 0; r < rows; ++r) {
                        encode_weight(w.at(b * hw.xbar_rows + r, j * O + o), code, hw,
                                      states.data());
                        t.cell(r, static_cast<int>(o * cpo + c)) = states[static_cast<size_t>(c)];
                    }
                }
            const int cols = static_cast<int>(outs * cpo);
            for (int r0 = 0; r0 < rows; r0 += hw.ou_rows)
                for (int c0 = 0; c0 < cols; c0 += hw.ou_cols) {
                    OuOp op;
                    op.r0 = static_cast<uint16_t>(r0);
                    op.rows = static_cast<uint16_t>(std::min(hw.ou_rows, rows - r0));
                    op.c0 = static_cast<uint16_t>(c0);
                    op.cols = static_cast<uint16_t>(std::min(hw.ou_cols, cols - c0));
                    op.in_ofs = static_cast<uint32_t>(r0);
                    op.out_ofs = static_cast<uint32_t>(c0);
                    t.ops.push_back(op);
                }
            m.tiles.push_back(std::move(t));
        }
    return m;
}

void expect_same_mapping(const Mapping& a, const Mapping& b, const std::string& what) {
    EXPECT_EQ(a.offset, b.offset) << what;
    EXPECT_EQ(a.notes, b.notes) << what;
    ASSERT_EQ(a.tiles.size(), b.tiles.size()) << what;
    for (size_t t = 0; t < a.tiles.size(); ++t) {
        const Tile &x = a.tiles[t], &y = b.tiles[t];
        const std::string at = what + " tile " + std::to_string(t);
        EXPECT_EQ(x.rows, y.rows) << at;
        EXPECT_EQ(x.cols, y.cols) << at;
        EXPECT_EQ(x.cells, y.cells) << at;
        ASSERT_EQ(x.inputs.size(), y.inputs.size()) << at;
        for (size_t i = 0; i < x.inputs.size(); ++i) {
            EXPECT_EQ(x.inputs[i].k, y.inputs[i].k) << at;
            EXPECT_EQ(x.inputs[i].shift, y.inputs[i].shift) << at;
        }
        ASSERT_EQ(x.outputs.size(), y.outputs.size()) << at;
        for (size_t i = 0; i < x.outputs.size(); ++i) {
            EXPECT_EQ(x.outputs[i].n, y.outputs[i].n) << at;
            EXPECT_EQ(x.outputs[i].shift, y.outputs[i].shift) << at;
            EXPECT_EQ(x.outputs[i].sign, y.outputs[i].sign) << at;
        }
        ASSERT_EQ(x.ops.size(), y.ops.size()) << at;
        for (size_t i = 0; i < x.ops.size(); ++i) {
            const OuOp &p = x.ops[i], &q = y.ops[i];
            EXPECT_TRUE(p.r0 == q.r0 && p.rows == q.rows && p.c0 == q.c0 && p.cols == q.cols &&
                        p.in_ofs == q.in_ofs && p.out_ofs == q.out_ofs && p.fetch == q.fetch)
                << at << " op " << i;
        }
    }
}

// Every (row, column) pair of every OU op is a weight position, and every crossbar has an op.
void expect_ops_on_weights_only(const Mapping& m, const WeightMatrix& w) {
    for (size_t t = 0; t < m.tiles.size(); ++t) {
        const Tile& tile = m.tiles[t];
        EXPECT_FALSE(tile.ops.empty()) << "crossbar " << t << " holds no weight";
        for (const OuOp& op : tile.ops)
            for (int i = 0; i < op.rows; ++i)
                for (int j = 0; j < op.cols; ++j) {
                    const int32_t k = tile.inputs[op.in_ofs + static_cast<size_t>(i)].k;
                    const int32_t n = tile.outputs[op.out_ofs + static_cast<size_t>(j)].n;
                    ASSERT_TRUE(k >= 0 && n >= 0 && w.is_weight(k, n))
                        << "crossbar " << t << " computes (" << k << "," << n << ")";
                }
    }
}

// `positions` random input vectors (unsigned, or signed a_bits) and their exact accumulators.
LayerTrace trace_of(const WeightMatrix& w, int64_t positions, bool in_signed, uint64_t seed) {
    LayerTrace tr;
    tr.layer = w.name;
    tr.K = w.K;
    tr.N = w.N;
    tr.in_signed = in_signed;
    tr.positions = positions;
    std::mt19937_64 rng(seed);
    for (int64_t i = 0; i < positions * w.K; ++i)
        tr.inputs.push_back(in_signed ? static_cast<int32_t>(rng() % 256) - 128
                                      : static_cast<int32_t>(rng() % 256));
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t n = 0; n < w.N; ++n) {
            int64_t acc = 0;
            for (int64_t k = 0; k < w.K; ++k) acc += int64_t{tr.input(p)[k]} * w.at(k, n);
            tr.outputs.push_back(static_cast<int32_t>(acc));
        }
    return tr;
}

}  // namespace

// groups = 1: the mapping is the whole-matrix tiling, tile for tile and byte for byte, whatever
// the shape and encoding (one piece per crossbar, never two sharing one).
TEST(DenseMapper, UngroupedLayerIsTheWholeMatrixTiling) {
    const std::vector<HwConfig> hws = {
        default_array(),
        hw_of(Encoding::Offset, 4, 64, 64, 9, 8),
        hw_of(Encoding::TwosComplement, 1, 256, 256, 32, 16),
    };
    for (const HwConfig& hw : hws)
        for (auto [K, N] : {std::pair<int64_t, int64_t>{300, 40}, {128, 16}, {5, 3}, {129, 17}}) {
            const WeightMatrix w = grouped(K, N, 1);
            const std::string what = std::string(encoding_name(hw.encoding)) + " " +
                                     std::to_string(K) + "x" + std::to_string(N);
            const Mapping m = map_dense(w, hw);
            expect_same_mapping(m, whole_matrix_tiling(w, hw), what);
            EXPECT_EQ(verify(m, w), "") << what;
        }
    // 300 x 40 on the default array: 3 row bands x 3 groups of 16 outputs, every cell of the 300
    // x 40 x 8 used by an OU op.
    const Mapping m = map_dense(grouped(300, 40, 1), default_array());
    EXPECT_EQ(m.tiles.size(), 9u);
    EXPECT_EQ(m.stored_cells(), 300 * 40 * 8);
}

// Depthwise 3x3 over 40 channels: K = 360, N = 40, 40 blocks of 9 rows x 1 output (8 columns). A
// crossbar takes min(128 / 9, 16 / 1) = 14 channels on its diagonal: 3 crossbars (14, 14, 12)
// where the whole matrix takes 3 row bands x 3 output groups = 9. One OU op (9 x 8 <= 16 x 8) per
// channel.
TEST(DenseMapper, DepthwiseLayerPacksWholeChannelsAlongTheDiagonal) {
    constexpr int64_t C = 40;
    WeightMatrix w = grouped(C * 9, C, C);
    const HwConfig hw = default_array();
    const Mapping m = map_dense(w, hw);
    EXPECT_EQ(verify(m, w), "");
    ASSERT_EQ(m.tiles.size(), 3u);
    EXPECT_EQ(m.groups, C);
    const std::vector<size_t> channels = {14, 14, 12};
    for (size_t t = 0; t < 3; ++t) {
        const Tile& tile = m.tiles[t];
        ASSERT_EQ(tile.ops.size(), channels[t]) << t;
        for (size_t c = 0; c < channels[t]; ++c) {
            const OuOp& op = tile.ops[c];
            const int64_t channel = static_cast<int64_t>(t * 14 + c);
            EXPECT_EQ(op.r0, 9 * c);
            EXPECT_EQ(op.rows, 9);
            EXPECT_EQ(op.c0, 8 * c);
            EXPECT_EQ(op.cols, 8);
            EXPECT_EQ(tile.inputs[op.in_ofs].k, channel * 9);
            EXPECT_EQ(tile.outputs[op.out_ofs].n, channel);
        }
    }
    expect_ops_on_weights_only(m, w);
    EXPECT_EQ(m.ou_slots(), C);
    // Every stored cell belongs to a weight: 40 x 9 weights x 8 columns, all non-zero, over
    // 3 x 128 x 128 cells: 2880 / 49152 = 15 / 256.
    Footprint fp;
    fp.crossbar_cells = m.crossbar_cells();
    fp.weight_cells = weight_cells(m, w);
    EXPECT_EQ(m.stored_cells(), C * 9 * 8);
    EXPECT_EQ(fp.weight_cells, C * 9 * 8);
    EXPECT_EQ(fp.crossbar_cells, 3 * 128 * 128);
    EXPECT_DOUBLE_EQ(fp.array_utilization(), 15.0 / 256.0);
    ASSERT_EQ(m.notes.size(), 1u);
    EXPECT_NE(m.notes[0].find("3 crossbars (the whole 360 x 40 matrix: 9)"), std::string::npos)
        << m.notes[0];

    // A pruned weight is still stored (zero cells under its OU op), as in any dense layer.
    w.at(10, 1) = 0;
    w.keep[static_cast<size_t>(10 * C + 1)] = 0;
    const Mapping pruned = map_dense(w, hw);
    EXPECT_EQ(verify(pruned, w), "");
    EXPECT_EQ(pruned.stored_cells(), C * 9 * 8);
    EXPECT_EQ(weight_cells(pruned, w), C * 9 * 8 - 8);
    EXPECT_EQ(pruned.ou_slots(), C);
}

// Small grouped blocks share crossbars: 4 groups of 36 rows x 4 outputs (32 columns); a crossbar
// takes min(128 / 36, 16 / 4) = 3 blocks, so 2 crossbars (3 + 1), each block with its own OU grid
// of ceil(36 / 16) = 3 row bands x 32 / 8 = 4 column groups.
TEST(DenseMapper, SmallGroupBlocksShareCrossbarsDiagonally) {
    const WeightMatrix w = grouped(144, 16, 4);
    const Mapping m = map_dense(w, default_array());
    EXPECT_EQ(verify(m, w), "");
    ASSERT_EQ(m.tiles.size(), 2u);
    EXPECT_EQ(m.tiles[0].ops.size(), 3u * 12u);
    EXPECT_EQ(m.tiles[1].ops.size(), 12u);
    EXPECT_EQ(m.tiles[0].inputs.size(), 108u);
    EXPECT_EQ(m.tiles[0].outputs.size(), 96u);
    // Group 2 sits at rows 72.. and columns 64..: its first op reads input 72 into output 8.
    const OuOp& g2 = m.tiles[0].ops[24];
    EXPECT_EQ(g2.r0, 72);
    EXPECT_EQ(g2.c0, 64);
    EXPECT_EQ(m.tiles[0].inputs[g2.in_ofs].k, 72);
    EXPECT_EQ(m.tiles[0].outputs[g2.out_ofs].n, 8);
    expect_ops_on_weights_only(m, w);
    EXPECT_EQ(m.stored_cells(), 144 * 4 * 8);
}

// Blocks larger than a crossbar are cut like a whole matrix: 2 groups of 200 rows x 20 outputs,
// each into (128 | 72 rows) x (16 | 4 outputs) = 4 pieces, no two of which fit one crossbar: 8
// crossbars, where the whole 400 x 40 matrix takes 4 row bands x 3 output groups = 12.
TEST(DenseMapper, GroupBlocksLargerThanACrossbarAreCutIntoPieces) {
    const WeightMatrix w = grouped(400, 40, 2);
    const Mapping m = map_dense(w, default_array());
    EXPECT_EQ(verify(m, w), "");
    EXPECT_EQ(m.tiles.size(), 8u);
    expect_ops_on_weights_only(m, w);
    EXPECT_EQ(m.stored_cells(), 400 * 40 / 2 * 8);
    const std::vector<DensePiece> pieces = dense_pieces(w, 128, 16);
    ASSERT_EQ(pieces.size(), 8u);
    for (size_t i = 0; i < pieces.size(); ++i) {
        EXPECT_EQ(pieces[i].tile, static_cast<int64_t>(i));
        EXPECT_EQ(pieces[i].r0, 0);
        EXPECT_EQ(pieces[i].o0, 0);
    }
    EXPECT_EQ(pieces[5].k0, 200);  // group 1, first row band, second output group
    EXPECT_EQ(pieces[5].n0, 36);
    EXPECT_EQ(pieces[5].rows, 128);
    EXPECT_EQ(pieces[5].outs, 4);
}

// Under an ideal ADC the packed mappings compute the exact accumulators in every encoding. The
// offset encoding subtracts offset x the sum of each output's own group's inputs: the same
// mapping with the correction taken over all inputs (groups = 1) is wrong.
TEST(DenseMapper, GroupedLayersSimulateExactlyUnderEveryEncoding) {
    const std::vector<HwConfig> hws = {
        default_array(),
        hw_of(Encoding::Offset, 4, 64, 64, 9, 8),
        hw_of(Encoding::TwosComplement, 1, 256, 256, 32, 16),
    };
    SimOptions ideal;
    ideal.ideal_adc = true;
    for (const HwConfig& hw : hws)
        for (auto [K, N, groups] :
             {std::tuple<int64_t, int64_t, int64_t>{20 * 9, 20, 20}, {144, 16, 4}, {400, 40, 2}})
            for (bool in_signed : {false, true}) {
                const WeightMatrix w = grouped(K, N, groups);
                const std::string what = std::string(encoding_name(hw.encoding)) + " groups " +
                                         std::to_string(groups) + (in_signed ? " signed" : "");
                const Mapping m = map_dense(w, hw);
                ASSERT_EQ(verify(m, w), "") << what;
                const LayerTrace tr = trace_of(w, 5, in_signed, static_cast<uint64_t>(K + N));
                const SimResult r = simulate(m, tr, hw, ideal);
                EXPECT_EQ(r.outputs_checked, 5 * N) << what;
                EXPECT_EQ(r.mismatches, 0) << what;
                if (hw.encoding == Encoding::Offset) {
                    Mapping ungrouped = m;
                    ungrouped.groups = 1;
                    EXPECT_NE(verify(ungrouped, w), "") << what;
                    EXPECT_GT(simulate(ungrouped, tr, hw, ideal).mismatches, 0) << what;
                }
            }
}

// verify() names a structural zero a mapping stores as a value (the whole-matrix tiling of a
// depthwise layer under the offset encoding stores 0 + offset there), a mapping whose groups
// disagree with the weights', and groups that do not divide the matrix; the mapper rejects those.
// (Offset 128 in 4-bit cells: a stored zero reconstructs to 128.)
TEST(DenseMapper, VerifyAndMapperCheckTheGroups) {
    const HwConfig hw = hw_of(Encoding::Offset, 4, 64, 64, 9, 8);
    const WeightMatrix w = grouped(8 * 9, 8, 8);
    const std::string stored = verify(whole_matrix_tiling(w, hw), w);
    EXPECT_NE(stored.find("structural zero (0,1) reconstructs to 128, expected 0"),
              std::string::npos)
        << stored;
    Mapping m = map_dense(w, hw);
    m.groups = 4;
    EXPECT_NE(verify(m, w).find("mapping has 4 groups but the weights 8"), std::string::npos);
    WeightMatrix bad = w;
    bad.groups = 3;
    EXPECT_NE(verify(map_dense(w, hw), bad).find("3 groups do not divide the 72 x 8"),
              std::string::npos);
    EXPECT_THROW(map_dense(bad, hw), Error);
    bad.groups = 0;
    EXPECT_THROW(map_dense(bad, hw), Error);
}

// verify() and reconstruct() name a broken table by layer, tile and op, and a cell two OU ops
// compute; a sound mapping stays sound after the broken copies are made.
TEST(DenseMapper, VerifyNamesBrokenTablesAndCellsComputedTwice) {
    const HwConfig hw = hw_of(Encoding::Differential, 2, 32, 32, 8, 4);
    const WeightMatrix w = grouped(40, 12, 1);
    const Mapping m = map_dense(w, hw);
    ASSERT_EQ(verify(m, w), "");
    ASSERT_GE(m.tiles.size(), 2u);
    const size_t last = m.tiles.size() - 1;
    const std::string op0 = "layer: tile " + std::to_string(last) + " op 0: ";
    auto broken = [&](auto change) {
        Mapping b = m;
        change(b.tiles[last]);
        return b;
    };
    const Mapping outside = broken([](Tile& t) { t.ops[0].r0 = t.rows; });
    EXPECT_EQ(verify(outside, w), op0 + "OU exceeds the crossbar");
    EXPECT_THROW(reconstruct(outside), Error);
    EXPECT_EQ(verify(broken([](Tile& t) { t.outputs[t.ops[0].out_ofs].sign = 2; }), w),
              op0 + "column sign must be +1 or -1");
    EXPECT_EQ(verify(broken([](Tile& t) { t.inputs[t.ops[0].in_ofs].k = 40; }), w),
              op0 + "input index names a row outside K");
    EXPECT_EQ(verify(broken([](Tile& t) { t.cells[0] = 4; }), w),
              "layer: tile " + std::to_string(last) + ": cell state exceeds cell_bits");
    // The first op again: every one of its cells computed twice.
    const std::string twice = verify(broken([](Tile& t) { t.ops.push_back(t.ops[0]); }), w);
    EXPECT_NE(twice.find("layer: tile " + std::to_string(last) + " cell ("), std::string::npos)
        << twice;
    EXPECT_NE(twice.find(") is computed by more than one OU op"), std::string::npos) << twice;
    EXPECT_EQ(verify(m, w), "");
}
