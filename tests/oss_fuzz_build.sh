#!/bin/sh
# scripts/oss-fuzz/build.sh as OSS-Fuzz runs it (clang, ASan in CFLAGS, the
# engine in $LIB_FUZZING_ENGINE): every target lands in $OUT with its dict,
# options and seed zip, and each fuzzer runs its seeds cleanly.
# usage: oss_fuzz_build.sh SCRATCH_DIR
set -eu
scratch=$1
rm -rf "$scratch" && mkdir -p "$scratch"
export CC=clang-14 CXX=clang++-14 LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT="$scratch/out" WORK="$scratch/work"
export CFLAGS="-g -fsanitize=address,fuzzer-no-link" CXXFLAGS="-g -fsanitize=address,fuzzer-no-link"
"$(dirname "$0")/../scripts/oss-fuzz/build.sh"
for target in nested_parser profiler_backtrace raw_parts pool_double_free crash_zoo; do
  for f in "$target" "$target.dict" "$target.options" "${target}_seed_corpus.zip"; do
    [ -s "$OUT/$f" ] || { echo "missing $OUT/$f"; exit 1; }
  done
done
# The seeds of the targets whose seeds do not crash on purpose run clean.
for target in nested_parser profiler_backtrace pool_double_free; do
  mkdir -p "$scratch/seeds-$target"
  python3 -m zipfile -e "$OUT/${target}_seed_corpus.zip" "$scratch/seeds-$target"
  ASAN_OPTIONS=detect_leaks=0 "$OUT/$target" -runs=0 -dict="$OUT/$target.dict" "$scratch/seeds-$target" 2>"$scratch/$target.log" ||
    { cat "$scratch/$target.log"; exit 1; }
  grep -q "INITED" "$scratch/$target.log"
done
