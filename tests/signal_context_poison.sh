#!/bin/sh
# The injector files whose code runs in signal context or inside the allocator
# include signal_context.h, and a stdio, allocator or lock call after it does
# not compile (RULES.md).
#   signal_context_poison.sh C_COMPILER INJECTORS_DIR
set -eu
cc=$1
dir=$2
for f in signals.c inject.c interleave.c stack.c; do
  grep -q '^#include "signal_context.h"' "$dir/$f" || { echo "$dir/$f does not include signal_context.h" >&2; exit 1; }
done
for call in 'printf("x")' 'malloc(1)' 'free(0)' 'pthread_mutex_lock(0)' 'puts("x")'; do
  if printf '#include <pthread.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include "signal_context.h"\nvoid f(void) { %s; }\n' "$call" |
    "$cc" -fsyntax-only -I "$dir" -x c - 2>/dev/null; then
    echo "$call compiles after signal_context.h: the poison list lost it" >&2
    exit 1
  fi
done
# The same file without the call compiles: the failures above are the poison's.
printf '#include <pthread.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include "signal_context.h"\nvoid f(void) { }\n' |
  "$cc" -fsyntax-only -I "$dir" -x c -
echo "signal_context_poison: ok"
