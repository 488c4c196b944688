// The evidence rules of the crash taxonomy (DESIGN.md), one function each.
#pragma once
#include <optional>
#include <string>

#include "triage/crash_class.h"
#include "process/runner.h"

namespace faultline {

// "SIGSEGV", or "signal 42" for one without a name.
std::string signal_name(int sig);

// "the main thread" for index 0, else "thread N".
std::string thread_phrase(int index);
// The name a program gave a thread other than its main one (pthread_setname_np,
// prctl), "" when it kept its process's name.
std::string given_thread_name(const CrashSnapshot& s);

// The stack that held the stack pointer. Which kind it is decides the
// diagnosis: a 1 MiB stacker segment is not the 8 MiB thread stack it runs on.
enum class StackKind {
  Main,       // the process's initial stack, [stack]
  Thread,     // a pthread stack: the thread's descriptor is at its top
  Altstack,   // the sigaltstack the signal frame records
  Segment,    // any other guarded anonymous mapping: stacker/psm, makecontext, coroutine and fiber stacks
};
// "main", "pthread", "sigaltstack", "segment": the report's stack.kind.
const char* to_string(StackKind kind);

struct StackGuardHit {
  std::string region;         // "guard page below the pthread stack of thread 2 \"parser\""
  uint64_t stack_size = 0;    // usable bytes of that stack (guard excluded)
  StackKind kind = StackKind::Main;
  uint64_t low = 0, high = 0;  // its usable bounds, [low, high)
  std::string base_function;  // a segment: the function its outermost frame is in (what it was started with)
};

// SIGSEGV in or next to the guard of the stack that holds the stack pointer,
// or right at the stack pointer with nothing mapped there.
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
  std::optional<StackGuardHit> stack;  // stack exhaustion: the stack that ran out
};
// The class of one crash snapshot, given the program's stderr.
Classification classify_snapshot(const CrashSnapshot& s, const std::string& stderr_text);

}  // namespace faultline
