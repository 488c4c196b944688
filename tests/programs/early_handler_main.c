/* Allocates in a loop while the library's profiler runs. */
#include <stdlib.h>
#include <string.h>

extern volatile unsigned long early_samples;

int main(void) {
  volatile unsigned long sum = 0;
  for (int i = 0; i < 200; i++) {
    char *p = malloc(32 + (size_t)(i % 64));
    memset(p, i, 16);
    sum += (unsigned char)p[3];
    free(p);
  }
  return (int)(sum & 0) + (int)(early_samples & 0);
}
