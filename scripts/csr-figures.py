#!/usr/bin/env python3
"""Prints the csr figures of a results.json (sparsecim evaluate --schemes dense,csr ...):
compression, sparsity utilization (csr and its comparison points: no shuffle, k-means block
skipping at OU and crossbar size), OU slots, the shuffle's gain, index bits, speedup and energy
efficiency against dense. Usage: scripts/csr-figures.py OUT_DIR/results.json"""
import json
import sys

r = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in r["schemes"]}
d, c = s["dense"], s["csr"]
f = c["scheme_figures"]
m = r['model']
print(f"model {m['spec'] if isinstance(m, dict) else m}")
print(f"weight sparsity          {c['weight_sparsity']:.3f}")
print(f"compression (stored/dense cells) {f['stored_cells']:.0f}/{f['dense_cells']:.0f} = "
      f"{f['stored_cells'] / f['dense_cells']:.3f}")
print(f"sparsity utilization     {f['zero_weights_removed']:.0f}/{f['zero_weights']:.0f} = "
      f"{f['zero_weights_removed'] / max(1, f['zero_weights']):.3f}")
zeros = max(1, f['zero_weights'])
points = [("csr (GA shuffle + row compression)", "zero_weights_removed"),
          ("row compression without shuffle", "noshuffle_zero_weights_removed"),
          ("k-means + OU-block skipping", "kmeans_zero_weights_removed_ou"),
          ("k-means + crossbar skipping", "kmeans_zero_weights_removed_xbar")]
print("sparsity utilization by comparison point (csr / point in brackets):")
for label, key in points:
    if key in f:
        gain = (f"{f['zero_weights_removed'] / f[key]:.2f}x" if f[key] > 0 else "-")
        print(f"  {label:36s} {f[key]:.0f}/{zeros:.0f} = {f[key] / zeros:.3f} ({gain})")
print(f"OU-rows stored: no shuffle {f['ou_rows_noshuffle']:.0f}, GA {f['ou_rows_searched']:.0f}, "
      f"final (balanced) {f['ou_rows_stored']:.0f}; padding {f['balance_padding_rows']:.0f}")
print(f"OU slots per plane       csr {f['ou_slots']:.0f} vs dense {f['dense_ou_slots']:.0f}")
print(f"OU ops issued/skipped    csr {c['ou_ops']}/{c['ou_ops_skipped']} vs dense {d['ou_ops']}")
print(f"index bits               {c['index_bits']}")
print(f"crossbars                csr {c['crossbars']} vs dense {d['crossbars']}")
print(f"area mm2                 csr {c['area_mm2']:.5f} vs dense {d['area_mm2']:.5f}")
print(f"speedup (cycles)         {d['cycles'] / c['cycles']:.2f}x ({d['cycles']} / {c['cycles']})")
print(f"energy efficiency        {d['energy_pj'] / c['energy_pj']:.2f}x "
      f"({d['energy_pj'] / 1e3:.1f} nJ / {c['energy_pj'] / 1e3:.1f} nJ)")
print(f"GA evaluations           {f['ga_evaluations']:.0f}; windows improved "
      f"{f['windows_improved']:.0f}/{f['windows']:.0f}")
