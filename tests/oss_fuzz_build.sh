#!/bin/sh
# scripts/oss-fuzz/build.sh as OSS-Fuzz runs it (clang, ASan in CFLAGS, the
# engine in $LIB_FUZZING_ENGINE): every target lands in $OUT with its dict,
# options and seed zip, so does each <target>_faultline_<profile> variant,
# beside one uninstrumented libfaultline-inject.so, and each fuzzer runs its
# seeds cleanly. (tests/oss_fuzz_baked.sh runs the variants on what they are for.)
# usage: oss_fuzz_build.sh SCRATCH_DIR
set -eu
scratch=$1
rm -rf "$scratch" && mkdir -p "$scratch"
export CC=clang-14 CXX=clang++-14 LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT="$scratch/out" WORK="$scratch/work"
export CFLAGS="-g -fsanitize=address,fuzzer-no-link" CXXFLAGS="-g -fsanitize=address,fuzzer-no-link"
"$(dirname "$0")/../scripts/oss-fuzz/build.sh"
profiles="small-stacks heap-quarantine"
for target in nested_parser profiler_backtrace raw_parts pool_double_free crash_zoo; do
  for name in "$target" $(for p in $profiles; do echo "${target}_faultline_$p"; done); do
    for f in "$name" "$name.dict" "$name.options" "${name}_seed_corpus.zip"; do
      [ -s "$OUT/$f" ] || { echo "missing $OUT/$f"; exit 1; }
    done
  done
  for p in $profiles; do
    variant="$OUT/${target}_faultline_$p"
    # Its own dictionary, the base target's words.
    grep -qx "dict = ${target}_faultline_$p.dict" "$variant.options" || { echo "$variant.options names another dict"; exit 1; }
    cmp -s "$OUT/$target.dict" "$variant.dict" || { echo "$variant.dict differs from $target.dict"; exit 1; }
    # Found beside it wherever $OUT is copied, and its schedule where the injector's weak reference binds.
    readelf -d "$variant" | grep -q 'NEEDED.*\[libfaultline-inject.so\]' || { echo "$variant does not link the injector"; exit 1; }
    readelf -d "$variant" | grep -q 'R\(UN\)\?PATH.*\[\$ORIGIN\]' || { echo "$variant has no RPATH \$ORIGIN"; exit 1; }
    nm -D --defined-only "$variant" | grep -qw faultline_builtin_schedule || { echo "$variant does not export its schedule"; exit 1; }
  done
done
# The injector in $OUT is built from injectors/ without the CFLAGS' ASan and
# coverage: nothing of a sanitizer or a fuzzer runtime, in or out.
lib="$OUT/libfaultline-inject.so"
nm "$lib" >"$scratch/inject.nm"
grep -qw fl_report_finding "$scratch/inject.nm" || { echo "no symbol table read from $lib"; exit 1; }
if grep -E '__asan_|__sanitizer_cov|__sancov|__ubsan|__afl' "$scratch/inject.nm"; then echo "$lib is instrumented"; exit 1; fi
readelf -d "$lib" | grep -q 'FLAGS.*BIND_NOW' || { echo "$lib is not linked -z now"; exit 1; }
# The seeds of the targets whose seeds do not crash on purpose run clean, in
# every variant too (a 160 KiB thread stack holds depth-40 source under ASan).
for target in nested_parser profiler_backtrace pool_double_free; do
  for name in "$target" $(for p in $profiles; do echo "${target}_faultline_$p"; done); do
    mkdir -p "$scratch/seeds-$name"
    python3 -m zipfile -e "$OUT/${name}_seed_corpus.zip" "$scratch/seeds-$name"
    ASAN_OPTIONS=detect_leaks=0 "$OUT/$name" -runs=0 -dict="$OUT/$name.dict" "$scratch/seeds-$name" 2>"$scratch/$name.log" ||
      { cat "$scratch/$name.log"; exit 1; }
    grep -q "INITED" "$scratch/$name.log"
  done
done
