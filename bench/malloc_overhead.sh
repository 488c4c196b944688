#!/usr/bin/env bash
# The malloc-signal injector's cost and payoff.
#  1. Overhead: a malloc-heavy loop (20M malloc+free pairs), bare vs with
#     libfaultline-inject.so preloaded and idle (sentinels on, no schedule)
#     vs armed (a malloc-signal schedule whose call never comes). Median of 5.
#  2. Payoff: runs until the seed bug (profiler_backtrace) is detected, with
#     `faultline explore`, vs running the program plainly under its own 1 ms
#     profiler timer: how often does a plain run crash?
# Usage: bench/malloc_overhead.sh [build-dir] [plain-runs]   (defaults: build 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
plain_runs=${2:-1000}
lib="$build/lib/libfaultline-inject.so"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {  # env assignments..., prints the median ns per pair
  for _ in 1 2 3 4 5; do env "$@" "$build/bin/bench-malloc-workload" | awk '{print $1}'; done | median
}
bare=$(measure X=1)
idle=$(measure LD_PRELOAD="$lib" FAULTLINE_SCHEDULE=)
armed=$(measure LD_PRELOAD="$lib" FAULTLINE_SCHEDULE="malloc-signal sig=SIGPROF call=999999999999 insn=1")
echo "malloc+free pair: bare ${bare} ns, injector idle ${idle} ns ($(echo "$idle / $bare" | bc -l | cut -c1-4)x)," \
     "armed ${armed} ns ($(echo "$armed / $bare" | bc -l | cut -c1-4)x)"

# A real allocation-heavy program: nested_parser building a 300k-node AST.
"$build/bin/faultline" gen nested --depth 20000 --shape mixed --seed 3 --output "$work/big.src"
wall_ms() {  # env assignments..., prints the median wall time of 15 runs in ms
  for _ in $(seq 15); do
    t0=$(date +%s%N)
    env "$@" "$build/bin/target-nested_parser" --main-thread "$work/big.src" >/dev/null
    echo $((($(date +%s%N) - t0) / 1000))
  done | median | awk '{printf "%.1f", $1 / 1000}'
}
ulimit -s unlimited 2>/dev/null || ulimit -s 1048576
parse_bare=$(wall_ms X=1)
parse_idle=$(wall_ms LD_PRELOAD="$lib" FAULTLINE_SCHEDULE=)
parse_armed=$(wall_ms LD_PRELOAD="$lib" FAULTLINE_SCHEDULE="malloc-signal sig=SIGPROF call=999999999999 insn=1")
echo "nested_parser, 1.8 MB source: bare ${parse_bare} ms, injector idle ${parse_idle} ms" \
     "($(echo "$parse_idle / $parse_bare" | bc -l | cut -c1-4)x), armed ${parse_armed} ms ($(echo "$parse_armed / $parse_bare" | bc -l | cut -c1-4)x)"

explore_runs=$({ "$build/bin/faultline" explore --target profiler_backtrace --max-runs 100 --out "$work/explore" || true; } |
  sed -n 's/^faultline explore: \([0-9]*\) runs.*/\1/p')
crashes=0
for _ in $(seq "$plain_runs"); do
  "$build/bin/target-profiler_backtrace" >/dev/null 2>&1 || crashes=$((crashes + 1))
done
echo "seed bug: faultline explore detected it after ${explore_runs} runs;" \
     "plain runs under the program's own profiler timer: ${crashes} crashes in ${plain_runs}"
