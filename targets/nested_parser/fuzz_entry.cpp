// libFuzzer / AFL++ entry point for nested_parser. Parses on a worker thread
// created with default attributes, as the standalone driver does: its stack
// is the process default (RLIMIT_STACK, 8 MiB by default) or what faultline's
// pthread_create interposition gives it (`stack threads=`, also when the
// schedule is baked into the fuzzer: fuzz-nested_parser_faultline_small-stacks).
// On the engine's own thread a thread stack schedule would change nothing,
// and `stack main=` cannot be baked in (RLIMIT_STACK acts at exec). A deep
// enough input overflows the stack, which ASan reports as stack-overflow —
// the bug this target is for.
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nested_parser.h"

namespace {

void* parse_worker(void* arg) {
  nested::parse_source(*static_cast<const std::string_view*>(arg));
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view source(reinterpret_cast<const char*>(data), size);
  pthread_t worker;
  // NULL attributes on purpose: the default stack is the one that overflows.
  if (pthread_create(&worker, nullptr, parse_worker, &source) != 0) std::abort();
  pthread_join(worker, nullptr);
  return 0;
}
