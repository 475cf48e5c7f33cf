// glibc's allocator tuned for the pipeline's large, short-lived buffers (weight matrices, cell
// arrays, traces, outputs: tens of MiB each, allocated and freed per layer). By default glibc maps
// every block over 128 KiB afresh and unmaps it when freed, so each one is faulted in again 4 KiB
// at a time: on ResNet-18 those page faults and the zeroing behind them were a fifth of the CPU.
// The tunables below keep freed memory for reuse and back large blocks with transparent huge
// pages (madvise mode, the Debian default). glibc reads tunables only at start-up, so the program
// re-executes itself once with them set (docs/performance.md, "Allocation").
#pragma once

#include <string>

namespace sparsecim {

// The GLIBC_TUNABLES value applied.
const char* malloc_tunables();
// How this process's allocator runs, for `sparsecim --version`: "tuned (GLIBC_TUNABLES=...)",
// "the user's GLIBC_TUNABLES=..." or "glibc's defaults".
std::string malloc_setting();

// Called first thing in main: re-executes /proc/self/exe with argv and GLIBC_TUNABLES set to
// malloc_tunables(), unless GLIBC_TUNABLES is already set (the user's own choice is kept),
// SPARSECIM_MALLOC_TUNING=0 asks not to, the process already is the re-executed one, the build is
// sanitized (the sanitizer's allocator ignores glibc's tunables) or the C library is not glibc.
// If the exec fails the program goes on untuned.
void tune_malloc_by_reexec(char** argv);

}  // namespace sparsecim
