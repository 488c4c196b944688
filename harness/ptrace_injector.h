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

#include <cstdint>
#include <map>
#include <string>

#include "runner.h"

namespace faultline {

class PtraceInjector {
 public:
  PtraceInjector(const Schedule& s, size_t max_frames);
  bool active() const { return active_; }
  // At the program's exec: find the allocator in the executable, arm breakpoints.
  void on_exec(pid_t pid, RunResult& r);
  // A SIGTRAP or the scheduled signal stopped `tid`. Returns true when it was
  // ours and the thread has been resumed.
  bool on_signal(pid_t tgid, pid_t tid, int thread_index, int sig, const siginfo_t& si, RunResult& r);

 private:
  void disarm_all(pid_t tgid);
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
};

}  // namespace faultline
