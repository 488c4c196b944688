/* Fuzz entry: the first byte picks the number of jobs (1..4). */
#include "pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pool_run(size ? 1 + data[0] % 4 : 1, 5000, 0);
  return 0;
}
