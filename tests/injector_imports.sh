#!/bin/sh
# The injector imports nothing outside injectors/imports.allowlist (RULES.md):
# a stdio or allocator call, a lock, a libc string function the compiler
# emitted for a loop, each shows up here as a new undefined dynamic symbol.
#   injector_imports.sh LIBFAULTLINE_INJECT_SO ALLOWLIST
set -eu
so=$1
allowlist=$2
[ -f "$so" ] || { echo "injector_imports: $so: no such library" >&2; exit 2; }
imports=$(nm -D --undefined-only "$so" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
[ -n "$imports" ] || { echo "injector_imports: $so: nm listed no imports at all (not the library?)" >&2; exit 2; }
allowed=$(grep -v '^#' "$allowlist" | sed 's/[[:space:]]*$//' | grep -v '^$' | sort -u)
outside=$(printf '%s\n' "$imports" | grep -vxF "$allowed" || true)
if [ -n "$outside" ]; then
  echo "injector_imports: $so imports symbols outside $allowlist:" >&2
  printf '  %s\n' $outside >&2
  exit 1
fi
echo "injector_imports: $(printf '%s\n' "$imports" | wc -l) imports, all allowed"
