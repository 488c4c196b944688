#!/usr/bin/env bash
# What the injector costs a fuzz engine: executions per second of the
# engines' builds of nested_parser with and without libfaultline-inject.so
# preloaded (empty schedule: sentinels only, as under `faultline fuzz`).
# usage: bench/fuzz_throughput.sh [SECONDS per run, default 10] [REPEATS, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10} repeats=${2:-3}
inject=$PWD/build/lib/libfaultline-inject.so
seeds=$PWD/corpora/nested_parser/seeds
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

libfuzzer() {  # $1: extra env (or empty)
  rm -rf "$scratch/q" && mkdir "$scratch/q"
  env $1 ASAN_OPTIONS=detect_leaks=0 build-fuzz/bin/fuzz-nested_parser -seed=1 -max_total_time="$seconds" \
    -print_final_stats=1 "$scratch/q" "$seeds" 2>&1 | sed -n 's/^stat::average_exec_per_sec: *//p'
}
afl() {  # $1: AFL_PRELOAD=... (or empty)
  rm -rf "$scratch/o"
  env $1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_ALLOW_TMP=1 \
    afl-fuzz -i "$seeds" -o "$scratch/o" -V "$seconds" -- build-afl/bin/fuzz-nested_parser >/dev/null 2>&1
  sed -n 's/^execs_per_sec *: *//p' "$scratch/o/default/fuzzer_stats"
}

printf '%-10s %-10s %s\n' engine injector "execs/s (one per run)"
for r in $(seq "$repeats"); do
  printf '%-10s %-10s %s\n' libfuzzer none "$(libfuzzer '')"
  printf '%-10s %-10s %s\n' libfuzzer preloaded "$(libfuzzer "LD_PRELOAD=$inject FAULTLINE_SCHEDULE=")"
  printf '%-10s %-10s %s\n' afl none "$(afl '')"
  printf '%-10s %-10s %s\n' afl preloaded "$(afl "AFL_PRELOAD=$inject FAULTLINE_SCHEDULE=")"
done
