#include "core/malloc_tuning.hpp"

#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace sparsecim {

const char* malloc_tunables() {
    // hugetlb=1: madvise(MADV_HUGEPAGE) on the blocks glibc maps and on its heap top;
    // mmap_threshold 32 MiB: smaller blocks come from the heap, reused once freed; trim_threshold
    // 1 GiB: freed heap memory is kept rather than returned to the kernel and faulted in again.
    return "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"
           "glibc.malloc.trim_threshold=1073741824";
}

std::string malloc_setting() {
    const char* now = std::getenv("GLIBC_TUNABLES");
    if (!now) return "glibc's defaults";
    if (!std::strcmp(now, malloc_tunables()))
        return std::string("tuned (GLIBC_TUNABLES=") + now + ")";
    return std::string("the user's GLIBC_TUNABLES=") + now;
}

void tune_malloc_by_reexec(char** argv) {
#if defined(__GLIBC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
    constexpr const char* kDone = "SPARSECIM_MALLOC_TUNED";
    if (std::getenv("GLIBC_TUNABLES") || std::getenv(kDone)) return;
    if (const char* want = std::getenv("SPARSECIM_MALLOC_TUNING"); want && !std::strcmp(want, "0"))
        return;
    if (setenv(kDone, "1", 1) != 0 || setenv("GLIBC_TUNABLES", malloc_tunables(), 1) != 0) return;
    execv("/proc/self/exe", argv);
    unsetenv("GLIBC_TUNABLES");  // the exec failed: go on as started
#else
    (void)argv;
#endif
}

}  // namespace sparsecim
