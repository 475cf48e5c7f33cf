#!/usr/bin/env bash
# Sweep throughput (docs/performance.md, docs/sweeps.md): two 100-point sweeps on the bundled
# VGG-style model (models/vgg-small-fmnist.onnx, csr against dense, one simulated image, 100
# accuracy images), timed end to end (process start to exit):
#   cost-heavy:  5 OU heights x 2 betas x 10 ADC energies (15 mappings, the rest re-priced)
#   structural:  5 OU heights x 4 OU widths x 5 ADC resolutions (every point maps and simulates)
# each with --threads 1, --threads 2, mpirun -np 2 (one thread per rank; an MPI build) and
# --no-reuse --threads 1 (every point from scratch, as if run one by one).
# Prints the median wall time over REPEATS runs (default 3; NOREUSE_REPEATS, default 1, for the
# slow from-scratch runs), points per second and the ratios. GRIDS="cost-heavy structural" picks.
# GRIDS=cost-only times re-pricing alone: 10 ADC energies x 10 DAC energies x 10 ADC areas x 2
# crossbar areas (2,000 points, one mapping and simulation, every other point re-priced), against
# its first point alone; prints the marginal re-pricing rate (issue 21: 1,500 points/s or more).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build/release ] || cmake --preset release >/dev/null
cmake --build build/release --target sparsecim >/dev/null
B=$PWD/build/release/sparsecim
repeats=${REPEATS:-3}
noreuse_repeats=${NOREUSE_REPEATS:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
write_grid() { # NAME AXES...
  local n=$1
  {
    echo "name: bench-$n"
    echo "models: $PWD/models/vgg-small-fmnist.onnx"
    echo "hw: $PWD/configs/hw/csr.yaml"
    echo "schemes: [csr]"
    echo "params: {csr: {sparsity: 0.8}}"
    echo "images: 1"
    echo "accuracy_images: 100"
    echo "adc_accuracy_images: 0"
    echo "calib_images: 64"
    echo "axes:"
    shift
    printf '  %s\n' "$@"
  } >"$tmp/$n.yaml"
}
points=100
export OMP_NUM_THREADS=1

# median REPEATS COMMAND...: runs COMMAND REPEATS times, prints the median wall seconds and the
# median CPU seconds (user + system, the command and its children: bash's `time`).
median() {
  local n=$1
  shift
  local walls=() cpus=()
  for _ in $(seq "$n"); do
    rm -rf "$tmp/out"
    local TIMEFORMAT='%R %U %S'
    { time "$@" >"$tmp/stdout" 2>"$tmp/stderr"; } 2>"$tmp/time" || {
      cat "$tmp/stderr" >&2
      exit 1
    }
    read -r real user sys <"$tmp/time"
    walls+=("$real")
    cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')")
  done
  local mid='{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
  echo "$(printf '%s\n' "${walls[@]}" | sort -g | awk "$mid") $(printf '%s\n' "${cpus[@]}" | sort -g | awk "$mid")"
}

run_as_root=()
[ "$(id -u)" -eq 0 ] && run_as_root=(--allow-run-as-root)
have_mpi=0
command -v mpirun >/dev/null && ldd "$B" | grep -q libmpi && have_mpi=1
echo "two sweeps of $points points, $(getconf _NPROCESSORS_ONLN) cores, load $(cut -d' ' -f1 /proc/loadavg), medians of $repeats runs ($noreuse_repeats without reuse)"
for name in ${GRIDS:-cost-heavy structural}; do
  if [ "$name" = cost-only ]; then
    write_grid one "adc.energy_pj: [0.5]"
    write_grid all "adc.energy_pj: [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]" \
      "dac.energy_pj: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]" \
      "adc.area_um2: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]" \
      "crossbar.area_um2: [25, 50]"
    read -r w1 c1 <<<"$(median "$repeats" "$B" sweep "$tmp/one.yaml" --out "$tmp/out" --threads 1)"
    read -r wn cn <<<"$(median "$repeats" "$B" sweep "$tmp/all.yaml" --out "$tmp/out" --threads 1)"
    echo
    echo "cost-only (1 thread): 1 point $w1 s wall ($c1 CPU-s), 2000 points $wn s wall ($cn CPU-s)"
    awk -v a="$w1" -v b="$wn" -v c="$c1" -v d="$cn" 'BEGIN { printf "re-pricing: %.0f points per wall second, %.0f per CPU second (the 1,999 points beyond the first)\n", 1999 / (b - a), 1999 / (d - c) }'
    continue
  fi
  case "$name" in
    cost-heavy) write_grid "$name" "ou.rows: [8, 16, 32, 64, 128]" "csr.beta: [2, 4]" \
      "adc.energy_pj: [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]" ;;
    structural) write_grid "$name" "ou.rows: [4, 8, 16, 32, 64]" "ou.cols: [2, 4, 8, 16]" \
      "adc.bits: [3, 4, 5, 6, 7]" ;;
    *) echo "bench-sweep.sh: unknown grid $name" >&2; exit 2 ;;
  esac
  f="$tmp/$name.yaml"
  echo
  echo "$name:"
  t1=$(median "$repeats" "$B" sweep "$f" --out "$tmp/out" --threads 1)
  grep -E '^  ' "$tmp/stderr" | sed 's/^/    /'
  t2=$(median "$repeats" "$B" sweep "$f" --out "$tmp/out" --threads 2)
  tm=""
  [ "$have_mpi" -eq 1 ] && tm=$(median "$repeats" mpirun -np 2 --oversubscribe "${run_as_root[@]}" \
    "$B" sweep "$f" --out "$tmp/out" --threads 1)
  t0=$(median "$noreuse_repeats" "$B" sweep "$f" --out "$tmp/out" --threads 1 --no-reuse)
  row() { # LABEL "WALL CPU"
    read -r w c <<<"$2"
    read -r b _ <<<"$t1"
    awk -v l="$1" -v t="$w" -v c="$c" -v p="$points" -v b="$b" \
      'BEGIN { printf "| %s | %.2f | %.2f | %.2f | %.2fx |\n", l, t, c, p / t, b / t }'
  }
  echo "| run | wall (s) | CPU (s) | points/s | vs 1 thread |"
  echo "|---|---|---|---|---|"
  row "1 thread" "$t1"
  row "2 threads" "$t2"
  [ -n "$tm" ] && row "mpirun -np 2" "$tm"
  row "1 thread, --no-reuse (points one by one)" "$t0"
  read -r a _ <<<"$t0"
  read -r b _ <<<"$t1"
  awk -v a="$a" -v b="$b" 'BEGIN { printf "reuse saving (1 thread): %.1fx less wall time (%.1f s -> %.1f s)\n", a / b, a, b }'
done
