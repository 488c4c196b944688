/* static_profiler: a statically linked program (no LD_PRELOAD possible)
   whose SIGPROF handler allocates a sample record with malloc: the same
   signal-unsafe reentrancy as profiler_backtrace, for the tracer-side
   malloc-signal mode (`malloc-signal ... ptrace`). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler.h"

static volatile unsigned long samples;

static void static_profiler_on_sigprof(int sig) {
  (void)sig;
  char *sample = malloc(48); /* the bug: malloc in a handler */
  if (sample) {
    memset(sample, 0, 48);
    free(sample);
  }
  samples++;
}

int main(int argc, char **argv) {
  (void)argv;
  profiler_install(static_profiler_on_sigprof, argc < 2 ? 1000 : 0); /* any argument: no natural timer */
  unsigned long long sum = workload_run(0, 0, 2000);
  printf("samples=%lu checksum=%llu\n", samples, sum);
  return 0;
}
