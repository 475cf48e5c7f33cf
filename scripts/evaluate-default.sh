#!/usr/bin/env bash
# The main job of the README: install, build, run `sparsecim evaluate` on the bundled default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/release/sparsecim evaluate --check-exact --out out/default "$@"
