// What a program that ran out of time was doing: before the kill, the
// tracer stops every traced thread and takes its stack and the syscall it
// waits in, so triage can tell a deadlock from a slow loop.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <vector>

#include "process/run_result.h"

namespace faultline {

struct TracedTask {
  pid_t tid = 0, tgid = 0;
  int thread_index = 0;
};

// `tasks` are traced by the calling process and may be running, stopped or
// gone. Each is sent SIGSTOP and given until `bound` to reach a ptrace stop;
// wait statuses other than stops (exits) go to on_exit, as the runner would
// have seen them. Takes at most kMaxHangThreads stacks.
HangSnapshot snapshot_hung_tasks(std::vector<TracedTask> tasks, std::chrono::milliseconds bound,
                                 const std::function<void(pid_t, int)>& on_exit);

}  // namespace faultline
