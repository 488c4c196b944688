/* A library whose constructor sets up a profiler before anything else runs,
   past the interposable sigaction (glibc's exported __sigaction) and with
   the setitimer system call itself, as a profiler linked into a program may
   do: faultline's injector starts after it and must still find both. The
   handler allocates (unsafe). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

extern int __sigaction(int, const struct sigaction *, struct sigaction *);

volatile unsigned long early_samples;
void *volatile early_sample_buffer; /* volatile: the compiler may not drop the allocation */

static void on_prof(int sig) {
  (void)sig;
  early_sample_buffer = malloc(48); /* what a profiler's first backtrace() does: allocates */
  free(early_sample_buffer);
  early_samples++;
}

__attribute__((constructor)) static void start_profiler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_prof;
  sa.sa_flags = SA_RESTART;
  __sigaction(SIGPROF, &sa, 0);
  struct itimerval every = {{0, 1000}, {0, 1000}};
  syscall(SYS_setitimer, ITIMER_PROF, &every, 0);
}
