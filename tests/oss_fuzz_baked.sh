#!/bin/sh
# Fuzzers with a baked-in faultline profile, run the way ClusterFuzzLite runs
# a fuzzer: the binary alone from $OUT, no faultline, no LD_PRELOAD, no
# FAULTLINE_* variables, -runs= to reproduce and -max_total_time= to fuzz.
#   ASan build ($OUT of oss_fuzz_build.sh): an input that the 8 MiB default
#     stack holds exhausts the 160 KiB thread stack of the small-stacks
#     variant (ASan: stack-overflow, crash- artifact), the plain fuzzer is
#     fine; heap-quarantine's allocator sentinels give way to ASan's.
#   UBSan build (no ASan, built here): heap-quarantine catches a write after
#     free that the plain fuzzer never notices, and a double free, as
#     "faultline: <class>" and SIGABRT, which libFuzzer saves as a crash.
# usage: oss_fuzz_baked.sh ASAN_OUT SCRATCH_DIR FAULTLINE_BIN
set -eu
asan_out=$1 scratch=$2 faultline=$3
rm -rf "$scratch" && mkdir -p "$scratch"
unset LD_PRELOAD FAULTLINE_SCHEDULE FAULTLINE_EVENT_FD FAULTLINE_ABORT_ON_FINDING ASAN_OPTIONS UBSAN_OPTIONS

log=
fail() { echo "FAIL: $*"; [ -f "$log" ] && tail -40 "$log"; exit 1; }
# fuzz NAME OUT ARGS...: runs $OUT/NAME alone in a fresh directory named for
# the run (its artifacts land there); sets $log, $dir and $rc.
n=0
fuzz() {
  name=$1 out=$2
  shift 2
  n=$((n + 1))
  dir="$scratch/run$n-$name" log="$scratch/run$n-$name.log"
  mkdir -p "$dir"
  rc=0
  (cd "$dir" && exec "$out/$name" "$@") >"$log" 2>&1 || rc=$?
}
crashes() { ls "$dir" | grep -c '^crash-' || true; }

# Depth 400, shaped as nested expressions: about 1 MiB of stack under ASan.
"$faultline" gen nested --depth 400 --shape expr --output "$scratch/deep-expr"
# corpus FILE: a fresh corpus directory holding FILE (libFuzzer adds to it).
corpus() {
  c=$(mktemp -d "$scratch/corpus.XXXXXX")
  cp "$1" "$c/"
  echo "$c"
}

fuzz nested_parser "$asan_out" -runs=5 "$scratch/deep-expr"
[ "$rc" = 0 ] || fail "plain nested_parser on the deep input: exit $rc"
fuzz nested_parser "$asan_out" -runs=200 -timeout=25 "$(corpus "$scratch/deep-expr")"
[ "$rc" = 0 ] && [ "$(crashes)" = 0 ] || fail "plain nested_parser fuzzing from the deep input: exit $rc"

fuzz nested_parser_faultline_small-stacks "$asan_out" -runs=5 "$scratch/deep-expr"
[ "$rc" != 0 ] || fail "small-stacks variant reproducing the deep input exited 0"
grep -q 'ERROR: AddressSanitizer: stack-overflow' "$log" || fail "no ASan stack-overflow"
fuzz nested_parser_faultline_small-stacks "$asan_out" -max_total_time=30 -timeout=25 -rss_limit_mb=2560 \
  -dict="$asan_out/nested_parser_faultline_small-stacks.dict" "$(corpus "$scratch/deep-expr")"
[ "$rc" != 0 ] || fail "small-stacks variant fuzzing from the deep input exited 0"
grep -q 'ERROR: AddressSanitizer: stack-overflow' "$log" || fail "no ASan stack-overflow while fuzzing"
grep -q 'Test unit written to ./crash-' "$log" || fail "libFuzzer wrote no crash artifact"
cmp -s "$dir/$(ls "$dir" | grep '^crash-' | head -1)" "$scratch/deep-expr" || fail "the crash artifact is not the deep input"

# ASan's malloc is the executable's: the quarantine never sees a free, ASan does.
printf 'double-free' >"$scratch/double-free"
printf 'use-after-free' >"$scratch/use-after-free"
fuzz crash_zoo_faultline_heap-quarantine "$asan_out" -runs=1 "$scratch/double-free"
grep -q 'ERROR: AddressSanitizer: attempting double-free' "$log" || fail "ASan did not report the double free"
! grep -q '^faultline:' "$log" || fail "the injector's allocator ran under ASan"

# A build without ASan: OSS-Fuzz's UBSan flags.
ubsan="-g -fsanitize=undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link"
CC=clang-14 CXX=clang++-14 CFLAGS="$ubsan" CXXFLAGS="$ubsan" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
  OUT="$scratch/out-ubsan" WORK="$scratch/work-ubsan" "$(dirname "$0")/../scripts/oss-fuzz/build.sh"
ubsan_out="$scratch/out-ubsan"

fuzz crash_zoo "$ubsan_out" -runs=20 "$(corpus "$scratch/use-after-free")"
[ "$rc" = 0 ] && [ "$(crashes)" = 0 ] || fail "plain crash_zoo noticed the write after free (exit $rc)"
fuzz crash_zoo_faultline_heap-quarantine "$ubsan_out" -max_total_time=30 -timeout=25 "$(corpus "$scratch/use-after-free")"
[ "$rc" != 0 ] || fail "heap-quarantine variant on a write after free exited 0"
grep -q '^faultline: use-after-free' "$log" || fail "no faultline use-after-free line"
grep -q 'ERROR: libFuzzer: deadly signal' "$log" || fail "libFuzzer saw no deadly signal"
[ "$(crashes)" = 1 ] || fail "libFuzzer wrote no crash artifact"
cmp -s "$dir/$(ls "$dir" | grep '^crash-')" "$scratch/use-after-free" || fail "the crash artifact is not the input"

fuzz crash_zoo_faultline_heap-quarantine "$ubsan_out" -runs=1 "$scratch/double-free"
[ "$rc" != 0 ] || fail "heap-quarantine variant on a double free exited 0"
grep -q '^faultline: double-free' "$log" || fail "no faultline double-free line"

# Thread stacks are the injector's with or without ASan. Without ASan no one
# gives the worker thread an alternate signal stack, so its overflow is a bare
# SIGSEGV that no handler can take: the process dies by it, with no artifact.
fuzz nested_parser_faultline_small-stacks "$ubsan_out" -runs=5 "$scratch/deep-expr"
[ "$rc" = 139 ] || fail "small-stacks (UBSan build) did not die by SIGSEGV: exit $rc"
fuzz nested_parser "$ubsan_out" -runs=5 "$scratch/deep-expr"
[ "$rc" = 0 ] || fail "plain nested_parser (UBSan build) on the deep input: exit $rc"
echo "baked variants: all checks passed"
