#!/bin/sh
# SARIF from a real campaign, validated by Microsoft's SARIF Multitool (npm
# package @microsoft/sarif-multitool-linux, which ships the OASIS SARIF 2.1.0
# JSON schema it validates against, plus the SARIF spec's own rules). Any
# error or warning fails the test. The tool is installed once into TOOLS.
# usage: validate_sarif.sh FAULTLINE_BIN_DIR TOOLS_DIR SCRATCH_DIR
set -eu
bin=$1 tools=$2 scratch=$3
multitool=$tools/node_modules/@microsoft/sarif-multitool-linux
if [ ! -x "$multitool/Sarif.Multitool" ]; then
  mkdir -p "$tools"
  npm install --silent --no-save --prefix "$tools" @microsoft/sarif-multitool-linux@5.7.0 >/dev/null
  chmod u+x "$multitool/Sarif.Multitool"  # its postinstall step, which npm skips
fi
rm -rf "$scratch" && mkdir -p "$scratch/corpora/crash_zoo/seeds"
for kind in null abort stack-thread clean; do echo "$kind" > "$scratch/corpora/crash_zoo/seeds/$kind"; done
"$bin/faultline" campaign --project "$(dirname "$0")/../faultline.toml" --target crash_zoo --no-fuzz --out "$scratch/out" --corpora "$scratch/corpora" >/dev/null 2>&1 || [ $? -eq 1 ]
"$multitool/Sarif.Multitool" validate -j "$multitool/sarif-2.1.0.json" -o "$scratch/validation.sarif" \
  "$scratch/out/report.sarif" >/dev/null
python3 - "$scratch/validation.sarif" "$scratch/out/report.sarif" <<'PY'
import json, sys
problems = json.load(open(sys.argv[1]))["runs"][0]["results"]
for p in problems:
    print(p["ruleId"], p.get("level", "warning"), p["message"])
results = json.load(open(sys.argv[2]))["runs"][0]["results"]
assert len(results) == 3, f"expected 3 SARIF results, got {len(results)}"
sys.exit(1 if problems else 0)
PY
