#!/bin/sh
# `faultline campaign --oss-fuzz-out DIR` on the $OUT the OSS-Fuzz build
# script made (the OssFuzz.BuildScript test's fixture): every fuzzer is a
# target, its seed zip is unpacked and run, its regressions are stored, and a
# second night replays them.
# usage: oss_fuzz_campaign.sh FAULTLINE_BIN_DIR OUT_DIR SCRATCH_DIR
set -eu
bin=$1 out=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"
status=0
"$bin/faultline" campaign --oss-fuzz-out "$out" --target crash_zoo --target nested_parser --no-fuzz \
  --out "$scratch/night1" >"$scratch/night1.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || { cat "$scratch/night1.log"; echo "night 1: exit $status, want 1 (crash_zoo's seeds crash)"; exit 1; }
python3 - "$scratch/night1/report.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
seeds = [r for r in rows if r["kind"] == "seed"]
assert {r["target"] for r in seeds} == {"crash_zoo", "nested_parser"}, seeds
assert any(r["status"] == "new" and r["target"] == "crash_zoo" for r in seeds), seeds
assert all(r["status"] == "clean" for r in seeds if r["target"] == "nested_parser"), seeds
PY
ls "$scratch/night1/corpora/crash_zoo/regressions" | grep -q "^null-dereference-" || { echo "no stored regression"; exit 1; }
"$bin/faultline" campaign --oss-fuzz-out "$out" --target crash_zoo --no-fuzz --out "$scratch/night2" \
  --corpora "$scratch/night1/corpora" >"$scratch/night2.log" 2>&1 || { cat "$scratch/night2.log"; exit 1; }
grep -q " reproduces " "$scratch/night2.log" || { cat "$scratch/night2.log"; exit 1; }
# Not an $OUT: one line, exit 2.
status=0
"$bin/faultline" campaign --oss-fuzz-out "$scratch" --out "$scratch/x" 2>"$scratch/err" || status=$?
[ "$status" -eq 2 ] && [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q "no fuzzer" "$scratch/err" || { cat "$scratch/err"; exit 1; }
echo "oss-fuzz-out campaign: ok"
