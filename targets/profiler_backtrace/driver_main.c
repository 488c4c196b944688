/* target-profiler_backtrace [--fixed] [FILE]: FILE drives the workload's
   allocation sizes (default pattern without one). */
#include <stdio.h>
#include <string.h>

#include "profiler.h"

int main(int argc, char **argv) {
  int fixed = 0, arg = 1;
  if (arg < argc && strcmp(argv[arg], "--fixed") == 0) {
    fixed = 1;
    arg++;
  }
  static uint8_t data[1 << 16];
  size_t size = 0;
  if (arg < argc) {
    FILE *f = fopen(argv[arg], "rb");
    if (!f) {
      perror(argv[arg]);
      return 2;
    }
    size = fread(data, 1, sizeof data, f);
    fclose(f);
  }
  profiler_start(fixed, 1000);
  uint64_t sum = workload_run(data, size, 50000);
  profiler_stop();
  printf("samples=%lu checksum=%llu\n", profiler_samples(), (unsigned long long)sum);
  return 0;
}
