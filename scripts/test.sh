#!/usr/bin/env bash
# The whole test suite: set up, then configure + build + ctest (GoogleTest)
# through the `default` workflow preset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec cmake --workflow --preset default
