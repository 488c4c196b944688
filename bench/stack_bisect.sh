#!/usr/bin/env bash
# Stack-exhaustion figures for nested_parser, per shape, from `faultline stack`:
#   (a) the smallest nesting depth that exhausts a 1 MiB worker-thread stack
#       (the seed case), with bytes per level and runs used by the bisection;
#   (b) the smallest worker-thread stack that survives depth 2000.
# Usage: bench/stack_bisect.sh [build-dir]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
faultline="$build/bin/faultline"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-8s | %11s %9s %11s %7s %6s %8s | %12s %6s %8s\n' shape "depth@1M" "B/level" "B/cycle" frames runs seconds \
  "stack@2000" runs seconds
for shape in expr block generic array mixed; do
  "$faultline" stack --target nested_parser --shape "$shape" --stack-size 1M --max-depth 100000 \
    --out "$work/repros" --report "$work/a-$shape.json" >/dev/null
  "$faultline" stack --target nested_parser --shape "$shape" --depth 2000 \
    --out "$work/repros" --report "$work/b-$shape.json" >/dev/null
  python3 - "$shape" "$work/a-$shape.json" "$work/b-$shape.json" <<'PY'
import json, sys
shape, a, b = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
cycle = a.get("recursion_cycle", {})
print(f'{shape:<8} | {a["min_crashing_depth"]:>11} {a["bytes_per_level"]:>9} {cycle.get("bytes_per_cycle", 0):>11} '
      f'{len(cycle.get("functions", [])):>7} {a["runs"]:>6} {a["seconds"]:>8.2f} | '
      f'{b["min_surviving_stack"] // 1024:>10}K {b["runs"]:>6} {b["seconds"]:>8.2f}')
PY
done
