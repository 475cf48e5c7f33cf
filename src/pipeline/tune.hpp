// `sparsecim tune`: iso-accuracy search. Per scheme, every value of its main knob is ranked by a
// short finetune scored on the validation split; the chosen value is the most efficient one whose
// finetuned top-1 is within max_drop percentage points of dense (the trained model's own int
// top-1 on the same images), else the most accurate one. Then one evaluation finetunes every
// scheme at its chosen value with the full budget and reports it on the test split. docs/tune.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/evaluate.hpp"
#include "results/tune.hpp"

namespace sparsecim {

struct TuneOptions {
    // The model, hardware, data, seed, fixed scheme parameters and finetuning recipe (lr,
    // distillation, prune schedule, the FinetuneFn) of every evaluation the search runs.
    EvalOptions base;
    std::vector<std::string> schemes;  // to tune (not dense)
    // "scheme.key=v1,v2,...": the knob and values of a scheme (default: tune_default_grid).
    std::vector<std::string> grid;
    double max_drop_pp = 1.0;
    int rank_epochs = 1;
    int64_t rank_images = 10000;  // training images of a ranking finetune
    int64_t val_images = 1000;    // validation images a candidate is scored on
    int final_epochs = 1;
    // Per scheme: its own final_epochs (verification and final finetunes; the ranking keeps
    // rank_epochs). A heavily pruned scheme needs longer to recover than a lightly pruned one.
    std::map<std::string, int> final_epochs_scheme;
    int64_t final_images = 0;  // training images of the final finetune (0: all 60,000)
    int64_t test_images = 10000;
    // Full finetunes per scheme that check the choice on the validation split (0: none). The
    // candidates on the accuracy-efficiency frontier at least as efficient as the ranking's choice
    // are bisected: each verified one is finetuned with the final budget (on the first 50,000
    // training images) and scored on the validation images; the choice becomes the most efficient
    // one verified within max_drop (a short ranking finetune underestimates what a full one
    // recovers, so the ranking alone chooses too conservatively).
    int verify = 0;
    // OUT/tune.jsonl (one line per finished candidate), tune.json, tune.html, the final run's
    // results.json and report.html, and models/<scheme>-tuned.onnx.
    std::filesystem::path out;
    bool resume = false;  // keep the candidates of tune.jsonl that were run with the same settings
};

// A scheme's default knob and values ("csr.sparsity", {"0.9", ...}); empty key: none.
std::pair<std::string, std::vector<std::string>> tune_default_grid(const std::string& scheme);

// The efficiency figure a scheme is chosen on (the deck's headline): csr speedup, twofold
// energy_efficiency, sme crossbar_efficiency, pattern area_efficiency, others
// energy_efficiency.
std::string tune_metric(const std::string& scheme);

// Runs the search. `say` gets one progress line per step. Throws FieldError "grid" / "schemes"
// for a bad grid or scheme, before anything runs.
TuneResult tune(const TuneOptions& opt, const std::function<void(const std::string&)>& say);

}  // namespace sparsecim
