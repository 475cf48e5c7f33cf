// The csr scheme's parameters (--param csr.key=value), with their defaults and validation. Every
// key is documented in docs/schemes/csr.md; an unknown key or a bad value is an Error naming it.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "schemes/param_table.hpp"

namespace sparsecim {

struct CsrParams {
    int beta = 4;                 // pruning factor: logical columns per row block (deck 000: 4)
    double sparsity = 0.5;        // target fraction of zero weights after pruning
    std::string scope = "layer";  // "layer": every layer meets the target; "global": one
                                  // threshold over all layers' block norms
    int alpha = 8;  // OUs per shuffle window: N_C = alpha * P_BL / beta (8 -> 16-to-16 Benes)
    std::string search = "ga";      // "ga", "exhaustive" (tiny windows only) or "none" (identity)
    std::string balance = "layer";  // compressed heights differ by < P_WL across: "layer" (all
                                    // windows of a row band), "window", or "none"
    int ga_population = 32;
    int ga_generations = 40;
    double ga_mutation = 0.05;  // per-gene probability of a swap with a random gene
    int ga_tournament = 3;
    int ga_elite = 2;
    uint64_t ga_seed = 0;      // 0 = the run's --seed
    bool skip_zero = true;     // zero-skipping circuit: skip OU ops whose input bits are all zero
    bool pipeline = true;      // stage-by-stage pipelined timing (Cache .. Shift&Add)
    bool stack = true;         // compressed row bands share crossbars (fewer crossbars) or each
                               // keeps its own (dense's crossbars, each running only its rows)
    int kmeans_k = 0;          // clusters of the k-means comparison point; 0 = one per column block
    uint64_t kmeans_seed = 0;  // k-means++ seeding of the comparison point; 0 = the run's --seed
    bool fault_aware = false;  // place around the chip's known stuck cells (on faulty devices)
    // Layers left dense (schemes/exempt.hpp): "ends" = the first and the last weight layer,
    // "none" = every layer pruned.
    std::string exempt = "ends";

    friend bool operator==(const CsrParams&, const CsrParams&) = default;
};

// One row per key: parsing, `sparsecim params csr` and the docs read it.
const ParamTable<CsrParams>& csr_param_table();

// Reads ctx.params through csr_param_table(); `run_seed` fills ga_seed and kmeans_seed when they
// are 0. Throws Error
// "--param csr.KEY: problem" for an unknown key or a bad value.
CsrParams parse_csr_params(const nlohmann::json& params, uint64_t run_seed);

}  // namespace sparsecim
