#include "results/tune.hpp"

#include <algorithm>

#include "results/compare.hpp"
#include "results/results_json.hpp"

namespace sparsecim {

std::vector<size_t> tune_frontier(const TuneScheme& s) {
    std::vector<size_t> out;
    const auto& c = s.candidates;
    for (size_t i = 0; i < c.size(); ++i) {
        bool dominated = false;
        for (size_t j = 0; j < c.size() && !dominated; ++j)
            dominated = j != i && c[j].val_top1 >= c[i].val_top1 &&
                        c[j].efficiency >= c[i].efficiency &&
                        (c[j].val_top1 > c[i].val_top1 || c[j].efficiency > c[i].efficiency);
        if (!dominated) out.push_back(i);
    }
    return out;
}

nlohmann::json tune_json(const TuneResult& t) {
    const auto cmp = compare_schemes(t.final);
    auto entry = [&](const std::string& name) -> const SchemeResult* {
        for (const auto& s : t.final.schemes)
            if (s.name == name) return &s;
        return nullptr;
    };
    nlohmann::json schemes = nlohmann::json::array();
    for (const TuneScheme& s : t.schemes) {
        nlohmann::json cands = nlohmann::json::array();
        const auto front = tune_frontier(s);
        for (size_t i = 0; i < s.candidates.size(); ++i) {
            const TuneCandidate& c = s.candidates[i];
            cands.push_back(
                {{"value", c.value},
                 {"val_top1", c.val_top1},
                 {"dense_val_top1", c.dense_val_top1},
                 {"drop_pp", 100.0 * (c.dense_val_top1 - c.val_top1)},
                 {"efficiency", c.efficiency},
                 {"baseline", c.baseline},
                 {"within", c.within},
                 {"on_frontier", std::find(front.begin(), front.end(), i) != front.end()},
                 {"verified_top1",
                  c.verified_top1 ? nlohmann::json(*c.verified_top1) : nlohmann::json()},
                 {"verified_drop_pp",
                  c.verified_top1 ? nlohmann::json(100.0 * (c.dense_val_top1 - *c.verified_top1))
                                  : nlohmann::json()},
                 {"seconds", c.seconds}});
        }
        nlohmann::json j = {{"scheme", s.scheme},
                            {"key", s.key},
                            {"metric", s.metric},
                            {"candidates", cands},
                            {"chosen", s.candidates.empty() ? "" : s.candidates[s.chosen].value},
                            {"within_max_drop", s.within},
                            {"verified", s.verified}};
        if (const SchemeResult* ft = entry(s.scheme + "+ft")) {
            j["test_top1"] = ft->accuracy ? nlohmann::json(*ft->accuracy) : nlohmann::json();
            for (const auto& c : cmp)
                if (c.name == ft->name) {
                    j["test_ratios"] = ratios_json(c);
                    j["test_baseline"] = c.baseline;
                }
        }
        schemes.push_back(j);
    }
    const SchemeResult* dense = entry("dense");
    return {{"max_drop_pp", t.max_drop_pp},
            {"dense_test_top1",
             dense && dense->accuracy ? nlohmann::json(*dense->accuracy) : nlohmann::json()},
            {"schemes", schemes}};
}

}  // namespace sparsecim
