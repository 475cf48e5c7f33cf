// Results of an iso-accuracy search (`sparsecim tune`, pipeline/tune.hpp) as plain values: per
// scheme, every candidate value of its knob with its finetuned top-1 on the validation split and
// its efficiency against dense, the chosen candidate, and the final evaluation at the chosen
// points on the test set.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/results.hpp"

namespace sparsecim {

struct TuneCandidate {
    std::string value;            // of the scheme's knob, as given ("0.8")
    double val_top1 = 0.0;        // int top-1 of the finetuned model on the validation split
    double dense_val_top1 = 0.0;  // the trained dense int top-1 on the same images
    double efficiency = 0.0;      // the scheme's metric of the finetuned model, x vs its baseline
    std::string baseline;         // what `efficiency` is against ("dense" or "dense[...]")
    double seconds = 0.0;         // wall time of the candidate's evaluation
    bool within = false;          // dense_val_top1 - val_top1 <= max_drop
    // With TuneOptions::verify: top-1 on the same validation images after the final finetuning
    // budget (set only for the candidates verified), and whether that is within max_drop.
    std::optional<double> verified_top1;
    bool verified_within = false;
};

struct TuneScheme {
    std::string scheme;
    std::string key;     // the knob, "csr.sparsity"
    std::string metric;  // the efficiency chosen on: speedup, energy_efficiency, ...
    std::vector<TuneCandidate> candidates;  // in grid order
    size_t chosen = 0;                      // index into candidates
    bool within = false;    // the chosen candidate is within max_drop (else: the most accurate)
    bool verified = false;  // the choice was confirmed by full finetunes (TuneOptions::verify)
};

struct TuneResult {
    double max_drop_pp = 1.0;
    std::vector<TuneScheme> schemes;
    // Every scheme at its chosen point, finetuned with the final budget, on the test split (its
    // "<scheme>+ft" entries hold the reported figures).
    EvalResult final;
};

// tune.json: the settings, and per scheme its candidates (the frontier), choice and test top-1.
nlohmann::json tune_json(const TuneResult& t);

// Index of the candidates on the accuracy-efficiency frontier of `s` (no other candidate at least
// as accurate and at least as efficient, and better in one), in grid order.
std::vector<size_t> tune_frontier(const TuneScheme& s);

}  // namespace sparsecim
