#!/usr/bin/env bash
# Fuzzes the readers of untrusted input with libFuzzer (clang, AddressSanitizer + UBSan): the ONNX
# importer (with a float run of the imported graph), the hardware-config and experiment YAML
# loaders, the IDX reader and the .npy reader. Builds the `fuzz` preset, makes a seed corpus from the project's own
# files (zoo models, configs/, generated IDX files), then runs each target for SECONDS.
#   bash scripts/fuzz.sh [SECONDS per target, default 60] [TARGET...]
# Targets: onnx_model hw_config experiment idx npy. The corpus grows across runs in build/fuzz/corpus/;
# crashing inputs land in build/fuzz/crashes/<target>/ (copy them to fuzz/regressions/<target>/,
# where tests/test_fuzz_regressions.cpp replays them, once fixed). Exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(onnx_model hw_config experiment idx npy)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
b=build/fuzz
seeds="$b/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{onnx_model,hw_config,experiment,idx,npy}

# Seeds, all made here: small zoo models (the fuzz build's own sparsecim), the shipped configs,
# a few experiment files, and IDX files (labels, images; plain and gzip).
for m in tiny-cnn lenet concat-net; do
  "$b/sparsecim" zoo "$m" --out "$seeds/onnx_model/$m.onnx" >/dev/null
done
cp configs/hw/*.yaml "$seeds/hw_config/"
cp configs/experiments/*.yaml configs/sweeps/*.yaml "$seeds/experiment/"
printf 'name: e\nmodels: [zoo:tiny-cnn, zoo:lenet]\nschemes: [dense, csr]\nparams: {csr: {beta: 4}}\nimages: 2\nseed: 3\ncheck_exact: true\n' \
  >"$seeds/experiment/small.yaml"
printf 'hw_overrides: [ou.rows=8, adc.bits=6]\ncalibration: percentile\npercentile: 99.9\n' \
  >"$seeds/experiment/overrides.yaml"
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x09\x00\x04' >"$seeds/idx/labels.idx"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x03'; printf '\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c'; } \
  >"$seeds/idx/images.idx"
gzip -9 -c "$seeds/idx/images.idx" >"$seeds/idx/images.idx.gz"
gzip -9 -c "$seeds/idx/labels.idx" >"$seeds/idx/labels.idx.gz"
cp tests/data/npy/*.npy "$seeds/npy/"

status=0
printf '%-12s %10s %8s %8s %8s  %s\n' target seconds execs cov ft 'crash files (all runs)'
for t in "${targets[@]}"; do
  corpus="$b/corpus/$t"
  crashes="$b/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  log="$b/fuzz-$t.log"
  set +e
  "$b/fuzz_$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "$seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  found=$(find "$crashes" -type f | wc -l)
  printf '%-12s %10s %8s %8s %8s  %s\n' "$t" "$secs" "$execs" "$cov" "$ft" "$found"
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz: $t failed (exit $rc); log: $log" >&2
    grep -m5 -E 'ERROR|SUMMARY|uncaught|Test unit written' "$log" >&2 || true
  fi
done
exit $status
