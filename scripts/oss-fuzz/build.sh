#!/bin/bash -eu
# OSS-Fuzz build script (use as projects/faultline/build.sh): builds every
# target's fuzz entry (LLVMFuzzerTestOneInput) with the environment's
# compilers and flags, linked with $LIB_FUZZING_ENGINE, as $OUT/<target>,
# beside <target>.dict, <target>.options and <target>_seed_corpus.zip.
# Works outside OSS-Fuzz too, e.g.:
#   CC=clang-14 CXX=clang++-14 CFLAGS=-fsanitize=address,fuzzer-no-link \
#   CXXFLAGS=-fsanitize=address,fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   OUT=/tmp/out scripts/oss-fuzz/build.sh
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${WORK:-/tmp}/faultline-oss-fuzz-build
OUT=$(realpath -m "${OUT:?set OUT}")
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DFAULTLINE_FUZZ_ENGINE=oss-fuzz -DFAULTLINE_LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
  -DFAULTLINE_BUILD_HARNESS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

mkdir -p "$OUT"
for fuzzer in "$build"/bin/fuzz-*; do
  target=${fuzzer##*/fuzz-}
  cp "$fuzzer" "$OUT/$target"
  cp "$src/targets/$target/$target.dict" "$src/targets/$target/$target.options" "$OUT/"
  seeds="$src/corpora/$target/seeds"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "$seeds" && python3 -m zipfile -c "$OUT/${target}_seed_corpus.zip" ./*)
done
