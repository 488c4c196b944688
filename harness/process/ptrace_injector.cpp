#include "process/ptrace_injector.h"

#include "base/allocators.h"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <utility>


namespace faultline {

namespace {

uint64_t load_bias(pid_t pid, const std::string& exe) {
  for (const auto& m : read_maps(pid))
    if (m.path == exe) return m.start;  // the first mapping of the file: offset 0
  return 0;
}

}  // namespace

PtraceInjector::PtraceInjector(const Schedule& s, size_t max_frames) : max_frames_(max_frames) {
  active_ = s.get(FL_KEY_MS_PTRACE).has_value() && s.get(FL_KEY_MS_INSN).has_value();
  if (!active_) return;
  signo_ = static_cast<int>(*s.get(FL_KEY_MS_SIG));
  thread_ = static_cast<int>(s.get(FL_KEY_MS_THREAD).value_or(0));
  call_ = *s.get(FL_KEY_MS_CALL);
  insn_ = *s.get(FL_KEY_MS_INSN);
}

bool PtraceInjector::write_byte(pid_t pid, uint64_t addr, uint8_t byte, uint8_t* old) {
  errno = 0;
  long word = ptrace(PTRACE_PEEKTEXT, pid, reinterpret_cast<void*>(addr), nullptr);
  if (errno) return false;
  if (old) *old = static_cast<uint8_t>(word & 0xff);
  word = (word & ~0xffL) | byte;
  return ptrace(PTRACE_POKETEXT, pid, reinterpret_cast<void*>(addr), reinterpret_cast<void*>(word)) == 0;
}

void PtraceInjector::on_exec(pid_t pid, RunResult& r) {
  if (!active_ || !breakpoints_.empty()) return;
  const std::string exe = executable_of(pid);
  if (exe.empty()) return;
  bool pie = false;
  const auto symbols = executable_allocator_symbols(exe, &pie);
  const uint64_t bias = pie ? load_bias(pid, exe) : 0;
  for (const auto& [name, addr] : symbols) {
    if (!is_allocator_entry(name)) continue;  // je_malloc & co. only mark a linked-in allocator
    uint8_t old = 0;
    if (write_byte(pid, addr + bias, 0xcc, &old)) breakpoints_[addr + bias] = old;
  }
  r.ptrace_allocator_symbols = static_cast<int>(breakpoints_.size());
}

// Memory is shared by the threads, but ptrace reaches it only through a stopped one.
void PtraceInjector::disarm_all(pid_t stopped_tid) {
  for (const auto& [addr, old] : breakpoints_) write_byte(stopped_tid, addr, old, nullptr);
  breakpoints_.clear();
}

void PtraceInjector::on_new_process(pid_t pid) {
  for (const auto& [addr, old] : breakpoints_) write_byte(pid, addr, old, nullptr);
}

std::vector<std::pair<pid_t, int>> PtraceInjector::take_deferred() { return std::exchange(deferred_, {}); }

bool PtraceInjector::step(pid_t tid, std::chrono::steady_clock::time_point deadline) {
  if (ptrace(PTRACE_SINGLESTEP, tid, nullptr, nullptr) != 0) return false;
  int st = 0;
  for (;;) {
    pid_t w = waitpid(tid, &st, __WALL | WNOHANG);
    if (w == tid) break;
    if (w < 0 || std::chrono::steady_clock::now() >= deadline) return false;  // the runner's timeout takes over
    sched_yield();
  }
  user_regs_struct regs{};
  // A trap right after one of our int3 bytes (armed at that moment) is a
  // breakpoint the step ran into, not a step.
  auto ran_into_breakpoint = [&] {
    if (!breakpoints_.count(regs.rip - 1)) return false;
    errno = 0;
    long word = ptrace(PTRACE_PEEKTEXT, tid, reinterpret_cast<void*>(regs.rip - 1), nullptr);
    return errno == 0 && (word & 0xff) == 0xcc;
  };
  if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0 &&
      ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0 && !ran_into_breakpoint())
    return true;
  deferred_.emplace_back(tid, st);  // a breakpoint, an event, another signal, or its end: not a step
  return false;
}

bool PtraceInjector::on_signal(pid_t tgid, pid_t tid, int thread_index, int sig, const siginfo_t& si, RunResult& r,
                               std::chrono::steady_clock::time_point deadline) {
  if (!active_) return false;
  // The schedule is the only source of this signal: swallow the program's own.
  if (sig == signo_ && si.si_code != SI_TKILL && si.si_code != SI_USER) {
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
    return true;
  }
  if (sig != SIGTRAP || si.si_code != SI_KERNEL) return false;
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) return false;
  const uint64_t addr = regs.rip - 1;
  const bool at_return = interrupted_ && tid == injected_tid_ && addr == return_address_;
  auto bp = breakpoints_.find(addr);
  if (bp == breakpoints_.end() && !at_return) return false;

  if (at_return && regs.rsp > entry_sp_) {
    // The interrupted call returned: nothing left to watch, run at full speed.
    interrupted_ = false;
    regs.rip = addr;
    ptrace(PTRACE_SETREGS, tid, nullptr, &regs);
    disarm_all(tid);
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
    return true;
  }
  const uint64_t calls = ++calls_[tid];
  // Step over the breakpoint: original byte back, one instruction, int3 again.
  const uint8_t original = bp != breakpoints_.end() ? bp->second : 0;
  write_byte(tid, addr, original, nullptr);
  regs.rip = addr;
  ptrace(PTRACE_SETREGS, tid, nullptr, &regs);
  // Read after the original byte is back: the stack is the one at the call.
  if (interrupted_ && tid == injected_tid_ && !reported_) {
    reported_ = true;  // the allocator entered again, on top of the call we interrupted
    fl_event e{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_FINDING, tgid, tid,
               {FL_FINDING_SIGNAL_UNSAFE_REENTRANCY, static_cast<uint64_t>(signo_), calls,
                static_cast<uint64_t>(thread_index)}};
    r.events.push_back(e);
    r.injector_findings.push_back({e, take_snapshot(tgid, tid, thread_index, si, max_frames_)});
  }
  bool scheduled = !injected_ && thread_index == thread_ && calls == call_;
  if (scheduled && !signal_caught(tid, signo_)) {  // no handler yet: raising it would only kill the program
    r.events.push_back(fl_event{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_POINT_MISSED, tgid, tid,
                                {static_cast<uint64_t>(signo_), 0, calls, 0}});
    scheduled = false;
    injected_ = true;  // the point has passed
  }
  const uint64_t steps = scheduled ? insn_ : 1;
  uint64_t return_address = 0;
  if (scheduled) {
    errno = 0;
    return_address = static_cast<uint64_t>(ptrace(PTRACE_PEEKDATA, tid, reinterpret_cast<void*>(regs.rsp), nullptr));
    entry_sp_ = regs.rsp;
  }
  bool call_ended = false;
  for (uint64_t k = 0; k < steps && !call_ended; k++) {
    if (!step(tid, deadline)) return true;  // it stopped for something else, or died: the runner sees it
    if (scheduled) {
      user_regs_struct now{};
      ptrace(PTRACE_GETREGS, tid, nullptr, &now);
      call_ended = now.rip == return_address && now.rsp > entry_sp_;  // fewer instructions than insn
    }
  }
  if (call_ended) {
    r.events.push_back(fl_event{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_POINT_MISSED, tgid, tid,
                                {static_cast<uint64_t>(signo_), 0, calls, 0}});
    injected_ = true;  // the point has passed
    write_byte(tid, addr, 0xcc, nullptr);
    disarm_all(tid);
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
    return true;
  }
  if (!scheduled) {
    // Once the point has passed with nothing left to watch, every breakpoint goes:
    // counting the rest of the program's calls would only slow it down.
    if (injected_ && !interrupted_) disarm_all(tid);
    else write_byte(tid, addr, 0xcc, nullptr);
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
    return true;
  }
  write_byte(tid, addr, 0xcc, nullptr);
  user_regs_struct at{};
  ptrace(PTRACE_GETREGS, tid, nullptr, &at);
  injected_ = interrupted_ = true;
  injected_tid_ = tid;
  return_address_ = return_address;
  uint8_t old = 0;
  if (return_address && !breakpoints_.count(return_address) && write_byte(tid, return_address, 0xcc, &old))
    breakpoints_[return_address] = old;
  r.events.push_back(fl_event{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_SIGNAL_RAISED, tgid, tid,
                              {static_cast<uint64_t>(signo_), at.rip, calls, insn_}});
  // Delivered now, with the allocator paused right here.
  ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(signo_)));
  return true;
}

}  // namespace faultline
