#!/usr/bin/env bash
# What watching the heap costs (issue 16 point 4): could faultline's default
# run catch a pointer handed out while still live (`live-pointers on`:
# duplicate-allocation, whatever caused it), or a double free the allocator
# takes silently (`quarantine=64`), within the idle budget (<= 1.05x)?
# Wall time, median of N runs: bare, the injector idle, and each watch, on
#  1. nested_parser building a 300k-node AST (allocation heavy), and
#  2. a server: Debian's varnishd (on its own jemalloc) answering 2000
#     requests from varnishtest (the VCL compile, ~0.8 s, is in every row).
# Usage: bench/heap_watch_cost.sh [build-dir] [runs]   (defaults: build 7)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-7}
lib="$PWD/$build/lib/libfaultline-inject.so"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall_ms() {  # command and env assignments via env(1); median wall ms
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    env "$@" >/dev/null 2>&1
    echo $((($(date +%s%N) - t0) / 1000))
  done | median | awk '{printf "%.1f", $1 / 1000}'
}
ratio() { echo "$1 / $2" | bc -l | cut -c1-4; }
# The injector without faultline's audit module: the tunable it would add for jemalloc is not needed.
rows() {  # label, then the command
  local label=$1
  shift
  local bare idle live held
  bare=$(wall_ms X=1 "$@")
  idle=$(wall_ms LD_PRELOAD="$lib" FAULTLINE_SCHEDULE= "$@")
  live=$(wall_ms LD_PRELOAD="$lib" FAULTLINE_SCHEDULE="live-pointers on" "$@")
  held=$(wall_ms LD_PRELOAD="$lib" FAULTLINE_SCHEDULE="quarantine=64" "$@")
  echo "$label: bare ${bare} ms, injector idle ${idle} ms ($(ratio "$idle" "$bare")x)," \
       "live-pointers on ${live} ms ($(ratio "$live" "$idle")x idle), quarantine=64 ${held} ms ($(ratio "$held" "$idle")x idle)"
}

"$build/bin/faultline" gen nested --depth 20000 --shape mixed --seed 3 --output "$work/big.src"
ulimit -s unlimited 2>/dev/null || ulimit -s 1048576
rows "nested_parser, 1.8 MB source" "$build/bin/target-nested_parser" --main-thread "$work/big.src"

sed -e 's|^client c1 {|client c1 -repeat 2000 {|' -e 's|"/free-twice"|"/"|' tests/varnish/double_free.vtc >"$work/serve.vtc"
rows "varnishd, 2000 requests" varnishtest -q "$work/serve.vtc"
