// Stack unwinding and symbolization of threads that the runner holds in a
// ptrace stop, with elfutils libdw (CFI from .eh_frame/.debug_frame).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process/frame.h"

typedef struct Dwfl Dwfl;

namespace faultline {

struct Unwound {
  std::vector<Frame> frames;
  bool truncated = false;  // hit max_frames (deep recursion)
};

// The frames from the innermost outward that stay on one stack: stack
// pointers rising inside [low, high), the mapping the crash happened on. Its
// top bounds a stack segment whose mapping the kernel merged with the one
// above it, and its outermost frame says what the stack was started with.
struct StackRun {
  uint64_t low = 0, high = 0;  // in: the bounds to follow within
  uint64_t top_sp = 0;         // out: the highest stack pointer of the run
  size_t frames = 0;           // out: frames in the run
  // out: the walk saw where the run ends: a frame on another stack (the
  // switch to this one) or the thread's outermost frame; not the walk's cap.
  bool complete = false;
  std::string base_function;   // out: the function of the run's outermost frame, when complete
};
// How far a run is followed past max_frames (stack pointers only, no names):
// a 64 MiB segment of 256-byte frames.
constexpr size_t kMaxRunFrames = 1u << 18;

// What a data address (a lock, a global) is in the process's objects.
struct DataSymbol {
  std::string module;   // "libc.so.6"
  std::string section;  // ".data"
  std::string symbol;   // "main_arena" ("" when no symbol covers it)
  uint64_t offset = 0;  // from the symbol's start (or the module's when there is none)
};

// One libdw session on one process, whose threads are ptrace-stopped by the
// calling process: reading the modules is the slow part, so a hang's
// snapshot unwinds every thread of a process with one session.
class ProcessUnwinder {
 public:
  explicit ProcessUnwinder(pid_t pid);
  ~ProcessUnwinder();
  bool ok() const { return attached_; }
  // With a run to follow, the walk goes on past max_frames (unnamed) until the run ends.
  Unwound unwind(pid_t tid, size_t max_frames, StackRun* run = nullptr);
  std::optional<DataSymbol> data_symbol(uint64_t address);

 private:
  std::unique_ptr<Dwfl, void (*)(Dwfl*)> dwfl_;
  bool attached_ = false;
};

// `tid` must be ptrace-stopped by the calling process; `pid` is its thread group.
Unwound unwind_stopped_thread(pid_t pid, pid_t tid, size_t max_frames, StackRun* run = nullptr);

}  // namespace faultline
