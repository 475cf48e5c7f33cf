#!/usr/bin/env bash
# csr granularity study (deck 000 "Case Study on Granularity"): OU size x pruning factor beta
# against compression (stored / dense cells), sparsity utilization and index cost (bits per
# stored weight). Usage: scripts/csr-granularity.sh [MODEL] [OUT_DIR]
# Writes OUT_DIR/granularity.csv and OUT_DIR/granularity.svg (compression vs index bits).
set -euo pipefail
model=${1:-zoo:lenet}
out=${2:-/tmp/csr-granularity}
bin=${SPARSECIM:-$(dirname "$0")/../build/release/sparsecim}
hw=$(dirname "$0")/../configs/hw/csr.yaml
mkdir -p "$out"
csv="$out/granularity.csv"
echo "ou_rows,ou_cols,beta,compression,utilization,index_bits,index_bits_per_stored_weight,ou_slots,dense_ou_slots" > "$csv"
for ou in 8x8 16x8 16x16 32x8; do
    rows=${ou%x*}; cols=${ou#*x}
    for beta in 1 2 4 8; do
        # 8 OUs per window as the deck (alpha = 8); 16-column OUs keep the window at 128 columns.
        alpha=$(( 64 / cols )); [ "$cols" -le 8 ] && alpha=8
        dir="$out/ou${rows}x${cols}_beta${beta}"
        "$bin" evaluate --model "$model" --schemes csr --hw "$hw" --set ou.rows="$rows" \
            --set ou.cols="$cols" --param csr.beta="$beta" --param csr.alpha="$alpha" \
            --images 1 --accuracy-images 0 --adc-accuracy-images 0 --out "$dir" > /dev/null
        python3 - "$dir/results.json" "$rows" "$cols" "$beta" >> "$csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["schemes"][0]
f = c["scheme_figures"]
stored_weights = f["weights"] - f["zero_weights_removed"]
print(",".join(str(x) for x in [
    sys.argv[2], sys.argv[3], sys.argv[4],
    round(f["stored_cells"] / f["dense_cells"], 4),
    round(f["zero_weights_removed"] / max(1.0, f["zero_weights"]), 4),
    c["index_bits"],
    round(c["index_bits"] / max(1.0, stored_weights), 4),
    int(f["ou_slots"]), int(f["dense_ou_slots"])]))
PY
    done
done
python3 - "$csv" "$out/granularity.svg" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
W, H, m = 640, 420, 60
xs = [float(r["index_bits"]) for r in rows]; ys = [float(r["compression"]) for r in rows]
x0, x1 = 0, max(xs) * 1.1; y0, y1 = min(ys) * 0.95, max(ys) * 1.02
px = lambda x: m + (x - x0) / (x1 - x0) * (W - 2 * m)
py = lambda y: H - m - (y - y0) / (y1 - y0) * (H - 2 * m)
colors = {"8x8": "#1b9e77", "16x8": "#d95f02", "16x16": "#7570b3", "32x8": "#e7298a"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
       f'<line x1="{m}" y1="{H-m}" x2="{W-m}" y2="{H-m}" stroke="black"/>',
       f'<line x1="{m}" y1="{m}" x2="{m}" y2="{H-m}" stroke="black"/>',
       f'<text x="{W/2}" y="{H-20}" text-anchor="middle">index bits</text>',
       f'<text x="15" y="{H/2}" transform="rotate(-90 15 {H/2})" text-anchor="middle">stored / dense cells</text>',
       f'<text x="{m}" y="{H-m+15}">{x0:.0f}</text><text x="{W-m}" y="{H-m+15}" text-anchor="end">{x1:.0f}</text>',
       f'<text x="{m-5}" y="{H-m}" text-anchor="end">{y0:.2f}</text><text x="{m-5}" y="{m+5}" text-anchor="end">{y1:.2f}</text>']
for i, (k, col) in enumerate(colors.items()):
    svg.append(f'<text x="{W-m-60}" y="{m+15*i}" fill="{col}">OU {k}</text>')
for r in rows:
    k = f'{r["ou_rows"]}x{r["ou_cols"]}'
    x, y = px(float(r["index_bits"])), py(float(r["compression"]))
    svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colors[k]}"/>')
    svg.append(f'<text x="{x+6:.1f}" y="{y+4:.1f}" fill="{colors[k]}">b{r["beta"]}</text>')
svg.append("</svg>")
open(sys.argv[2], "w").write("\n".join(svg))
PY
column -s, -t "$csv"
echo "wrote $csv and $out/granularity.svg"
