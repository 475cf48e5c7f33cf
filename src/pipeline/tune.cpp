#include "pipeline/tune.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "import/onnx_io.hpp"
#include "model/idx.hpp"
#include "pipeline/experiment.hpp"
#include "results/compare.hpp"
#include "schemes/scheme.hpp"

namespace sparsecim {

namespace {

struct Knob {
    std::string scheme, key;  // key without the scheme: "sparsity"
    std::vector<std::string> values;
};

double metric_of(const Ratios& r, const std::string& metric) {
    const std::optional<double>& v = metric == "speedup"               ? r.speedup
                                     : metric == "area_efficiency"     ? r.area_eff
                                     : metric == "crossbar_efficiency" ? r.crossbar_eff
                                     : metric == "compression"         ? r.compression
                                                                       : r.energy_eff;
    return v.value_or(0.0);
}

const SchemeResult& entry(const EvalResult& r, const std::string& name) {
    for (const auto& s : r.schemes)
        if (s.name == name) return s;
    throw Error("tune: the evaluation has no entry '" + name + "'");
}

// The knob of every scheme to tune: its default, replaced by a --grid naming the scheme; every
// value checked against the scheme's parameter table now, so a bad grid fails before any work.
std::vector<Knob> knobs(const TuneOptions& opt) {
    std::map<std::string, Knob> given;
    for (const std::string& g : opt.grid) {
        const auto eq = g.find('=');
        const auto dot = g.find('.');
        if (eq == std::string::npos || dot == std::string::npos || dot > eq)
            throw FieldError(
                Origin::Option, "grid",
                "'" + g + "': expected SCHEME.KEY=V1,V2,... (e.g. csr.sparsity=0.9,0.8)");
        Knob k{g.substr(0, dot), g.substr(dot + 1, eq - dot - 1), split_list(g.substr(eq + 1))};
        if (k.values.empty()) throw FieldError(Origin::Option, "grid", "'" + g + "': no values");
        if (given.count(k.scheme))
            throw FieldError(
                Origin::Option, "grid",
                "'" + g + "': a second grid for '" + k.scheme + "' (one knob per scheme)");
        given[k.scheme] = k;
    }
    if (opt.schemes.empty()) throw FieldError(Origin::Option, "schemes", "no scheme to tune");
    for (const auto& [name, k] : given)
        if (std::find(opt.schemes.begin(), opt.schemes.end(), name) == opt.schemes.end())
            throw FieldError(Origin::Option, "grid", "'" + name + "' is not one of the schemes",
                             {"schemes"});
    const HwConfig hw = resolve_hw(opt.base.hw_path, opt.base.hw_overrides);
    std::vector<Knob> out;
    for (const std::string& name : opt.schemes) {
        if (name == "dense")
            throw FieldError(Origin::Option, "schemes",
                             "dense is the reference every scheme is tuned against, not tuned");
        find_scheme(name);  // an unknown scheme: the error naming the known ones
        Knob k;
        if (auto it = given.find(name); it != given.end()) {
            k = it->second;
        } else {
            auto [key, values] = tune_default_grid(name);
            if (key.empty())
                throw FieldError(Origin::Option, "grid",
                                 "scheme '" + name + "' has no default knob: give grid " + name +
                                     ".KEY=V1,V2,...",
                                 {"grid"});
            k = {name, key.substr(name.size() + 1), values};
        }
        for (const std::string& v : k.values) {
            const std::string assign = name + "." + k.key + "=" + v;
            EvalSettings with = opt.base;
            with.scheme_params.push_back(assign);
            try {
                scheme_context(name, hw, with);
            } catch (const FieldError& e) {
                throw FieldError(Origin::Option, "grid", assign + ": " + e.detail());
            } catch (const Error& e) {
                throw FieldError(Origin::Option, "grid", assign + ": " + e.what());
            }
        }
        out.push_back(k);
    }
    return out;
}

// The evaluation that ranks one candidate: dense (not finetuned: its top-1 is the reference)
// and the scheme at the candidate value, finetuned with the ranking budget, top-1 on the
// validation split; the cost ratios come from one simulated image (its bit-serial traces).
EvalOptions candidate_options(const TuneOptions& opt, const Knob& k, const std::string& value) {
    EvalOptions o = opt.base;
    o.tuned = "none";  // tuned from the run's model
    o.schemes = {"dense", k.scheme};
    o.scheme_params.push_back(k.scheme + "." + k.key + "=" + value);
    o.finetune_epochs = opt.rank_epochs;
    o.finetune_epochs_scheme.clear();
    o.finetune_images = opt.rank_images;
    o.finetune_dense = false;
    o.accuracy_split = "val";
    o.accuracy_images = opt.val_images;
    o.images = 1;
    o.adc_accuracy_images = 0;
    o.check_exact = false;
    o.progress = false;
    return o;
}

// The evaluation that verifies one candidate: as its ranking, with the final finetuning budget
// (on the training images before the validation split it is scored on: Fashion-MNIST's first
// 50,000).
EvalOptions verify_options(const TuneOptions& opt, const Knob& k, const std::string& value) {
    EvalOptions o = candidate_options(opt, k, value);
    const auto own = opt.final_epochs_scheme.find(k.scheme);
    o.finetune_epochs = own != opt.final_epochs_scheme.end() ? own->second : opt.final_epochs;
    o.finetune_images =
        opt.final_images == 0 ? 0 : std::min<int64_t>(opt.final_images, val_first(opt.base.data));
    return o;
}

// The journal of finished candidates: one JSON line each, keyed by what its figures depend on.
class Journal {
  public:
    Journal(const std::filesystem::path& path, bool resume) : path_(path) {
        if (resume && std::filesystem::exists(path)) {
            std::ifstream in(path);
            std::string kept;
            for (std::string line; std::getline(in, line);) {
                nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
                if (j.is_discarded() || !j.contains("fingerprint")) continue;  // a cut last line
                done_[j["fingerprint"].get<std::string>()] = j;
                kept += line + "\n";
            }
            write_file_atomic(path, kept);
        } else {
            write_file_atomic(path, "");
        }
    }
    const nlohmann::json* find(const std::string& fp) const {
        auto it = done_.find(fp);
        return it == done_.end() ? nullptr : &it->second;
    }
    void add(const nlohmann::json& j) {
        std::ofstream outf(path_, std::ios::app);
        outf << j.dump() << "\n";
        outf.flush();
        if (!outf) throw Error(path_.string() + ": cannot append");
        done_[j["fingerprint"].get<std::string>()] = j;
    }

  private:
    std::filesystem::path path_;
    std::map<std::string, nlohmann::json> done_;
};

std::string fingerprint(const EvalOptions& o) {
    ExperimentUnit u;
    u.options = o;
    return unit_fingerprint(u);
}

}  // namespace

std::pair<std::string, std::vector<std::string>> tune_default_grid(const std::string& scheme) {
    const std::vector<std::string> sparsities = {"0.9", "0.8", "0.7", "0.6", "0.5"};
    if (scheme == "csr") return {"csr.sparsity", sparsities};
    if (scheme == "twofold") return {"twofold.sparsity", sparsities};
    if (scheme == "pattern") return {"pattern.connectivity", {"0.8", "0.7", "0.6", "0.5", "0.3"}};
    if (scheme == "sme") return {"sme.budget", {"4", "3", "2"}};  // lossy squeeze-out
    return {};
}

std::string tune_metric(const std::string& scheme) {
    if (scheme == "csr") return "speedup";
    if (scheme == "sme") return "crossbar_efficiency";
    if (scheme == "pattern") return "area_efficiency";
    return "energy_efficiency";
}

TuneResult tune(const TuneOptions& opt, const std::function<void(const std::string&)>& say) {
    if (!(opt.max_drop_pp >= 0.0)) throw FieldError(Origin::Option, "max_drop", "must be >= 0");
    if (opt.rank_epochs < 1) throw FieldError(Origin::Option, "rank_epochs", "must be >= 1");
    if (opt.final_epochs < 1) throw FieldError(Origin::Option, "final_epochs", "must be >= 1");
    for (const auto& [scheme, epochs] : opt.final_epochs_scheme) {
        if (std::find(opt.schemes.begin(), opt.schemes.end(), scheme) == opt.schemes.end())
            throw FieldError(Origin::Option, "final_epochs_scheme",
                             scheme + ": not a scheme this tune searches");
        if (epochs < 1)
            throw FieldError(Origin::Option, "final_epochs_scheme", scheme + ": must be >= 1");
    }
    if (opt.verify < 0) throw FieldError(Origin::Option, "verify", "must be >= 0");
    if (!opt.base.finetune)
        throw FieldError(Origin::Option, "schemes", "tuning finetunes: this build has no LibTorch");
    const std::vector<Knob> ks = knobs(opt);
    std::filesystem::create_directories(opt.out);
    Journal journal(opt.out / "tune.jsonl", opt.resume);
    EvalCache cache;
    TuneResult res;
    res.max_drop_pp = opt.max_drop_pp;
    size_t total = 0, step = 0;
    for (const Knob& k : ks) total += k.values.size();
    // One evaluation of dense and a scheme at a candidate value, from the journal when it was
    // run before with the same settings: the finetuned top-1, dense's, and the efficiency.
    auto measure = [&](const EvalOptions& o, const std::string& label, int epochs, int64_t images) {
        const std::string fp = fingerprint(o);
        const std::string& scheme = o.schemes.at(1);
        const std::string metric = tune_metric(scheme);
        TuneCandidate c;
        if (const nlohmann::json* j = journal.find(fp)) {
            c.val_top1 = j->at("val_top1");
            c.dense_val_top1 = j->at("dense_val_top1");
            c.efficiency = j->at("efficiency");
            c.baseline = j->at("baseline");
            c.seconds = j->at("seconds");
            say(label + ": kept from tune.jsonl");
        } else {
            say(label + ": finetune " + std::to_string(epochs) + " epoch(s) on " +
                std::to_string(images) + " images");
            const auto t0 = std::chrono::steady_clock::now();
            const EvalResult r = evaluate(o, &cache);
            c.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const SchemeResult& ft = entry(r, scheme + "+ft");
            c.val_top1 = ft.accuracy.value_or(0.0);
            c.dense_val_top1 = entry(r, "dense").accuracy.value_or(0.0);
            for (const auto& cmp : compare_schemes(r))
                if (cmp.name == ft.name) {
                    c.efficiency = metric_of(cmp, metric);
                    c.baseline = cmp.baseline;
                }
            journal.add({{"fingerprint", fp},
                         {"scheme", scheme},
                         {"label", label},
                         {"val_top1", c.val_top1},
                         {"dense_val_top1", c.dense_val_top1},
                         {"efficiency", c.efficiency},
                         {"metric", metric},
                         {"baseline", c.baseline},
                         {"seconds", c.seconds}});
        }
        char line[160];
        std::snprintf(line, sizeof line, "val top-1 %.2f%% (dense %.2f%%), %s %.2fx",
                      100.0 * c.val_top1, 100.0 * c.dense_val_top1, metric.c_str(), c.efficiency);
        say(label + ": " + line);
        return c;
    };
    for (const Knob& k : ks) {
        TuneScheme& ts = res.schemes.emplace_back();
        ts.scheme = k.scheme;
        ts.key = k.scheme + "." + k.key;
        ts.metric = tune_metric(k.scheme);
        for (const std::string& v : k.values) {
            ++step;
            char head[96];
            std::snprintf(head, sizeof head, "tune: [%zu/%zu] ", step, total);
            TuneCandidate c = measure(candidate_options(opt, k, v), head + ts.key + "=" + v,
                                      opt.rank_epochs, opt.rank_images);
            c.value = v;
            c.within = 100.0 * (c.dense_val_top1 - c.val_top1) <= opt.max_drop_pp + 1e-9;
            ts.candidates.push_back(c);
        }
        // The most efficient candidate within max_drop; with none, the most accurate one.
        ts.within = false;
        for (size_t i = 0; i < ts.candidates.size(); ++i) {
            const TuneCandidate& c = ts.candidates[i];
            const TuneCandidate& best = ts.candidates[ts.chosen];
            if (c.within && (!ts.within || c.efficiency > best.efficiency ||
                             (c.efficiency == best.efficiency && c.val_top1 > best.val_top1))) {
                ts.chosen = i;
                ts.within = true;
            }
        }
        if (!ts.within)
            for (size_t i = 0; i < ts.candidates.size(); ++i)
                if (ts.candidates[i].val_top1 > ts.candidates[ts.chosen].val_top1) ts.chosen = i;
        say("tune: " + k.scheme + ": ranking chose " + ts.key + "=" +
            ts.candidates[ts.chosen].value +
            (ts.within ? "" : " (none within --max-drop: the most accurate)"));
        if (opt.verify > 0) {
            // Bisect the frontier from the ranking's choice up in efficiency: `lo` is the most
            // efficient candidate taken as within (the ranking's choice until one is verified),
            // everything above `hi` is known to be too inaccurate.
            std::vector<size_t> front = tune_frontier(ts);
            std::sort(front.begin(), front.end(), [&](size_t x, size_t y) {
                return ts.candidates[x].efficiency < ts.candidates[y].efficiency;
            });
            auto at = std::find(front.begin(), front.end(), ts.chosen);
            if (at == front.end()) at = front.insert(front.begin(), ts.chosen);
            size_t lo = static_cast<size_t>(at - front.begin()), hi = front.size() - 1;
            auto verify = [&](size_t i) {
                TuneCandidate& c = ts.candidates[i];
                const EvalOptions o = verify_options(opt, k, c.value);
                const TuneCandidate full =
                    measure(o, "tune: verify " + ts.key + "=" + c.value, o.finetune_epochs,
                            o.finetune_images == 0 ? val_first(o.data) : o.finetune_images);
                c.verified_top1 = full.val_top1;
                c.verified_within =
                    100.0 * (c.dense_val_top1 - full.val_top1) <= opt.max_drop_pp + 1e-9;
                return c.verified_within;
            };
            int left = opt.verify;
            while (left > 0 && lo < hi) {
                const size_t mid = (lo + hi + 1) / 2;
                --left;
                if (verify(front[mid]))
                    lo = mid;
                else
                    hi = mid - 1;
            }
            if (left > 0 && !ts.candidates[front[lo]].verified_top1) verify(front[lo]);
            ts.chosen = front[lo];
            const TuneCandidate& c = ts.candidates[ts.chosen];
            ts.verified = c.verified_top1.has_value();
            ts.within = ts.verified ? c.verified_within : c.within;
            say("tune: " + k.scheme + ": verified choice " + ts.key + "=" + c.value +
                (ts.within ? "" : " (not within --max-drop)"));
        }
    }
    // The final run: every scheme at its chosen value, the full finetune, the test split.
    EvalOptions fin = opt.base;
    fin.tuned = "none";
    fin.schemes = {"dense"};
    for (size_t i = 0; i < ks.size(); ++i) {
        fin.schemes.push_back(ks[i].scheme);
        fin.scheme_params.push_back(res.schemes[i].key + "=" +
                                    res.schemes[i].candidates[res.schemes[i].chosen].value);
    }
    fin.finetune_epochs = opt.final_epochs;
    fin.finetune_epochs_scheme = opt.final_epochs_scheme;
    fin.finetune_images = opt.final_images;
    fin.finetune_dense = false;
    fin.accuracy_split = "test";
    fin.accuracy_images = opt.test_images;
    std::map<std::string, std::string> models;  // scheme -> ONNX bytes of its tuned model
    fin.on_finetuned = [&](const std::string& scheme, const Graph& g) {
        models[scheme] = export_onnx_bytes(g);
    };
    say("tune: final finetune of every scheme at its chosen value, top-1 on " +
        std::to_string(opt.test_images) + " test images");
    res.final = evaluate(fin, &cache);
    for (const auto& [scheme, bytes] : models)
        write_file_atomic(opt.out / "models" / (scheme + "-tuned.onnx"), bytes);
    return res;
}

}  // namespace sparsecim
