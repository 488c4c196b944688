#include "process/frame.h"

#include <cstdio>

namespace faultline {

std::string hex_address(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string frame_label(const Frame& f) {
  std::string s = !f.function.empty()         ? f.function
                  : !f.nearest_symbol.empty() ? f.nearest_symbol
                                              : f.module + "+" + hex_address(f.module_offset);
  if (!f.file.empty()) s += " (" + f.file.substr(f.file.rfind('/') + 1) + ":" + std::to_string(f.line) + ")";
  return s;
}

}  // namespace faultline
