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
#include <sys/user.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/schedule.hpp"
#include "process/run_result.h"
#include "process/trace_observer.h"

namespace faultline {

class PtraceInjector final : public TraceObserver {
 public:
  PtraceInjector(const Schedule& s, size_t max_frames);
  bool active() const { return active_; }
  // At the program's exec: find the allocator in the executable, arm breakpoints.
  void on_exec(pid_t pid, RunResult& r) override;
  // Fork copied our int3 bytes into it: they go, or its own calls would trap.
  void on_new_process(pid_t pid) override;
  // A SIGTRAP at one of our breakpoints, or the scheduled signal sent by the program itself.
  bool on_signal(const TracedStop& stop, RunResult& r, std::chrono::steady_clock::time_point deadline) override;
  std::vector<WaitStatus> take_deferred() override;

 private:
  void disarm_all(pid_t stopped_tid);
  // PTRACE_SINGLESTEP and wait for it; false if something else happened (deferred) or time ran out.
  bool step(pid_t tid, std::chrono::steady_clock::time_point deadline);
  bool write_byte(pid_t pid, uint64_t addr, uint8_t byte, uint8_t* old);
  // The steps of one breakpoint stop: the scheduled call's own, or any other.
  void note_reentrancy(const TracedStop& stop, uint64_t calls, RunResult& r);
  bool is_scheduled_call(const TracedStop& stop, uint64_t calls, RunResult& r);
  void step_over_breakpoint(pid_t tid, uint64_t addr, std::chrono::steady_clock::time_point deadline);
  void inject_into_call(const TracedStop& stop, uint64_t addr, uint64_t calls, uint64_t sp, RunResult& r,
                        std::chrono::steady_clock::time_point deadline);
  void on_interrupted_call_returned(pid_t tid, user_regs_struct& regs, uint64_t addr);

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
  std::vector<WaitStatus> deferred_;
};

}  // namespace faultline
