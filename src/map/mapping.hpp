// Mapping: what sits where on the chip for one weight layer. A mapping is data: crossbar tiles
// holding cell values, an OU schedule, and per OU op the input index (which logical input feeds
// each of its rows, with what left shift) and the output index (which logical output each of its
// columns adds into, with what sign and shift). The simulator executes any valid Mapping; it
// knows nothing about schemes. verify() proves a mapping reconstructs its weight matrix.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/weight_matrix.hpp"

namespace sparsecim {

struct RowInput {
    int32_t k = -1;    // logical input (row of the WeightMatrix); -1 = row unused
    int8_t shift = 0;  // input is multiplied by 2^shift before it drives the row
};

struct ColOutput {
    int32_t n = -1;    // logical output column; -1 = column unused
    int8_t shift = 0;  // column result is weighted by 2^shift
    int8_t sign = 1;   // +1 or -1 (differential pair, two's complement sign plane)
};

// One OU op: rows [r0, r0+rows) x columns [c0, c0+cols) of a tile, activated together for one
// input bit-plane. Its rows' inputs are tile.inputs[in_ofs .. in_ofs+rows), its columns'
// outputs tile.outputs[out_ofs .. out_ofs+cols). OU ops of one row band may share tables.
struct OuOp {
    uint16_t r0 = 0, rows = 0, c0 = 0, cols = 0;
    uint32_t in_ofs = 0, out_ofs = 0;
    // First op of a group of ops whose activations the periphery fetches together (e.g. one OU
    // row of a row-first traversal); only the pipelined timing model (Mapping::pipeline) uses it.
    bool fetch = false;
};

struct Tile {
    int rows = 0, cols = 0;          // physical size of the crossbar
    std::vector<uint8_t> cells;      // rows*cols cell states (0 .. 2^cell_bits-1), row-major
    std::vector<RowInput> inputs;    // input index tables referenced by OU ops
    std::vector<ColOutput> outputs;  // output index tables referenced by OU ops
    std::vector<OuOp> ops;           // the OU schedule, in issue order

    uint8_t cell(int r, int c) const { return cells[static_cast<size_t>(r) * cols + c]; }
    uint8_t& cell(int r, int c) { return cells[static_cast<size_t>(r) * cols + c]; }
};

struct Mapping {
    std::string scheme;
    std::string layer;
    int64_t K = 0, N = 0;
    // The weight matrix's diagonal blocks (WeightMatrix::groups): entries outside them are no
    // weights, so the offset below applies inside the blocks only.
    int64_t groups = 1;
    int cell_bits = 2;
    std::vector<Tile> tiles;
    // Offset encoding: the digital periphery subtracts offset * sum_k x_k from every output, the
    // sum over the rows k of the output's own group.
    int64_t offset = 0;
    // Whether the hardware skips an OU op whose rows' input bits are all zero in a bit-plane.
    bool skip_zero_ou = false;
    // Metadata the mapping costs, in bits, by kind (e.g. "input_index", "output_index").
    std::map<std::string, int64_t> index_bits;
    // Scheme periphery this mapping needs (area), by component name: priced by the config's
    // components.NAME.area_um2.
    std::map<std::string, int64_t> units;
    // Scheme periphery events: `count` events of `component` per unit of `per`, added by the
    // simulator to Stats::events and priced by components.NAME.energy_pj.
    struct EventRule {
        enum class Per { Position, IssuedOp, SkippedOp, OpSlot, Conversion, DrivenRow };
        std::string component;
        Per per = Per::Position;
        int64_t count = 1;
    };
    std::vector<EventRule> events;
    // Optional pipelined timing model; empty = the default (a position takes, on its busiest
    // crossbar, the issued OU ops x ou_op_cycles x ADC rounds). With stages, per position and
    // crossbar, the schedule's items flow in order through the stages, each stage taking one item
    // at a time (unbounded buffers between stages): an item enters stage s when it has left stage
    // s-1 and stage s has finished the previous item. Items: one per issued bit-plane of each OU
    // op; an op with every plane skipped still passes as one item through its per-op stages. A
    // position takes, on its slowest crossbar, the time its last item leaves the last stage; the
    // pipeline starts empty for each position.
    struct PipelineStage {
        enum class Per {
            Fetch,     // `cycles` on the first item of an op with OuOp::fetch set
            Op,        // `cycles` on the first item of every op (issued or fully skipped)
            Plane,     // `cycles` per issued bit-plane
            AdcRound,  // `cycles` x the op's ADC rounds per issued bit-plane
        };
        std::string name;
        Per per = Per::Plane;
        int64_t cycles = 1;
    };
    std::vector<PipelineStage> pipeline;
    // Scheme-specific figures of this layer (e.g. "plane7_nonempty_rows"), echoed in results.json
    // per layer and summed per scheme: give ratios as numerator and denominator figures.
    std::map<std::string, double> figures;
    // Remarks the report must show for this layer (e.g. "not 3x3: mapped densely").
    std::vector<std::string> notes;

    int64_t stored_cells() const;  // cells holding a non-zero state or used by an OU op's rows
    std::vector<int64_t> stored_cell_states() const;  // stored cells by state (2^cell_bits)
    int64_t used_cells() const;  // cells covered by OU ops (rows with an input x used columns)
    int64_t total_index_bits() const;
    int64_t ou_slots() const;        // OU ops per input bit-plane (the schedule's length)
    int64_t crossbar_cells() const;  // rows x cols summed over the tiles
};

// Distinct crossbar cells an OU op computes for a non-zero weight of `weights` (a slice of a
// weight that is not zero): over crossbar_cells(), how well the layer uses its arrays.
int64_t weight_cells(const Mapping& m, const WeightMatrix& weights);

// stored_cells(), stored_cell_states() and weight_cells() of one mapping in one pass over its cells
// (`weights` null: weight = 0).
struct CellCensus {
    int64_t stored = 0, weight = 0;
    std::vector<int64_t> states;  // 2^cell_bits
};
CellCensus cell_census(const Mapping& m, const WeightMatrix* weights);

// A mapping of `w` for `scheme` with no tiles yet (K, N and layer name from `w`).
Mapping empty_mapping(const std::string& scheme, const WeightMatrix& w, int cell_bits);
// A rows x cols crossbar with every cell in state 0 and no tables or ops.
Tile empty_tile(int rows, int cols);

// Reconstructs the K x N integer matrix a mapping computes (sum over every OU op of
// sign * 2^(col shift + row shift) * cell, at (k, n)), minus nothing for the offset: the offset
// correction is applied by comparing against w + offset at the weight positions. Throws Error on
// malformed tables.
std::vector<int64_t> reconstruct(const Mapping& m);

// Checks that the mapping reconstructs `weights` exactly and is well-formed (every table index in
// range, cells within cell_bits, no cell computed twice for the same output, the groups of the
// weights). Returns an empty string when it does, else a description of the first discrepancy.
std::string verify(const Mapping& m, const WeightMatrix& weights);

}  // namespace sparsecim
