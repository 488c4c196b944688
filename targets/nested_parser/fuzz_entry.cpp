// libFuzzer / AFL++ entry point for nested_parser. Parses in the calling
// thread: under the fuzzer a deep enough input overflows the stack, which
// ASan reports as stack-overflow — the bug this target is for. Built as
// fuzz-nested_parser by the `fuzz` and `afl` presets.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nested_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nested::parse_source(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
