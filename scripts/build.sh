#!/usr/bin/env bash
# Installs the Debian packages (scripts/install-deps.sh) and builds the release preset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
