// Mapping footprint queries, reconstruction of the computed weight matrix, and verify().
#include "map/mapping.hpp"

#include <cstdint>

#include "core/error.hpp"

namespace sparsecim {

namespace {

std::string check_tables(const Mapping& m) {
    const int max_state = (1 << m.cell_bits) - 1;
    // The messages are built only for a problem found (a string per op was most of this check).
    auto where = [&](size_t t) { return m.layer + ": tile " + std::to_string(t); };
    for (size_t t = 0; t < m.tiles.size(); ++t) {
        const Tile& tile = m.tiles[t];
        if (tile.rows <= 0 || tile.cols <= 0 ||
            tile.cells.size() != static_cast<size_t>(tile.rows) * static_cast<size_t>(tile.cols))
            return where(t) + ": cell matrix size disagrees with its shape";
        for (uint8_t c : tile.cells)
            if (c > max_state) return where(t) + ": cell state exceeds cell_bits";
        for (size_t o = 0; o < tile.ops.size(); ++o) {
            const OuOp& op = tile.ops[o];
            auto w = [&] { return where(t) + " op " + std::to_string(o); };
            if (op.r0 + op.rows > tile.rows || op.c0 + op.cols > tile.cols)
                return w() + ": OU exceeds the crossbar";
            if (op.in_ofs + op.rows > tile.inputs.size()) return w() + ": input index out of range";
            if (op.out_ofs + op.cols > tile.outputs.size())
                return w() + ": output index out of range";
            for (int i = 0; i < op.rows; ++i) {
                const RowInput& ri = tile.inputs[op.in_ofs + static_cast<size_t>(i)];
                if (ri.k < -1 || ri.k >= m.K) return w() + ": input index names a row outside K";
                if (ri.shift < 0 || ri.shift > 24) return w() + ": input shift out of range";
            }
            for (int j = 0; j < op.cols; ++j) {
                const ColOutput& co = tile.outputs[op.out_ofs + static_cast<size_t>(j)];
                if (co.n < -1 || co.n >= m.N)
                    return w() + ": output index names a column outside N";
                if (co.sign != 1 && co.sign != -1) return w() + ": column sign must be +1 or -1";
                if (co.shift < 0 || co.shift > 40) return w() + ": column shift out of range";
            }
        }
    }
    return {};
}

// reconstruct() of a mapping whose tables check_tables passed. With `duplicate`, also the first
// cell an OU op computes a second time (a physical cell serves one (row input, column output)
// pair once per op; two ops computing it would double-count its product), in the same pass.
std::vector<int64_t> reconstruct_checked(const Mapping& m, std::string* duplicate) {
    std::vector<int64_t> w(static_cast<size_t>(m.K * m.N), 0);
    std::vector<uint8_t> seen;  // per cell of the current tile
    for (size_t t = 0; t < m.tiles.size(); ++t) {
        const Tile& tile = m.tiles[t];
        const size_t cols = static_cast<size_t>(tile.cols);
        if (duplicate) seen.assign(tile.cells.size(), 0);
        for (const OuOp& op : tile.ops) {
            const ColOutput* out = tile.outputs.data() + op.out_ofs;
            for (int i = 0; i < op.rows; ++i) {
                const RowInput& ri = tile.inputs[op.in_ofs + static_cast<size_t>(i)];
                const size_t at =
                    static_cast<size_t>(op.r0 + i) * cols + static_cast<size_t>(op.c0);
                if (duplicate) {
                    uint8_t* s = seen.data() + at;
                    for (int j = 0; j < op.cols; ++j) {
                        if (s[j] && duplicate->empty())
                            *duplicate = m.layer + ": tile " + std::to_string(t) + " cell (" +
                                         std::to_string(op.r0 + i) + "," +
                                         std::to_string(op.c0 + j) +
                                         ") is computed by more than one OU op";
                        s[j] = 1;
                    }
                }
                if (ri.k < 0) continue;
                const uint8_t* cell = tile.cells.data() + at;
                int64_t* row = w.data() + static_cast<size_t>(ri.k) * static_cast<size_t>(m.N);
                for (int j = 0; j < op.cols; ++j) {
                    const ColOutput& co = out[j];
                    if (co.n >= 0)
                        row[co.n] +=
                            co.sign * (static_cast<int64_t>(cell[j]) << (co.shift + ri.shift));
                }
            }
        }
    }
    return w;
}

}  // namespace

Mapping empty_mapping(const std::string& scheme, const WeightMatrix& w, int cell_bits) {
    Mapping m;
    m.scheme = scheme;
    m.layer = w.name;
    m.K = w.K;
    m.N = w.N;
    m.groups = w.groups;
    m.cell_bits = cell_bits;
    return m;
}

Tile empty_tile(int rows, int cols) {
    Tile t;
    t.rows = rows;
    t.cols = cols;
    t.cells.assign(static_cast<size_t>(rows) * static_cast<size_t>(cols), 0);
    return t;
}

int64_t Mapping::stored_cells() const {
    return cell_census(*this, nullptr).stored;
}

std::vector<int64_t> Mapping::stored_cell_states() const {
    return cell_census(*this, nullptr).states;
}

int64_t Mapping::used_cells() const {
    int64_t n = 0;
    for (const Tile& t : tiles)
        for (const OuOp& op : t.ops) n += static_cast<int64_t>(op.rows) * op.cols;
    return n;
}

int64_t Mapping::total_index_bits() const {
    int64_t n = 0;
    for (const auto& [kind, bits] : index_bits) n += bits;
    return n;
}

int64_t Mapping::ou_slots() const {
    int64_t n = 0;
    for (const Tile& t : tiles) n += static_cast<int64_t>(t.ops.size());
    return n;
}

int64_t Mapping::crossbar_cells() const {
    int64_t n = 0;
    for (const Tile& t : tiles) n += static_cast<int64_t>(t.rows) * t.cols;
    return n;
}

int64_t weight_cells(const Mapping& m, const WeightMatrix& weights) {
    return cell_census(m, &weights).weight;
}

CellCensus cell_census(const Mapping& m, const WeightMatrix* weights) {
    CellCensus c;
    c.states.assign(size_t{1} << m.cell_bits, 0);
    std::vector<uint8_t> used;
    for (const Tile& t : m.tiles) {
        used.assign(t.cells.size(), 0);
        for (const OuOp& op : t.ops)
            for (int i = 0; i < op.rows; ++i) {
                const int32_t k = t.inputs[op.in_ofs + static_cast<size_t>(i)].k;
                if (k < 0) continue;
                const size_t row = static_cast<size_t>(op.r0 + i) * static_cast<size_t>(t.cols) +
                                   static_cast<size_t>(op.c0);
                const int32_t* w = weights && k < weights->K
                                       ? weights->w.data() + static_cast<size_t>(k) *
                                                                 static_cast<size_t>(weights->N)
                                       : nullptr;
                for (int j = 0; j < op.cols; ++j) {
                    const int32_t n = t.outputs[op.out_ofs + static_cast<size_t>(j)].n;
                    if (n < 0 || used[row + static_cast<size_t>(j)]) continue;
                    used[row + static_cast<size_t>(j)] = 1;
                    ++c.stored;
                    const uint8_t cell = t.cells[row + static_cast<size_t>(j)];
                    if (cell < c.states.size()) ++c.states[cell];
                    if (w && n < weights->N && w[n] != 0) ++c.weight;
                }
            }
    }
    return c;
}

std::vector<int64_t> reconstruct(const Mapping& m) {
    if (std::string problem = check_tables(m); !problem.empty()) throw Error(problem);
    return reconstruct_checked(m, nullptr);
}

std::string verify(const Mapping& m, const WeightMatrix& weights) {
    if (m.K != weights.K || m.N != weights.N)
        return m.layer + ": mapping is " + std::to_string(m.K) + "x" + std::to_string(m.N) +
               " but the weights are " + std::to_string(weights.K) + "x" +
               std::to_string(weights.N);
    if (std::string problem = weights.groups_problem(); !problem.empty()) return problem;
    if (m.groups != weights.groups)
        return m.layer + ": mapping has " + std::to_string(m.groups) + " groups but the weights " +
               std::to_string(weights.groups);
    if (std::string problem = check_tables(m); !problem.empty()) return problem;
    std::string dup;
    const std::vector<int64_t> w = reconstruct_checked(m, &dup);
    if (!dup.empty()) return dup;
    for (int64_t k = 0; k < m.K; ++k) {
        // Row k's weight positions: the columns of its own diagonal block.
        const int64_t n0 = k / weights.group_rows() * weights.group_cols();
        for (int64_t n = 0; n < m.N; ++n) {
            const bool real = n >= n0 && n < n0 + weights.group_cols();
            const int64_t offset = real ? m.offset : 0;
            const int64_t want = static_cast<int64_t>(weights.at(k, n)) + offset;
            const int64_t got = w[static_cast<size_t>(k * m.N + n)];
            if (got != want)
                return m.layer + ": " + (real ? "weight" : "structural zero") + " (" +
                       std::to_string(k) + "," + std::to_string(n) + ") reconstructs to " +
                       std::to_string(got - offset) + ", expected " + std::to_string(want - offset);
        }
    }
    return {};
}

}  // namespace sparsecim
