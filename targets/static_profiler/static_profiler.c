/* static_profiler: a statically linked program (no LD_PRELOAD possible)
   whose SIGPROF handler allocates a sample record with malloc: the same
   signal-unsafe reentrancy as profiler_backtrace, for the tracer-side
   malloc-signal mode (`malloc-signal ... ptrace`). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void *static_profiler_worker(void *sum) {
  *(unsigned long long *)sum = workload_run(0, 0, 2000);
  return 0;
}

/* Any argument: no natural timer. "threaded": the workload runs on a worker
   thread (thread 1) while main waits in pthread_join. "forked": a forked
   child runs the workload first (with fork's copy of the tracer's
   breakpoints, which are not its own), then main does. */
int main(int argc, char **argv) {
  profiler_install(static_profiler_on_sigprof, argc < 2 ? 1000 : 0);
  unsigned long long sum = 0;
  if (argc > 1 && strcmp(argv[1], "threaded") == 0) {
    pthread_t worker;
    pthread_create(&worker, 0, static_profiler_worker, &sum);
    pthread_join(worker, 0);
  } else if (argc > 1 && strcmp(argv[1], "forked") == 0) {
    const pid_t child = fork();
    if (child == 0) {
      printf("child checksum=%llu\n", (unsigned long long)workload_run(0, 0, 2000));
      fflush(stdout);
      _exit(0);
    }
    waitpid(child, 0, 0);
    sum = workload_run(0, 0, 2000);
  } else {
    sum = workload_run(0, 0, 2000);
  }
  printf("samples=%lu checksum=%llu\n", samples, sum);
  return 0;
}
