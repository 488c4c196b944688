#pragma once
#include <cstdint>
#include <string>

namespace faultline {

// One symbolized stack frame, innermost first.
struct Frame {
  uint64_t pc = 0;  // return address for callers, faulting pc for frame 0
  uint64_t sp = 0;  // the frame's stack pointer (for bytes-per-level estimates)
  std::string function;  // demangled; "" when unknown
  std::string file;      // source file when debug info exists
  int line = 0;
  std::string module;    // basename of the object: "libc.so.6", "target-crash_zoo"
  uint64_t module_offset = 0;
  // A stripped module's nearest exported function at or below pc,
  // "BZ2_bzWriteOpen+0x41", when function is unknown. Approximate: a static
  // function after that symbol has none of its own.
  std::string nearest_symbol;
  bool inlined = false;  // inlined into the frame after it (same pc), as addr2line -i shows
  bool in_hash = false;  // one of the meaningful frames the stack hash was taken from
};

// "0x7ffd1234": addresses and pointers in reports and evidence.
std::string hex_address(uint64_t v);

// "function (file.cpp:42)", or the module when the function is unknown.
std::string frame_label(const Frame& f);

}  // namespace faultline
