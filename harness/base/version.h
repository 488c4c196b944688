// faultline's version (generated at build time: cmake/version.cmake).
#pragma once
#include <cctype>
#include <string>

namespace faultline {
const char* version();            // "0.1.0": the project version, what reproducers and reports record
const char* version_described();  // "0.1.0 (git 9ddec2d-dirty)" when built from a checkout: --version
// What must match for a reproducer to mean the same: the major version, and
// below 1.0 the minor one too ("0.1" of "0.1.0", "2" of "2.3.1"), as semver has it.
inline std::string compatibility_version(const std::string& v) {
  const size_t major_end = v.find('.');
  if (v.substr(0, major_end) != "0" || major_end == std::string::npos) return v.substr(0, major_end);
  return v.substr(0, v.find('.', major_end + 1));
}
// "1.2.3", "0.1.0-rc1": what a version may hold (at most 64 of [0-9A-Za-z.+~-]).
inline bool is_version_text(const std::string& v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '~' || c == '-')) return false;
  return true;
}
}  // namespace faultline
