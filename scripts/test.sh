#!/usr/bin/env bash
# The test command of the README and of CI: install, build, run every test; then the same suite
# under AddressSanitizer + UndefinedBehaviorSanitizer (the `asan` preset) and a 10-second fuzzing
# smoke per target (scripts/fuzz.sh). docs/reliability.md explains each stage.
# SPARSECIM_TEST_QUICK=1 runs only the release suite (for iterating locally).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Formatting is part of the suite: every tracked C++ file must already match .clang-format.
find src tests bench fuzz python \( -name '*.cpp' -o -name '*.hpp' \) -print0 |
  xargs -0 clang-format --dry-run --Werror
# The release build has MPI (install-deps.sh installs OpenMPI): its test must run, not skip.
SPARSECIM_REQUIRE_MPI=1 ctest --preset release --parallel 2
# Float outputs against ONNX Runtime on models PyTorch exported (docs/infer.md).
bash scripts/ort-check.sh build/release/sparsecim build/release/ort-check

[ "${SPARSECIM_TEST_QUICK:-0}" = 1 ] && exit 0

cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan --parallel 2

bash scripts/fuzz.sh 10
