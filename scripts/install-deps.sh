#!/usr/bin/env bash
# The one place that installs the Debian packages sparsecim needs (idempotent; run as root).
set -euo pipefail
pkgs=(
  build-essential cmake ninja-build clang-format
  clang libclang-rt-14-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
  libgtest-dev libbenchmark-dev libxml2-dev
  chromium
  dataset-fashion-mnist
  libtorch-dev
  libopenmpi-dev openmpi-bin
  python3-torch python3-numpy pybind11-dev python3-dev python3-pytest
)
# ONNX Runtime, the independent reference of scripts/ort-check.sh: the npm package
# onnxruntime-node (it bundles its Linux x64 runtime; --ignore-scripts skips its optional CUDA
# download), into .deps/ort-node with the machine's Node.js and npm.
ort_node() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/ort-node"
  [ -d "$dir/node_modules/onnxruntime-node" ] && return 0
  command -v npm >/dev/null || { echo "install-deps: npm not found (Node.js 20 with npm)" >&2; exit 1; }
  mkdir -p "$dir"
  npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --silent onnxruntime-node@1.23.0
}
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  ort_node
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
ort_node
