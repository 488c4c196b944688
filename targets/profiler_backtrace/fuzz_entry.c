/* Fuzz entry: the bytes drive the workload under the (broken) profiler. */
#include "profiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int started;
  if (!started) {
    profiler_start(0, 1000);
    started = 1;
  }
  workload_run(data, size, 1);
  return 0;
}
