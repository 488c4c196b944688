// Stack unwinding and symbolization of a thread that the runner holds in a
// ptrace stop, with elfutils libdw (CFI from .eh_frame/.debug_frame).
#pragma once
#include <sys/types.h>

#include <vector>

#include "frame.h"

namespace faultline {

struct Unwound {
  std::vector<Frame> frames;
  bool truncated = false;  // hit max_frames (deep recursion)
};

// `tid` must be ptrace-stopped by the calling process; `pid` is its thread group.
Unwound unwind_stopped_thread(pid_t pid, pid_t tid, size_t max_frames);

}  // namespace faultline
