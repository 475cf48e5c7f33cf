#!/usr/bin/env bash
# Sweep of SME's window size S (schemes.md section 3, issue #6): runs `sparsecim evaluate
# --schemes dense,sme --hw configs/hw/sme.yaml --param sme.S=N` for S = 1..5 on one model and
# prints one row per S: crossbars, area and energy efficiency against dense (dense / sme), MSB
# plane non-empty rows, crossbars before/after squeeze-out, and top-1 (no finetuning).
# Usage: scripts/sme-sweep.sh [MODEL] [extra evaluate args, e.g. --param sme.scale=layer]
#   MODEL: zoo:NAME or an ONNX file; default: the bundled default model (as trained: --tuned none,
#   so every S quantizes the same weights).
# Needs a built tree (scripts/build.sh); results go to out/sme-sweep/<model>/S<N>/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./build/release/sparsecim
[ -x "$BIN" ] || { echo "sme-sweep: $BIN not built (run scripts/build.sh)" >&2; exit 2; }
MODEL="${1:-}"
shift || true
TAG=$(basename "${MODEL:-default}" | tr ':/' '__')
OUT="out/sme-sweep/$TAG"
ACC="${SME_SWEEP_ACCURACY_IMAGES:-1000}"
mkdir -p "$OUT"
for S in 1 2 3 4 5; do
    "$BIN" evaluate ${MODEL:+--model "$MODEL"} --schemes dense,sme --hw configs/hw/sme.yaml \
        --tuned none --param "sme.S=$S" --check-exact --accuracy-images "$ACC" --out "$OUT/S$S" "$@" \
        >"$OUT/S$S.txt"
done
python3 - "$OUT" "${MODEL:-default}" <<'PY'
import json, sys
out, model = sys.argv[1], sys.argv[2]
print(f"model {model}; hw configs/hw/sme.yaml; efficiency = dense / sme (higher is better)")
hdr = ("S", "xbars", "dense", "sliced", "area_eff", "energy_eff", "E_sme_nJ", "E_dense_nJ",
       "msb_rows%", "top1_sme", "top1_dense", "top1_float", "exact")
print("%2s %6s %6s %7s %9s %10s %9s %10s %9s %9s %10s %10s %6s" % hdr)
for S in range(1, 6):
    r = json.load(open(f"{out}/S{S}/results.json"))
    d = next(s for s in r["schemes"] if s["name"] == "dense")
    m = next(s for s in r["schemes"] if s["name"] == "sme")
    f = m["scheme_figures"]
    top = max(p for p in range(16) if f.get(f"plane{p}_nonempty_rows", 0) > 0)
    msb = 100.0 * f[f"plane{top}_nonempty_rows"] / f[f"plane{top}_rows"]
    acc = lambda s: "%.2f%%" % (100 * s["accuracy"]) if s.get("accuracy") is not None else "-"
    fa = r.get("float_accuracy")
    print("%2d %6d %6d %7d %9.3f %10.3f %9.1f %10.1f %8.1f%% %9s %10s %10s %6s" % (
        S, m["crossbars"], d["crossbars"], f["sliced_crossbars"], d["area_mm2"] / m["area_mm2"],
        d["energy_pj"] / m["energy_pj"], m["energy_pj"] / 1e3, d["energy_pj"] / 1e3, msb,
        acc(m), acc(d), "%.2f%%" % (100 * fa) if fa is not None else "-",
        "yes" if m.get("ideal_mismatches") == 0 and d.get("ideal_mismatches") == 0 else "NO"))
print("msb_rows%: non-empty rows of the highest non-empty bit plane / its rows")
PY
