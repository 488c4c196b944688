// How an injector that works from outside the program (ptrace_injector)
// plugs into the trace loop: the loop tells it of execs, new processes and
// signal stops, and it owns none of the loop's state. One small interface,
// so the runner and the injector do not call each other.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <utility>
#include <vector>

#include "process/run_result.h"

namespace faultline {

// A traced thread in a signal stop, as the trace loop knows it.
struct TracedStop {
  pid_t tgid = 0, tid = 0;
  int thread_index = 0;  // 0 = main thread, then creation order
  int sig = 0;
  siginfo_t si{};
};

// A wait status the observer collected that was not its own (an event, a
// signal, an exit): the loop handles it as if it had just waited for it.
using WaitStatus = std::pair<pid_t, int>;

class TraceObserver {
 public:
  virtual ~TraceObserver() = default;
  // The program's own process exec'd (it is stopped at the exec event).
  virtual void on_exec(pid_t pid, RunResult& r) = 0;
  // A process forked by the program, at its first stop (it shares nothing
  // with its parent but a copy of its memory).
  virtual void on_new_process(pid_t pid) = 0;
  // True when the stop was the observer's: it has resumed the thread, or
  // left its next status in take_deferred().
  virtual bool on_signal(const TracedStop& stop, RunResult& r, std::chrono::steady_clock::time_point deadline) = 0;
  virtual std::vector<WaitStatus> take_deferred() = 0;
};

}  // namespace faultline
