// faultline's version (generated at build time: cmake/version.cmake).
#pragma once
#include <string>

namespace faultline {
const char* version();            // "0.1.0": the project version, what reproducers and reports record
const char* version_described();  // "0.1.0 (git 9ddec2d-dirty)" when built from a checkout: --version
// "0" of "0.1.0": reproducers from another major version may not mean the same.
inline std::string major_version(const std::string& v) { return v.substr(0, v.find('.')); }
}  // namespace faultline
