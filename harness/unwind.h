// Stack unwinding and symbolization of threads that the runner holds in a
// ptrace stop, with elfutils libdw (CFI from .eh_frame/.debug_frame).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame.h"

typedef struct Dwfl Dwfl;

namespace faultline {

struct Unwound {
  std::vector<Frame> frames;
  bool truncated = false;  // hit max_frames (deep recursion)
};

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
  Unwound unwind(pid_t tid, size_t max_frames);
  std::optional<DataSymbol> data_symbol(uint64_t address);

 private:
  std::unique_ptr<Dwfl, void (*)(Dwfl*)> dwfl_;
  bool attached_ = false;
};

// `tid` must be ptrace-stopped by the calling process; `pid` is its thread group.
Unwound unwind_stopped_thread(pid_t pid, pid_t tid, size_t max_frames);

}  // namespace faultline
