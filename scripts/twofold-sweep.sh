#!/usr/bin/env bash
# The twofold sparsity sweep (deck 001's accuracy-vs-sparsity and energy plots): for network
# sparsity 0, 0.1, ..., 0.9 runs
#   sparsecim evaluate --schemes dense,twofold --hw configs/hw/twofold.yaml --param twofold.sparsity=X
# and prints, per point, top-1 accuracy and energy of dense and twofold, the efficiency
# (dense / twofold energy) and twofold's energy breakdown (cells, ADC, LFSR) and stored cell
# states. Also writes OUT/sweep.csv (one row per point) for plotting.
#
# Usage: scripts/twofold-sweep.sh [OUT_DIR] [extra evaluate args...]
#   env: MODEL (default: the bundled model), ACC_IMAGES (1000), IMAGES (1), SPARSITIES,
#        REUSE=1 keeps points whose OUT_DIR/sX/results.json already exists
#   e.g. MODEL=zoo:resnet-mini scripts/twofold-sweep.sh out/sweep-resnet --param twofold.sign=plane
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "twofold-sweep: needs python3 to read results.json" >&2; exit 2; }
OUT=${1:-out/twofold-sweep}
shift || true
BIN=./build/release/sparsecim
[ -x "$BIN" ] || bash scripts/build.sh
SPARSITIES=${SPARSITIES:-"0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9"}
MODEL_ARGS=()
[ -n "${MODEL:-}" ] && MODEL_ARGS=(--model "$MODEL")
mkdir -p "$OUT"
for x in $SPARSITIES; do
  [ "${REUSE:-0}" = 1 ] && [ -f "$OUT/s$x/results.json" ] && continue
  "$BIN" evaluate --schemes dense,twofold --hw configs/hw/twofold.yaml \
    --param "twofold.sparsity=$x" "${MODEL_ARGS[@]}" \
    --images "${IMAGES:-1}" --accuracy-images "${ACC_IMAGES:-1000}" \
    --check-exact --out "$OUT/s$x" "$@" >/dev/null
done
python3 - "$OUT" $SPARSITIES <<'PY'
import json, sys
out, points = sys.argv[1], sys.argv[2:]
rows = []
for x in points:
    r = json.load(open(f"{out}/s{x}/results.json"))
    d, t = (next(s for s in r["schemes"] if s["name"] == n) for n in ("dense", "twofold"))
    e = t["energy_pj_by_component"]
    lfsr = sum(v for k, v in e.items() if k.startswith("lfsr_"))
    rows.append({
        "sparsity": float(x), "weight_sparsity": t["weight_sparsity"],
        "dense_acc": d["accuracy"], "twofold_acc": t["accuracy"],
        "dense_nj": d["energy_pj"] / 1e3, "twofold_nj": t["energy_pj"] / 1e3,
        "efficiency": d["energy_pj"] / t["energy_pj"],
        "cells_nj": e["cells"] / 1e3, "adc_nj": e["adc"] / 1e3, "lfsr_nj": lfsr / 1e3,
        "other_nj": (t["energy_pj"] - e["cells"] - e["adc"] - lfsr) / 1e3,
        "states": t["stored_cell_states"], "dense_states": d["stored_cell_states"],
        "ideal_mismatches": t["ideal_mismatches"], "model": r["model"]["spec"],
    })
print(f"model {rows[0]['model']}, {json.load(open(f'{out}/s{points[0]}/results.json'))['config']['images']} image(s) simulated; energy per run in nJ")
print(f"dense stored cell states [00,01,10,11]: {rows[0]['dense_states']}")
hdr = ("sparsity", "w_sparsity", "acc_dense", "acc_twofold", "E_dense", "E_twofold", "eff",
       "E_cells", "E_adc", "E_lfsr", "E_other", "twofold states [00,01,10,11]")
print("  ".join(f"{h:>10}" for h in hdr[:-1]) + "  " + hdr[-1])
def pct(v): return "-" if v is None else f"{100 * v:.2f}%"
for w in rows:
    print("  ".join(f"{v:>10}" for v in (
        f"{w['sparsity']:.1f}", f"{w['weight_sparsity']:.3f}", pct(w["dense_acc"]),
        pct(w["twofold_acc"]), f"{w['dense_nj']:.1f}", f"{w['twofold_nj']:.1f}",
        f"{w['efficiency']:.2f}x", f"{w['cells_nj']:.1f}", f"{w['adc_nj']:.1f}",
        f"{w['lfsr_nj']:.2f}", f"{w['other_nj']:.1f}")) + "  " + str(w["states"]))
    if w["ideal_mismatches"] != 0:
        sys.exit(f"sparsity {w['sparsity']}: {w['ideal_mismatches']} ideal-ADC mismatches")
with open(f"{out}/sweep.csv", "w") as f:
    keys = [k for k in rows[0] if k not in ("states", "dense_states", "model")]
    f.write(",".join(keys + ["s00", "s01", "s10", "s11"]) + "\n")
    for w in rows:
        f.write(",".join(str(w[k]) for k in keys) + "," + ",".join(map(str, w["states"])) + "\n")
print(f"csv: {out}/sweep.csv")
PY
