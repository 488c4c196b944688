// Fuzz entry: the input names the crash, as for the driver. A fixture: under
// a fuzzer every seed but "clean" crashes at once, which is what the tests
// of `faultline fuzz` need (known crashes, found on the first executions).
#include "crash_zoo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crash_zoo_run(data, size);
  return 0;
}
