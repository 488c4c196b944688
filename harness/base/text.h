// Text for messages and reports: one line of it, the last line of a
// program's output, a size as a person writes it.
#pragma once
#include <cstdint>
#include <string>

namespace faultline {

// Text from a file or a program (a path, a manifest value, a comm, a
// reproducer's field) as it goes into a one-line message on a terminal:
// control characters become '?'.
inline std::string one_line(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

// The last non-empty line of a program's output (stderr_tail), at most 200
// characters of it: how a run that did not crash explained itself.
std::string last_line(const std::string& text);

// 1048576 -> "1M", 65536 -> "64K", 1000 -> "1000".
std::string human_size(uint64_t bytes);

}  // namespace faultline
