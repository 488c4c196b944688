#!/usr/bin/env bash
# The interleave injector's cost when no delay is scheduled: what every lock
# point (pthread_mutex_lock/_unlock today; condvar, rwlock, semaphore, sleep,
# sched_yield and thread create/join once those are interposed) costs a
# program that is only being run, not held.
# bench-lock-workload (bench/lock_workload.c) in two shapes:
#   4 threads x 20 rounds x 100000 iterations: contended, 4 threads on the cores
#   1 thread  x 20 rounds x 200000 iterations: uncontended, the cheapest lock
#     calls (the worst case for any interposer, as the tcache fast path is for
#     malloc_overhead.sh)
# each run five ways, the ways interleaved within each repetition so a change
# in the machine's load hits them all alike:
#   bare       the workload alone
#   null       LD_PRELOAD=libbench-null-interpose.so (bench/null_interpose.c):
#              every scheduling call the workload makes goes through a
#              do-nothing forwarder: the floor any LD_PRELOAD injector pays
#   preload    LD_PRELOAD=libfaultline-inject.so, FAULTLINE_SCHEDULE= (the
#              injector alone: sentinels on, no delay)
#   run-noinj  faultline run --no-inject (the harness alone)
#   run        faultline run, no schedule (the way faultline runs a program)
# Figures: the median over the repetitions of the workload's own ns per
# iteration (timed inside the process, so the harness's start-up is not in it)
# and of the wall time of the whole command (which includes it).
# Usage: bench/interleave_idle_cost.sh [build-dir] [repetitions]   (defaults: build 11)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
reps=${2:-11}
faultline="$build/bin/faultline"
workload="$build/bin/bench-lock-workload"
lib="$build/lib/libfaultline-inject.so"
null="$build/lib/libbench-null-interpose.so"
for f in "$faultline" "$workload" "$lib" "$null"; do
  [[ -f $f ]] || { echo "interleave_idle_cost.sh: $f not found: build $build first" >&2; exit 2; }
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "interleave_idle_cost.sh: repetitions must be a positive integer" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "$1 / $2" | bc -l | awk '{printf "%.3f", $1}'; }
ways=(bare null preload run-noinj run)
one() {  # way, workload args...: appends "ns wall_ms" to $work/<way>
  local way=$1
  shift
  local t0 line
  t0=$(date +%s%N)
  case $way in
    bare) line=$("$workload" "$@") ;;
    null) line=$(env LD_PRELOAD="$null" "$workload" "$@") ;;
    preload) line=$(env LD_PRELOAD="$lib" FAULTLINE_SCHEDULE= "$workload" "$@") ;;
    run-noinj) line=$("$faultline" run --no-inject -- "$workload" "$@" 2>"$work/verdict") ;;
    run) line=$("$faultline" run -- "$workload" "$@" 2>"$work/verdict") ;;
  esac
  local wall=$((($(date +%s%N) - t0) / 1000))
  if [[ $way == run* ]] && ! grep -q '^faultline: none (exit 0)' "$work/verdict"; then
    echo "interleave_idle_cost.sh: faultline run did not end clean:" >&2
    cat "$work/verdict" >&2
    exit 2
  fi
  echo "$(awk '{print $1}' <<<"$line") $wall" >>"$work/$way"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ); median of $reps"
for shape in "4 20 100000" "1 20 200000"; do
  read -r threads rounds iters <<<"$shape"
  for way in "${ways[@]}"; do rm -f "$work/$way"; done
  "$workload" $shape >/dev/null  # warm-up
  for _ in $(seq "$reps"); do
    for way in "${ways[@]}"; do one "$way" $shape; done
  done
  declare -A ns=() wall=()
  for way in "${ways[@]}"; do
    ns[$way]=$(awk '{print $1}' "$work/$way" | median)
    wall[$way]=$(awk '{print $2 / 1000}' "$work/$way" | median)
  done
  echo "$threads thread(s) x $rounds rounds x $iters iterations:"
  printf '  %-10s %10s %8s %12s %8s   %s\n' way "ns/iter" "x bare" "wall ms" "x bare" "ns/iter, every repetition"
  for way in "${ways[@]}"; do
    printf '  %-10s %10s %8s %12s %8s   %s\n' "$way" "${ns[$way]}" "$(ratio "${ns[$way]}" "${ns[bare]}")" \
      "${wall[$way]}" "$(ratio "${wall[$way]}" "${wall[bare]}")" "$(awk '{printf "%s ", $1}' "$work/$way")"
  done
  echo "  injector idle (preload / bare, ns/iter): $(ratio "${ns[preload]}" "${ns[bare]}")x" \
       "(over the do-nothing interposer: $(ratio "${ns[preload]}" "${ns[null]}")x);" \
       "under faultline run (run / run-noinj): $(ratio "${ns[run]}" "${ns[run-noinj]}")x; target <= 1.05x"
  unset ns wall
done
