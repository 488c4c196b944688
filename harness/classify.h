// The evidence rules of the crash taxonomy (DESIGN.md), one function each.
#pragma once
#include <optional>
#include <string>

#include "crash_class.h"
#include "runner.h"

namespace faultline {

// "SIGSEGV", or "signal 42" for one without a name.
std::string signal_name(int sig);

struct StackGuardHit {
  std::string region;         // "guard page below stack of thread 2"
  uint64_t stack_size = 0;    // usable stack bytes of the thread (guard excluded)
};

// SIGSEGV in or next to a thread stack's guard region, or right at the
// stack pointer with nothing mapped there.
std::optional<StackGuardHit> stack_guard_hit(const CrashSnapshot& s);

struct AllocatorAbort {
  std::string allocator;  // "glibc"
  std::string message;    // the allocator's own line
};
// An allocator's consistency-check message in the program's stderr.
std::optional<AllocatorAbort> find_allocator_abort(const std::string& stderr_text);

// Name of the allocator whose code the top frame is in, if it is allocator code.
std::optional<std::string> allocator_of_frame(const Frame& f);

// Where a fault address lies, in words, for a non-stack fault.
std::string describe_address(const CrashSnapshot& s);

struct Classification {
  CrashClass cls;
  std::string detail;
  std::string region;
  uint64_t stack_size = 0;
  std::string allocator;
};
// The class of one crash snapshot, given the program's stderr.
Classification classify_snapshot(const CrashSnapshot& s, const std::string& stderr_text);

}  // namespace faultline
