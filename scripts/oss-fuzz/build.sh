#!/bin/bash -eu
# OSS-Fuzz build script (use as projects/faultline/build.sh): builds every
# target's fuzz entry (LLVMFuzzerTestOneInput) with the environment's
# compilers and flags, linked with $LIB_FUZZING_ENGINE, as $OUT/<target>,
# beside <target>.dict, <target>.options and <target>_seed_corpus.zip; and
# the same fuzzers with a faultline profile baked in,
# $OUT/<target>_faultline_<profile> (see targets/CMakeLists.txt), each with
# its own copy of those three files and, for all of them,
# $OUT/libfaultline-inject.so (found through RPATH $ORIGIN). They run alone,
# as ClusterFuzz and ClusterFuzzLite run any fuzzer.
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
  name=${fuzzer##*/fuzz-}
  target=${name%%_faultline_*}
  cp "$fuzzer" "$OUT/$name"
  cp "$build/bin/$name.dict" "$build/bin/$name.options" "$OUT/"
  rm -f "$OUT/${name}_seed_corpus.zip"
  (cd "$src/corpora/$target/seeds" && python3 -m zipfile -c "$OUT/${name}_seed_corpus.zip" ./*)
done
cp "$build/bin/libfaultline-inject.so" "$OUT/"
