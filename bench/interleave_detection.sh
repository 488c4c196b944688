#!/usr/bin/env bash
# What `faultline explore --injector interleave` buys on the two built-in
# race targets, pool_double_free and check_then_act:
#  1. Plain: the program run directly, no faultline, PLAIN_RUNS times. A run
#     "crashes" when its exit status is not 0 (a death by a signal shows as
#     128+N: check_then_act's abort() is 134). pool_double_free's double free
#     is silent in plain glibc even when it happens (the tcache check looks
#     only in the freeing thread's cache), so its plain rate is the rate at
#     which a user would see anything at all.
#  2. explore: `faultline explore --injector interleave --max-runs 200 -- PROG`
#     EXPLORE_REPS times; each time, the run at which the finding is reported
#     (the "run N: SCHEDULE -> CLASS" line; N counts the census run and the
#     2 confirming reruns of the point) and the class.
#  3. Quarantine only: `faultline run --schedule quarantine=64 -- PROG`, no
#     delay, QUARANTINE_RUNS times: how often the bad interleaving happens by
#     itself, seen even where it is silent in a plain run (pool_double_free).
# Usage: bench/interleave_detection.sh [build-dir] [plain-runs] [explore-reps] [quarantine-runs]
#        (defaults: build 1000 5 200)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
plain_runs=${2:-1000}
explore_reps=${3:-5}
quarantine_runs=${4:-200}
faultline="$build/bin/faultline"
for f in "$faultline" "$build/bin/target-pool_double_free" "$build/bin/target-check_then_act" \
         "$build/lib/libfaultline-inject.so"; do
  [[ -f $f ]] || { echo "interleave_detection.sh: $f not found: build $build first" >&2; exit 2; }
done
[[ $plain_runs =~ ^[1-9][0-9]*$ && $explore_reps =~ ^[1-9][0-9]*$ && $quarantine_runs =~ ^[0-9]+$ ]] ||
  { echo "interleave_detection.sh: plain-runs and explore-reps must be positive integers, quarantine-runs 0 or more" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
for target in pool_double_free check_then_act; do
  prog="$build/bin/target-$target"

  # 1. Plain runs. The group's 2>/dev/null also keeps bash's own
  #    "Aborted" notice off the terminal.
  crashes=0
  declare -A statuses=()
  t0=$(date +%s%N)
  for _ in $(seq "$plain_runs"); do
    st=0
    { "$prog" >/dev/null 2>&1; } 2>/dev/null || st=$?
    if ((st != 0)); then
      crashes=$((crashes + 1))
      statuses[$st]=$((${statuses[$st]:-0} + 1))
    fi
  done
  plain_s=$(echo "($(date +%s%N) - $t0) / 1000000000" | bc -l)
  breakdown=""
  for st in "${!statuses[@]}"; do breakdown+=" status $st: ${statuses[$st]}x"; done
  unset statuses
  if ((crashes == 0)); then
    rate="< 1/$plain_runs (0 crashes; 95% upper bound 3/$plain_runs = $(awk -v n="$plain_runs" 'BEGIN {printf "%.2f", 300 / n}')%)"
    expected="> $plain_runs (95% lower bound $(echo "$plain_runs / 3" | bc))"
  else
    rate="$crashes/$plain_runs = $(awk -v k="$crashes" -v n="$plain_runs" 'BEGIN {printf "%.2f", 100 * k / n}')%"
    expected=$(awk -v k="$crashes" -v n="$plain_runs" 'BEGIN {printf "%.1f", n / k}')
  fi
  if ((crashes == 0)); then  # the rule of three: 0 in N bounds the rate below 3/N (95%)
    below=$( ((plain_runs > 300)) && echo "below 1% at 95%" || echo "too few runs to show it is below 1%")
  else
    below=$( ((crashes * 100 < plain_runs)) && echo "below 1%" || echo "NOT below 1%")
  fi
  printf '%s plain: %s crashes in %s runs (%s, %.1f s);%s\n' "$target" "$crashes" "$plain_runs" "$below" "$plain_s" \
    "${breakdown:- no non-zero status}"
  echo "  plain crash rate $rate; expected plain runs to first crash: $expected"

  # 2. explore --injector interleave.
  found_at=() first_crash=()
  for rep in $(seq "$explore_reps"); do
    out="$work/$target-$rep"
    t0=$(date +%s%N)
    st=0
    "$faultline" explore --injector interleave --max-runs 200 --out "$out/repros" -- "$prog" \
      >"$out.stdout" 2>"$out.stderr" || st=$?
    secs=$(echo "($(date +%s%N) - $t0) / 1000000000" | bc -l)
    if ((st != 0 && st != 1)); then
      echo "interleave_detection.sh: faultline explore exited $st on $target:" >&2
      cat "$out.stderr" >&2
      exit 2
    fi
    summary=$(grep '^faultline explore: ' "$out.stdout" || true)
    runs=$(sed -n 's/^faultline explore: \([0-9]*\) runs, \([0-9]*\) delays and \([0-9]*\) pct schedules tried.*/\1 runs, \2 delays and \3 pct schedules tried/p' <<<"$summary")
    tried=$(sed -n 's/^faultline explore: [0-9]* runs, \([0-9]*\) delays and 0 pct schedules tried.*/\1/p' <<<"$summary")
    unsteady=$(sed -n 's/.*findings (\([0-9]*\) schedules crashed on some reruns only.*/; \1 unsteady schedules/p' <<<"$summary")
    hit=$(grep -m1 '^run [0-9]*: ' "$out.stdout" || true)
    if [[ -z $hit ]]; then
      printf '  explore %d: nothing found (%s%s, %.1f s)\n' "$rep" "$runs" "$unsteady" "$secs"
      found_at+=("-")
      continue
    fi
    n=$(sed 's/^run \([0-9]*\): .*/\1/' <<<"$hit")
    schedule=$(sed 's/^run [0-9]*: \(.*\) -> .*/\1/' <<<"$hit")
    class=$(sed 's/^run [0-9]*: .* -> \([a-z-]*\).*/\1/' <<<"$hit")
    # The census is run 1 and each delay tried is one run; with no unsteady
    # point (each rerun too) before it, the found point's first run is
    # 1 + delays tried, and the runs after it up to N are its reruns.
    first="?"
    [[ -z $unsteady && -n $tried ]] && first=$((1 + tried))
    printf '  explore %d: %s reported at run %s, the point first run at run %s [%s]; %s%s, %.1f s\n' \
      "$rep" "$class" "$n" "$first" "$schedule" "$runs" "$unsteady" "$secs"
    found_at+=("$n")
    first_crash+=("$first")
  done
  echo "  runs to first detection (finding reported at run): ${found_at[*]};" \
       "the found point first crashed at run: ${first_crash[*]:-none}; expected plain runs to first crash: $expected"

  # 3. The quarantine alone, no delay.
  if ((quarantine_runs > 0)); then
    caught=0
    classes=""
    for _ in $(seq "$quarantine_runs"); do
      st=0
      "$faultline" run -q --schedule quarantine=64 -- "$prog" >/dev/null 2>"$work/verdict" || st=$?
      case $st in
        0) ;;
        1) caught=$((caught + 1))
           classes+=" $(sed -n 's/^faultline: \([a-z-]*\).*/\1/p' "$work/verdict" | head -1)" ;;
        *) echo "interleave_detection.sh: faultline run exited $st on $target:" >&2
           cat "$work/verdict" >&2
           exit 2 ;;
      esac
    done
    by_class=""
    [[ -n $classes ]] && by_class=":$(tr ' ' '\n' <<<"$classes" | sort | uniq -c | awk 'NF == 2 {printf " %s x%s", $2, $1}')"
    echo "  quarantine only, no delay (faultline run): $caught findings in $quarantine_runs runs$by_class"
  fi
done
