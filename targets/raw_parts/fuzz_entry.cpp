// Fuzz entry: one input, the broken release path.
#include "raw_parts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  raw_parts_run(data, size, false);
  return 0;
}
