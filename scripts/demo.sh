#!/usr/bin/env bash
# The main job: set up, build, then a short campaign over what faultline.toml
# declares (faultline's own targets, declared the way any project declares its
# own): stored regressions are replayed, every seed is run and triaged, stack
# tables measured, every target fuzzed under its profiles, and a summary table
# printed (reports in out/campaign/).
# Exit status is the campaign's: 0 clean, 1 new crash or regression, 2 error.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec build/bin/faultline campaign --project faultline.toml --budget "${FAULTLINE_BUDGET:-120}" --out out/campaign
