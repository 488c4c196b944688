#!/usr/bin/env bash
# Does faultline change how deep a program can recurse? Bisects the deepest
# recursion of bench-recursion-depth that survives, on the main stack and on
# a thread with a 256 KiB stack, run plain and under `faultline run` with an
# empty schedule (and, for comparison, with `alloc jemalloc`, the one case in
# which faultline adds glibc.rtld.optional_static_tls). faultline runs
# children with ASLR off, so the plain runs are under `setarch -R` too: with
# ASLR the main stack's usable size moves from run to run by a few KB.
# Usage: bench/stack_perturbation.sh [build-dir]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
faultline="$build/bin/faultline"
program="$build/bin/bench-recursion-depth"
for f in "$faultline" "$program"; do
  [[ -x $f ]] || { echo "stack_perturbation.sh: $f not found: build $build first" >&2; exit 2; }
done
command -v setarch >/dev/null || { echo "stack_perturbation.sh: setarch (util-linux) not found" >&2; exit 2; }

# Each takes the depth first, then the program's other arguments.
plain_at() {
  local depth=$1
  shift
  setarch "$(uname -m)" -R "$program" "$depth" "$@" >/dev/null 2>&1
}
under_at() { # depth, schedule, args...
  local depth=$1 schedule=$2
  shift 2
  "$faultline" run -q --schedule "$schedule" -- "$program" "$depth" "$@" 2>&1 | grep -q '^faultline: none (exit 0)'
}
deepest() { # function, its arguments after the depth
  local fn=$1 lo=1 hi=400000 mid
  shift
  while ((hi - lo > 1)); do
    mid=$(((lo + hi) / 2))
    if "$fn" "$mid" "$@"; then lo=$mid; else hi=$mid; fi
  done
  echo "$lo"
}
printf '%-8s %10s %12s %26s\n' stack plain faultline "faultline, alloc jemalloc"
for where in main thread; do
  extra=()
  [[ $where == thread ]] && extra=(thread)
  printf '%-8s %10s %12s %26s\n' "$where" "$(deepest plain_at "${extra[@]}")" "$(deepest under_at "" "${extra[@]}")" \
    "$(deepest under_at "alloc jemalloc" "${extra[@]}")"
done
