#define _GNU_SOURCE
#include "profiler.h"

#include <execinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static volatile unsigned long samples;

/* The bug: async-signal-unsafe backtrace() in a handler. */
static void profiler_on_sigprof(int sig) {
  (void)sig;
  void *frames[64];
  backtrace(frames, 64);
  samples++;
}

void profiler_install(void (*handler)(int), long interval_us) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPROF, &sa, 0);
  if (interval_us <= 0) return;
  struct itimerval it = {{0, interval_us}, {0, interval_us}};
  setitimer(ITIMER_PROF, &it, 0);
}

void profiler_start(int fixed, long interval_us) {
  if (fixed) {
    void *frames[4];
    backtrace(frames, 4); /* the fix: libgcc_s is loaded here, outside any handler */
  }
  profiler_install(profiler_on_sigprof, interval_us);
}

void profiler_stop(void) {
  struct itimerval off;
  memset(&off, 0, sizeof off);
  setitimer(ITIMER_PROF, &off, 0);
}

unsigned long profiler_samples(void) { return samples; }

__attribute__((noinline)) static char *workload_make_record(size_t size, uint8_t fill) {
  char *p = malloc(size);
  if (p) memset(p, fill, size);
  return p;
}

__attribute__((noinline)) uint64_t workload_run(const uint8_t *data, size_t size, unsigned rounds) {
  static const uint8_t pattern[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4};
  if (!size) {
    data = pattern;
    size = sizeof pattern;
  }
  char *slots[32] = {0};
  uint64_t sum = 0;
  for (unsigned r = 0; r < rounds; r++) {
    for (size_t i = 0; i < size; i++) {
      size_t slot = (i * 7 + r) % 32;
      free(slots[slot]);
      slots[slot] = workload_make_record(16 + (size_t)data[i] * 8, (uint8_t)r);
      if (slots[slot]) sum += (uint8_t)slots[slot][0] + (uintptr_t)slots[slot] % 7;
    }
  }
  for (int i = 0; i < 32; i++) free(slots[i]);
  return sum;
}
