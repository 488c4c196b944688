/* Allocates in a loop, ALLOC_LOOP_ITERATIONS times, while a library it is
   linked with runs a profiler: test-early-handler (a library whose
   constructor installs its handler and timer past sigaction) and
   test-profiled-loop (gperftools' libprofiler, with CPUPROFILE set). */
#include <stdlib.h>
#include <string.h>

int main(void) {
  volatile unsigned long sum = 0;
  for (int i = 0; i < ALLOC_LOOP_ITERATIONS; i++) {
    char *p = malloc(32 + (size_t)(i % 200));
    memset(p, i, 16);
    sum += (unsigned char)p[3];
    free(p);
  }
  return (int)(sum & 0);
}
