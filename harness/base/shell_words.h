// Words for a POSIX shell line: what faultline prints for a user to paste
// (replay lines) and what it hands /bin/sh itself (AFL++ instances).
#pragma once
#include <string>

namespace faultline {

// Always single-quoted: 'it'\''s'.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// As it is when the shell reads it so, else quoted: readable replay lines.
inline std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789_-./:@=+") == std::string::npos;
  return plain ? s : shell_quote(s);
}

}  // namespace faultline
