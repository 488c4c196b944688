#!/usr/bin/env bash
# faultline installed as a user installs it (issue 17), run from an unrelated
# directory with the source and build trees hidden (a tmpfs over each, in a
# mount namespace of its own): a crash triage, its replay, an explore, a stack
# bisection and a campaign of the example project. `prefix`: from
# cmake --install, then every manual page renders with man -l and the bash
# completion completes; `deb`: from the .deb (cpack, its Depends and
# Recommends, lintian with no errors, dpkg-deb -x).
#   installed_faultline.sh BUILD_DIR SOURCE_DIR prefix|deb
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
mode=$3
work=$(mktemp -d /tmp/faultline-installed.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "installed_faultline: $*" >&2; exit 1; }
case $mode in prefix | deb) ;; *) fail "usage: installed_faultline.sh BUILD_DIR SOURCE_DIR prefix|deb" ;; esac

# The example project, built outside both trees, as a user has it.
cp -r "$src/examples/listparse" "$work/listparse"
(cd "$work/listparse" && rm -rf build build-fuzz build-afl corpora/listparse/regressions && ./build.sh >"$work/example-build.log" 2>&1) ||
  fail "the example project did not build: $(tail -5 "$work/example-build.log")"

# Runs "$@" where neither tree exists: only the installed files are there.
hidden() {
  local unshare=(unshare -m)
  [ "$(id -u)" = 0 ] || unshare=(unshare -rm)
  "${unshare[@]}" bash -c 'mount -t tmpfs none "$1" && mount -t tmpfs none "$2" && shift 2 && cd "$WORK/elsewhere" && "$@"' \
    _ "$build" "$src" "$@"
}
export WORK=$work

# The whole tour with one installed faultline ($1), in a fresh directory.
tour() {
  local F=$1 label=$2 project=$work/listparse/faultline.toml
  rm -rf "$work/elsewhere" && mkdir "$work/elsewhere"
  hidden "$F" --version | grep -q '^faultline 0\.' || fail "$label: --version"
  hidden "$F" gen nested --depth 200000 --open '[' --close ']' --leaf 1 --output deep >/dev/null
  local rc=0
  hidden "$F" run -q --project "$project" --target listparse --input deep --out repros --report r.json 2>"$work/run.err" || rc=$?
  [ "$rc" = 1 ] || fail "$label: run exited $rc: $(cat "$work/run.err")"
  grep -q '"class": "stack-exhaustion"' "$work/elsewhere/r.json" || fail "$label: run: $(head -c 400 "$work/elsewhere/r.json")"
  grep -q '"faultline_version": "0\.' "$work/elsewhere/r.json" || fail "$label: the report records no version"
  grep -Eq '"processes": [1-9]' "$work/elsewhere/r.json" || fail "$label: the installed injector did not report in"
  hidden "$F" replay --project "$project" "$work"/elsewhere/repros/stack-exhaustion-* --times 2 >"$work/replay.out" ||
    fail "$label: replay: $(cat "$work/replay.out")"
  rc=0
  hidden "$F" explore --injector malloc-signal --signal SIGINT --max-runs 4 --out explored -- gzip -c "$work/listparse/faultline.toml" \
    >"$work/explore.out" 2>&1 || rc=$?
  [ "$rc" -le 1 ] || fail "$label: explore exited $rc: $(tail -3 "$work/explore.out")"
  hidden "$F" stack --project "$project" --target listparse --stack-size 256K --out stack-out >"$work/stack.out" 2>&1 ||
    fail "$label: stack: $(tail -3 "$work/stack.out")"
  grep -q 'smallest nesting depth that exhausts it' "$work/stack.out" || fail "$label: stack said: $(cat "$work/stack.out")"
  rc=0
  hidden "$F" campaign --project "$project" --budget 20 --out campaign >"$work/campaign.out" 2>&1 || rc=$?
  [ "$rc" -le 1 ] || fail "$label: campaign exited $rc: $(tail -5 "$work/campaign.out")"
  [ -s "$work/elsewhere/campaign/report.json" ] || fail "$label: the campaign wrote no report"
  rm -rf "$work/listparse/corpora/listparse/regressions"
  echo "installed_faultline: $label: run, replay, explore, stack and campaign ran from the installed files alone"
}

if [ "$mode" = prefix ]; then
  cmake --install "$build" --prefix "$work/prefix/usr" >/dev/null
  carried=$(find "$work/prefix" -name 'target-*' -o -name 'test-*' -o -name 'fuzz-*' -o -name 'faultline_tests' -o -name 'bench-*')
  [ -z "$carried" ] || fail "the install carries tests, targets or benchmarks: $carried"
  tour "$work/prefix/usr/bin/faultline" "cmake --install"
  for page in "$work"/prefix/usr/share/man/man1/*.1.gz; do
    man -l "$page" 2>/dev/null | grep -q 'NAME' || fail "man -l $page rendered nothing"
  done
  [ "$(ls "$work"/prefix/usr/share/man/man1/*.1.gz | wc -l)" -ge 11 ] || fail "a manual page per command is missing"
  bash -c "source '$work/prefix/usr/share/bash-completion/completions/faultline' && complete -p faultline" >/dev/null ||
    fail "the bash completion does not load"
  bash -c "source '$work/prefix/usr/share/bash-completion/completions/faultline'; COMP_WORDS=(faultline run --sch); COMP_CWORD=2; _faultline; [[ \${COMPREPLY[*]} == --schedule ]]" ||
    fail "the completion does not complete run's --schedule"
else
  # The package of the build's own CPack configuration, made from a stripped
  # staging install: a plain `cpack` first builds the tree's `preinstall`
  # target, which must not relink what the other tests are running.
  cmake --install "$build" --prefix "$work/stage/usr" --strip >/dev/null
  (cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" -D CPACK_INSTALL_CMAKE_PROJECTS= \
     -D "CPACK_INSTALLED_DIRECTORIES=$work/stage/usr;/usr" >"$work/cpack.log" 2>&1) || fail "cpack: $(tail -5 "$work/cpack.log")"
  deb=$(ls "$work"/pkg/faultline_*_amd64.deb)
  dpkg-deb -f "$deb" Depends | grep -q 'libdw1' || fail "Depends lacks libdw1: $(dpkg-deb -f "$deb" Depends)"
  dpkg-deb -f "$deb" Recommends | grep -q 'afl++' || fail "Recommends lacks the engines"
  lintian --fail-on error "$deb" >"$work/lintian.out" 2>&1 || fail "lintian: $(cat "$work/lintian.out")"
  dpkg-deb -c "$deb" >"$work/contents"
  grep -q ' ./usr/lib/faultline/libfaultline-inject.so$' "$work/contents" || fail "the package has no usr/lib/faultline/libfaultline-inject.so"
  dpkg-deb -x "$deb" "$work/root"
  tour "$work/root/usr/bin/faultline" "the .deb"
fi
