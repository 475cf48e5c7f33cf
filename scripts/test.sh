#!/usr/bin/env bash
# The test command of the README and of CI: install, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --preset release --parallel 2
