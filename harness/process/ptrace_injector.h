// malloc-signal from outside the process, for programs the injector cannot
// be preloaded into (static binaries, a statically linked allocator): int3
// breakpoints on the executable's own allocator symbols count the calls; on
// the scheduled one the tracer single-steps K instructions with
// PTRACE_SINGLESTEP and delivers the signal there. An allocator call on that
// thread before the interrupted one returns is a signal-unsafe reentrancy.
// Schedule: `malloc-signal sig=S thread=T call=N insn=K ptrace`.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "process/runner.h"

namespace faultline {

class PtraceInjector {
 public:
  PtraceInjector(const Schedule& s, size_t max_frames);
  bool active() const { return active_; }
  // At the program's exec: find the allocator in the executable, arm breakpoints.
  void on_exec(pid_t pid, RunResult& r);
  // A SIGTRAP or the scheduled signal stopped `tid`. Returns true when it was
  // ours (the thread has been resumed, or its next stop is in take_deferred()).
  bool on_signal(pid_t tgid, pid_t tid, int thread_index, int sig, const siginfo_t& si, RunResult& r,
                 std::chrono::steady_clock::time_point deadline);
  // A forked process, at its first stop: fork copied our int3 bytes into it.
  void on_new_process(pid_t pid);
  // Wait statuses collected while single-stepping that were not steps (an
  // event, a signal, an exit): the runner handles them as if just waited for.
  std::vector<std::pair<pid_t, int>> take_deferred();

 private:
  void disarm_all(pid_t stopped_tid);
  // PTRACE_SINGLESTEP and wait for it; false if something else happened (deferred) or time ran out.
  bool step(pid_t tid, std::chrono::steady_clock::time_point deadline);
  bool write_byte(pid_t pid, uint64_t addr, uint8_t byte, uint8_t* old);

  bool active_ = false;
  int signo_ = 0, thread_ = 0;
  uint64_t call_ = 0, insn_ = 0;
  size_t max_frames_;
  std::map<uint64_t, uint8_t> breakpoints_;  // address -> original byte
  std::map<pid_t, uint64_t> calls_;          // allocator calls per thread
  // The interrupted call, from injection until it returns.
  pid_t injected_tid_ = 0;
  uint64_t return_address_ = 0, entry_sp_ = 0;
  bool interrupted_ = false, injected_ = false, reported_ = false;
  std::vector<std::pair<pid_t, int>> deferred_;
};

}  // namespace faultline
