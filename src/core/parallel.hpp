// parallel_for: runs fn(i) for i in [0, n) on up to `threads` std::threads (0 = hardware
// concurrency), handing out indices in order from a shared counter. Results must go to
// per-index slots, so the outcome never depends on the thread count; the exception of the lowest
// failing index is rethrown, as a sequential loop would (indices after it may have run).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sparsecim {

inline int resolve_threads(int threads) {
    return threads > 0 ? threads
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

template <typename Fn>
void parallel_for(int64_t n, int threads, Fn&& fn) {
    const int workers = static_cast<int>(std::min<int64_t>(resolve_threads(threads), n));
    if (workers <= 1) {
        for (int64_t i = 0; i < n; ++i) fn(i);
        return;
    }
    std::atomic<int64_t> next{0};
    std::mutex mu;
    int64_t failed_at = n;
    std::exception_ptr failure;
    auto work = [&]() {
        for (int64_t i = next++; i < n; i = next++) {
            try {
                fn(i);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(mu);
                if (i < failed_at) {
                    failed_at = i;
                    failure = std::current_exception();
                }
            }
        }
    };
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace sparsecim
