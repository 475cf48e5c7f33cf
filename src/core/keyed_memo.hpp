// KeyedMemo: a value kept by a key that determines it (a file's bytes, or what stat() says of
// the file), so that asking again costs a lookup instead of the computation. A sweep evaluates
// thousands of points with the same model and hardware files; parsing the hardware YAML or hashing
// the model for every point took most of a re-priced point's time. Only values that make()
// returned are kept: a make() that throws throws again on the next request. Thread-safe; holds at
// most `limit` entries (all dropped when full: the callers ask for a handful of files).
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace sparsecim {

template <typename V>
class KeyedMemo {
  public:
    explicit KeyedMemo(size_t limit = 64) : limit_(limit) {}

    // The kept value of `key`, else make()'s, kept when keep(value) says so.
    template <typename Make, typename Keep = bool (*)(const V&)>
    V get(
        const std::string& key, Make&& make, Keep keep = [](const V&) { return true; }) {
        {
            const std::lock_guard<std::mutex> lock(mu_);
            if (const auto it = known_.find(key); it != known_.end()) return it->second;
        }
        V v = make();
        if (!keep(v)) return v;
        const std::lock_guard<std::mutex> lock(mu_);
        if (known_.size() >= limit_) known_.clear();
        known_.emplace(key, v);
        return v;
    }

  private:
    size_t limit_;
    std::mutex mu_;
    std::unordered_map<std::string, V> known_;
};

}  // namespace sparsecim
