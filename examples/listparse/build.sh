#!/bin/sh
# Configure and build the three trees of CMakePresets.json:
#   build/listparse  build-fuzz/fuzz_listparse  build-afl/fuzz_listparse
# Idempotent. --fixed rebuilds them all with -DLISTPARSE_FIXED=ON (no bugs);
# without it they are (re)configured with the bugs in.
set -eu
cd "$(dirname "$0")"
fixed=OFF
for arg in "$@"; do
  case $arg in
    --fixed) fixed=ON ;;
    -h|--help) sed -n '2,5s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg' (usage: build.sh [--fixed])" >&2; exit 2 ;;
  esac
done
for preset in default fuzz afl; do
  cmake --preset "$preset" -DLISTPARSE_FIXED="$fixed" >/dev/null
  cmake --build --preset "$preset"
done
echo "build.sh: built build/listparse build-fuzz/fuzz_listparse build-afl/fuzz_listparse (LISTPARSE_FIXED=$fixed)"
