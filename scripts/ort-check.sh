#!/usr/bin/env bash
# sparsecim's float executor against ONNX Runtime (issue 23 item 4): builds the corpus with
# PyTorch's exporter (tests/ort/make_corpus.py, Debian's python3-torch), runs `sparsecim infer`
# on each model's inputs, and compares with onnxruntime-node (installed by
# scripts/install-deps.sh into .deps/ort-node). Also checks that `sparsecim evaluate` runs every
# scheme exactly on the PyTorch-trained Fashion-MNIST classifier with its .npy inputs and labels.
#
# Usage: scripts/ort-check.sh [SPARSECIM_BINARY] [WORK_DIR]   (tolerance: ORT_TOL, default 1e-4)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/build/release/sparsecim}")
work=${2:-$(mktemp -d)}
mkdir -p "$work"
work=$(realpath "$work")
tol=${ORT_TOL:-1e-4}
node_path=$root/.deps/ort-node/node_modules
for need in /usr/bin/python3 node "$bin"; do
  command -v "$need" >/dev/null || { echo "ort-check: $need not found (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -d "$node_path/onnxruntime-node" ] ||
  { echo "ort-check: $node_path/onnxruntime-node missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
rm -rf "$work/corpus"
/usr/bin/python3 "$root/tests/ort/make_corpus.py" "$work/corpus" 2>/dev/null
cd "$work/corpus"
for f in *.onnx; do
  stem=${f%.onnx}
  "$bin" infer --model "$f" --inputs "${stem%-op*}.x.npy" --out "$stem.sc.npy" >/dev/null
done
NODE_PATH=$node_path node "$root/tests/ort/compare.js" "$work/corpus" "$tol"
# The trained classifier through every scheme, on its own .npy inputs and labels.
"$bin" evaluate --model fmnist-trained-op13.onnx --inputs fmnist-trained.x.npy \
  --labels fmnist-trained.y.npy --calib-images 64 --check-exact --tuned none \
  --out "$work/evaluate" >"$work/evaluate.txt"
grep -E "^(dense|csr|twofold|sme|pattern) " "$work/evaluate.txt" | head -5
echo "ort-check: evaluate on the .npy data: every scheme exact"
