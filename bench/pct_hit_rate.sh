#!/usr/bin/env bash
# How often one pct schedule finds check_then_act's race, against PCT's bound.
# For each depth D, runs `pct depth=D points=K ; quarantine=64 ; seed=S` for
# S = 1..N (K from a census run) and counts the runs that end in the bank's
# abort. PCT with a real scheduler guarantees >= 1/(n k^(D-1)) per run for a
# bug of depth D; faultline approximates it with waits at points (README.md,
# `pct`), so the measured rate is what the approximation gives.
# Usage: bench/pct_hit_rate.sh [build-dir] [seeds-per-depth]   (defaults: build 100)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seeds=${2:-100}
faultline="$build/bin/faultline"
bank="$build/bin/target-check_then_act"
for f in "$faultline" "$bank"; do
  [[ -x $f ]] || { echo "pct_hit_rate.sh: $f not found: build $build first" >&2; exit 2; }
done
[[ $seeds =~ ^[1-9][0-9]*$ ]] || { echo "pct_hit_rate.sh: seeds-per-depth must be a positive integer" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
census=$("$faultline" explore --injector interleave --max-runs 2 --out "$work/census" -- "$bank" | tail -1)
threads=$(grep -o 'thread [0-9]* passes' <<<"$census" | wc -l)
points=$(grep -o 'passes [0-9]* allocator calls and [0-9]* sync points' <<<"$census" |
  awk '{k += $2 + $6} END {print k}')
echo "census: n=$threads threads, k=$points points"
printf '%-6s %8s %8s %10s %12s\n' depth runs hits "hit rate" "PCT bound"
for depth in 1 2 3; do
  hits=0
  for ((seed = 1; seed <= seeds; seed++)); do
    "$faultline" run --report "$work/r.json" --schedule "pct depth=$depth points=$points ; quarantine=64 ; seed=$seed" \
      -- "$bank" >/dev/null 2>&1 || true
    grep -q '"class": "abort"' "$work/r.json" && hits=$((hits + 1))
  done
  bound=$(echo "1 / ($threads * $points ^ ($depth - 1))" | bc -l)
  printf '%-6s %8d %8d %10.3f %12.4f\n' "$depth" "$seeds" "$hits" "$(echo "$hits / $seeds" | bc -l)" "$bound"
done
