#!/usr/bin/env bash
# Runs the iso-accuracy experiment (each scheme's tuned model) and every source document's
# experiment in its own setting (configs/experiments/*-deck.yaml), and regenerates
# docs/reproduction.md from their outputs. Takes tens of minutes on 2 cores (finetuning).
# Usage: bash scripts/reproduce.sh [--skip-run]   (--skip-run: only regenerate the table)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release/sparsecim
[ -x "$B" ] || bash scripts/build.sh
exps=(configs/experiments/iso-accuracy.yaml
      configs/experiments/csr-deck.yaml configs/experiments/twofold-deck.yaml
      configs/experiments/sme-deck.yaml configs/experiments/pattern-deck.yaml)
if [ "${1:-}" != "--skip-run" ]; then
    for e in "${exps[@]}"; do
        echo "== $e" >&2
        start=$SECONDS
        "$B" run "$e" >/dev/null
        echo "   $((SECONDS - start)) s" >&2
    done
fi
"$B" reproduce "${exps[@]}" --out docs/reproduction.md
