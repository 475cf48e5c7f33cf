// SPARSECIM_HOT_CLONES: put on a hot loop's function to compile it twice, for the x86-64
// baseline and for x86-64-v3 (hardware popcnt, AVX2, BMI); the loader picks the clone the CPU
// runs (GCC function multi-versioning through ifunc). Elsewhere it expands to nothing.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define SPARSECIM_HOT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SPARSECIM_HOT_CLONES
#endif
