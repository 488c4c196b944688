/* A malloc-heavy workload for the injector overhead benchmark: prints the
   nanoseconds per malloc/free pair measured inside the process. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  const long pairs = argc > 1 ? atol(argv[1]) : 20000000;
  void *slots[64] = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long sum = 0;
  for (long i = 0; i < pairs; i++) {
    const int s = (int)(i * 7 % 64);
    free(slots[s]);
    slots[s] = malloc(16 + (size_t)(i % 13) * 24);
    sum += (unsigned long)slots[s] & 0xff;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (int s = 0; s < 64; s++) free(slots[s]);
  const double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)pairs;
  printf("%.2f ns per malloc+free (checksum %lu)\n", ns, sum);
  return 0;
}
