/* A program linked with gperftools' CPU profiler (libprofiler): with
   CPUPROFILE set, the library's constructor installs its SIGPROF handler and
   arms the timer before faultline's injector starts. */
#include <stdlib.h>
#include <string.h>

int main(void) {
  volatile unsigned long sum = 0;
  for (int i = 0; i < 20000; i++) {
    char *p = malloc(32 + (size_t)(i % 200));
    memset(p, i, 16);
    sum += (unsigned char)p[3];
    free(p);
  }
  return (int)(sum & 0);
}
