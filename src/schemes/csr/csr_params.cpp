// The csr parameter table, and the checks across parameters.
#include "schemes/csr/csr_params.hpp"

#include <nlohmann/json.hpp>

#include "schemes/exempt.hpp"

namespace sparsecim {

const ParamTable<CsrParams>& csr_param_table() {
    using P = CsrParams;
    static const ParamTable<P> table = {
        {"beta", "cols", &P::beta, int_at_least(1, 1024),
         "pruning factor: logical columns per row block (deck 000: 4)"},
        {"sparsity", "", &P::sparsity, number_in(0.0, 1.0),
         "target fraction of zero weights after pruning"},
        {"scope", "", &P::scope, choice({"layer", "global"}),
         "layer: every layer meets the target; global: one threshold over all layers' block norms"},
        {"alpha", "OUs", &P::alpha, int_at_least(1, 1024),
         "OUs per shuffle window: N_C = alpha x P_BL / beta (8 -> 16-to-16 Benes)"},
        {"search", "", &P::search, choice({"ga", "exhaustive", "none"}),
         "column shuffle search: ga, exhaustive (tiny windows only) or none (identity)"},
        {"balance", "", &P::balance, choice({"layer", "window", "none"}),
         "compressed heights differ by < P_WL across: layer (all windows of a row band), window, "
         "or none"},
        {"ga_population", "", &P::ga_population, int_at_least(2, 100000),
         "GA: individuals per generation"},
        {"ga_generations", "", &P::ga_generations, int_at_least(0, 1000000),
         "GA: generations evolved"},
        {"ga_mutation", "", &P::ga_mutation, number_in(0.0, 1.0),
         "GA: per-gene probability of a swap with a random gene"},
        {"ga_tournament", "", &P::ga_tournament, int_at_least(1, 1000),
         "GA: individuals per tournament selection"},
        {"ga_elite", "", &P::ga_elite, int_at_least(0, 100000),
         "GA: best individuals kept unchanged, < ga_population"},
        {"ga_seed", "", &P::ga_seed, int_at_least(0, std::numeric_limits<int64_t>::max()),
         "GA seed; 0 = the run's --seed"},
        {"skip_zero", "", &P::skip_zero, flag_or_01(),
         "zero-skipping circuit: skip OU ops whose input bits are all zero"},
        {"pipeline", "", &P::pipeline, flag_or_01(),
         "stage-by-stage pipelined timing (Cache .. Shift&Add)"},
        {"stack", "", &P::stack, flag_or_01(),
         "1: the compressed row bands of a layer are stacked into as few crossbars as they fit "
         "(area); 0: each row band keeps its own crossbar, as dense places it, so a crossbar runs "
         "only its compressed rows (the deck's speedup on the same hardware)"},
        {"kmeans_k", "clusters", &P::kmeans_k, int_at_least(0, 1000000, "auto"),
         "clusters of the k-means comparison point; 0 = one per column block"},
        {"kmeans_seed", "", &P::kmeans_seed, int_at_least(0, std::numeric_limits<int64_t>::max()),
         "k-means++ seeding of the comparison point; 0 = the run's --seed"},
        {"fault_aware", "", &P::fault_aware, flag_or_01(),
         "on devices with stuck-at faults: the GA and a row reordering place weights where the "
         "chip's known stuck cells err least, at the same stored rows and OU slots; each Monte "
         "Carlo "
         "trial is mapped onto its own chip"},
        exempt_param_row<P>(),
    };
    return table;
}

CsrParams parse_csr_params(const nlohmann::json& params, uint64_t run_seed) {
    CsrParams p = parse_params("csr", csr_param_table(), params);
    if (p.ga_elite >= p.ga_population)
        param_error("csr", "ga_elite", "must be smaller than ga_population");
    if (p.ga_seed == 0) p.ga_seed = run_seed;
    if (p.kmeans_seed == 0) p.kmeans_seed = run_seed;
    return p;
}

}  // namespace sparsecim
