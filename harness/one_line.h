// Text from a file or a program (a path, a manifest value, a comm, a
// reproducer's field) as it goes into a one-line message on a terminal:
// control characters become '?'.
#pragma once
#include <string>

namespace faultline {

inline std::string one_line(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

}  // namespace faultline
