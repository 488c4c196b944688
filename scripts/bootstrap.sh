#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian 12 machine: installs the Debian packages
# faultline needs (only the missing ones), configures and builds the `default`
# preset (which also builds the targets' libFuzzer and AFL++ trees, build-fuzz/
# and build-afl/, the `fuzz` and `afl` presets' directories). Safe to run
# again; does nothing slow when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  gcc-12 g++-12 cmake make pkg-config         # toolchain
  libgtest-dev libgmock-dev                   # tests
  libboost-program-options-dev                # CLI
  libdw-dev libelf-dev elfutils               # unwinding and symbolization
  libdebuginfod1                              # libdw loads it to fetch debug info when DEBUGINFOD_URLS is set
  libc6-dbg                                   # names for libc's own frames (malloc internals)
  nlohmann-json3-dev                          # reports
  yamllint                                    # checks docs/ci's workflows in the tests
  unzip                                       # OSS-Fuzz seed corpora (<fuzzer>_seed_corpus.zip)
  libtomlplusplus-dev                         # the project manifest, faultline.toml
  python3                                     # a second real-world program in the tests
  gzip make bzip2 xz-utils                    # real programs with signal handlers (explore's tests)
  google-perftools libgoogle-perftools-dev    # a profiler that arms SIGPROF in a library constructor
  libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0   # the allocator differential
  clang-14 libclang-rt-14-dev                 # libFuzzer (targets and faultline's own parsers)
  afl++                                       # AFL++ (afl-clang-fast, afl-fuzz, afl-tmin, afl-cmin)
  chromium                                    # headless: the test that renders report.html and a finding page
  libiberty-dev                               # Rust (v0 and legacy) demangling
  cargo librust-stacker-dev                   # a real stacker segment (rustc's mechanism), built offline
  jq libxml2-utils                            # real parsers for depth bisection (stack --open/--close)
  gdb                                         # opens the cores --core writes (their test)
  universal-ctags                             # function lengths in the architecture test
  varnish                                     # a real daemon that links jemalloc and closes its fds (issue 16's test)
  dpkg-dev lintian man-db                     # the .deb: dpkg-shlibdeps for its Depends, lintian and man -l in the install test
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake --preset default >/dev/null
cmake --build --preset default
