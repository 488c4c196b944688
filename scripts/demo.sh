#!/usr/bin/env bash
# The main job: set up, build, then a short campaign over the built-in targets:
# stored regressions are replayed, every seed is run and triaged, and a
# summary table is printed (report in out/campaign/report.json).
# Exit status is the campaign's: 0 clean, 1 new crash or regression, 2 error.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec build/bin/faultline campaign --budget "${FAULTLINE_BUDGET:-120}" --out out/campaign --corpora corpora
