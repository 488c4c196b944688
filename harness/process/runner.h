// Runs any program once in a fenced child: own process group, rlimits,
// a timeout that kills every descendant, capped output, the injector
// preloaded, and a ptrace stop at the first crash signal so triage can read
// registers, maps and stack before the process dies. ASLR is off in the
// child, so runs repeat exactly. The program's threads
// and the processes it forks are traced too (so a program run under
// faultline cannot itself use ptrace).
//
// While run_program() runs it owns every child of the calling process (it
// reaps with waitpid(-1)) and blocks SIGCHLD in the calling thread.
#pragma once
#include <string>

#include "base/result.h"
#include "process/run_request.h"
#include "process/run_result.h"

namespace faultline {

// Fails only when the program cannot be started (not found, not executable,
// bad stdin file); every other outcome is a RunResult.
Result<RunResult> run_program(const RunRequest& req);

// Where libfaultline-inject.so lives relative to the running faultline binary.
std::string default_inject_library();

}  // namespace faultline
