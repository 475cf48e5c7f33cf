// EvalCache: what evaluations of neighbouring design points share (`sparsecim sweep`). The
// pipeline's stages are memoised by a key of exactly the inputs they depend on: the model, data
// and float top-1 by model and image set; a scheme's quantized model, its int top-1 and its traces
// by (model, scheme, parameters, precision, seed); a mapping and its simulation by that plus the
// hardware fields mapping and simulation read (structural_json). Points that differ only in
// cost-only fields (energies, areas) therefore share the mapping and simulation and are only
// re-priced. Thread-safe: concurrent requests for one key compute it once; the others wait.
// A value never depends on whether it came from the cache (tests/test_sweep.cpp checks this).
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sparsecim {

class EvalCache {
  public:
    struct StageCount {
        int64_t computed = 0;  // keys computed
        int64_t reused = 0;    // lookups answered from the cache
        double seconds = 0.0;  // time spent computing
    };

    // The value of `stage` under `key`: computed by make() on first request, shared afterwards.
    // An exception from make() is rethrown to every request of that key.
    template <typename V, typename Make>
    std::shared_ptr<const V> get(const std::string& stage, const std::string& key, Make&& make) {
        const std::string full = stage + '\n' + key;
        std::promise<std::shared_ptr<const void>> promise;
        std::shared_future<std::shared_ptr<const void>> future;
        bool mine = false;
        {
            const std::lock_guard<std::mutex> lock(mu_);
            auto it = entries_.find(full);
            if (it == entries_.end()) {
                future = promise.get_future().share();
                entries_.emplace(full, future);
                mine = true;
            } else {
                future = it->second;
                ++counts_[stage].reused;
            }
        }
        if (mine) {
            const auto t0 = std::chrono::steady_clock::now();
            try {
                promise.set_value(std::make_shared<const V>(make()));
            } catch (...) {
                promise.set_exception(std::current_exception());
            }
            const double s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const std::lock_guard<std::mutex> lock(mu_);
            ++counts_[stage].computed;
            counts_[stage].seconds += s;
        }
        return std::static_pointer_cast<const V>(future.get());
    }

    std::map<std::string, StageCount> counts() const {
        const std::lock_guard<std::mutex> lock(mu_);
        return counts_;
    }

  private:
    mutable std::mutex mu_;
    std::map<std::string, std::shared_future<std::shared_ptr<const void>>> entries_;
    std::map<std::string, StageCount> counts_;
};

// The memoised value when `cache` is given, else make()'s value computed here.
template <typename V, typename Make>
std::shared_ptr<const V> cached(EvalCache* cache, const std::string& stage, const std::string& key,
                                Make&& make) {
    if (!cache) return std::make_shared<const V>(make());
    return cache->get<V>(stage, key, std::forward<Make>(make));
}

}  // namespace sparsecim
