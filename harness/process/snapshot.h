// What the tracer reads of a thread it holds in a ptrace stop.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <cstddef>

#include "process/run_result.h"

namespace faultline {

// Whether the program has a handler for sig (SigCgt of /proc/<tid>/status).
bool signal_caught(pid_t tid, int sig);

// What the tracer reads of a thread it holds in a ptrace stop.
CrashSnapshot take_snapshot(pid_t pid, pid_t tid, int thread_index, const siginfo_t& si, size_t max_frames);

}  // namespace faultline
