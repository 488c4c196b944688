#include "process/ptrace_injector.h"

#include "base/allocators.h"
#include "process/maps.h"
#include "process/snapshot.h"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
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
  if (breakpoints_.empty()) return;
  // A vfork child shares its parent's memory: the bytes are the parent's, and
  // stay. kcmp orders two different memories 1, 2 or 3; 0 is the same one,
  // -1 cannot tell (then they stay too).
  const auto parent = static_cast<pid_t>(std::strtol(proc_status_field(pid, "PPid").c_str(), nullptr, 10));
  if (syscall(SYS_kcmp, parent, pid, KCMP_VM, 0, 0) <= 0) return;
  for (const auto& [addr, old] : breakpoints_) write_byte(pid, addr, old, nullptr);
}

std::vector<WaitStatus> PtraceInjector::take_deferred() { return std::exchange(deferred_, {}); }

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

bool PtraceInjector::on_signal(const TracedStop& stop, RunResult& r, std::chrono::steady_clock::time_point deadline) {
  if (!active_) return false;
  // The schedule is the only source of this signal: swallow the program's own.
  if (stop.sig == signo_ && stop.si.si_code != SI_TKILL && stop.si.si_code != SI_USER) {
    ptrace(PTRACE_CONT, stop.tid, nullptr, nullptr);
    return true;
  }
  if (stop.sig != SIGTRAP || stop.si.si_code != SI_KERNEL) return false;
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, stop.tid, nullptr, &regs) != 0) return false;
  const uint64_t addr = regs.rip - 1;
  const bool at_return = interrupted_ && stop.tid == injected_tid_ && addr == return_address_;
  auto bp = breakpoints_.find(addr);
  if (bp == breakpoints_.end() && !at_return) return false;
  if (at_return && regs.rsp > entry_sp_) {
    on_interrupted_call_returned(stop.tid, regs, addr);
    return true;
  }
  const uint64_t calls = ++calls_[stop.tid];
  // Step over the breakpoint: original byte back, one instruction, int3 again.
  write_byte(stop.tid, addr, bp != breakpoints_.end() ? bp->second : 0, nullptr);
  regs.rip = addr;
  ptrace(PTRACE_SETREGS, stop.tid, nullptr, &regs);
  // Read after the original byte is back: the stack is the one at the call.
  if (interrupted_ && stop.tid == injected_tid_ && !reported_) note_reentrancy(stop, calls, r);
  if (is_scheduled_call(stop, calls, r)) inject_into_call(stop, addr, calls, regs.rsp, r, deadline);
  else step_over_breakpoint(stop.tid, addr, deadline);
  return true;
}

// The interrupted call returned: nothing left to watch, run at full speed.
void PtraceInjector::on_interrupted_call_returned(pid_t tid, user_regs_struct& regs, uint64_t addr) {
  interrupted_ = false;
  regs.rip = addr;
  ptrace(PTRACE_SETREGS, tid, nullptr, &regs);
  disarm_all(tid);
  ptrace(PTRACE_CONT, tid, nullptr, nullptr);
}

// The allocator entered again, on top of the call we interrupted.
void PtraceInjector::note_reentrancy(const TracedStop& stop, uint64_t calls, RunResult& r) {
  reported_ = true;
  const fl_event e{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_FINDING, stop.tgid, stop.tid,
                   {FL_FINDING_SIGNAL_UNSAFE_REENTRANCY, static_cast<uint64_t>(signo_), calls,
                    static_cast<uint64_t>(stop.thread_index)}};
  r.events.push_back(e);
  r.injector_findings.push_back({e, take_snapshot(stop.tgid, stop.tid, stop.thread_index, stop.si, max_frames_)});
}

bool PtraceInjector::is_scheduled_call(const TracedStop& stop, uint64_t calls, RunResult& r) {
  if (injected_ || stop.thread_index != thread_ || calls != call_) return false;
  if (signal_caught(stop.tid, signo_)) return true;
  // No handler yet: raising it would only kill the program.
  r.events.push_back(fl_event{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_POINT_MISSED, stop.tgid, stop.tid,
                              {static_cast<uint64_t>(signo_), 0, calls, 0}});
  injected_ = true;  // the point has passed
  return false;
}

void PtraceInjector::step_over_breakpoint(pid_t tid, uint64_t addr, std::chrono::steady_clock::time_point deadline) {
  if (!step(tid, deadline)) return;  // it stopped for something else, or died: the runner sees it
  // Once the point has passed with nothing left to watch, every breakpoint goes:
  // counting the rest of the program's calls would only slow it down.
  if (injected_ && !interrupted_) disarm_all(tid);
  else write_byte(tid, addr, 0xcc, nullptr);
  ptrace(PTRACE_CONT, tid, nullptr, nullptr);
}

// The scheduled call: K instructions into it, the signal, with the allocator paused right there.
void PtraceInjector::inject_into_call(const TracedStop& stop, uint64_t addr, uint64_t calls, uint64_t sp, RunResult& r,
                                      std::chrono::steady_clock::time_point deadline) {
  const pid_t tid = stop.tid;
  errno = 0;
  const auto return_address = static_cast<uint64_t>(ptrace(PTRACE_PEEKDATA, tid, reinterpret_cast<void*>(sp), nullptr));
  entry_sp_ = sp;
  bool call_ended = false;
  for (uint64_t k = 0; k < insn_ && !call_ended; k++) {
    if (!step(tid, deadline)) return;  // it stopped for something else, or died: the runner sees it
    user_regs_struct now{};
    ptrace(PTRACE_GETREGS, tid, nullptr, &now);
    call_ended = now.rip == return_address && now.rsp > entry_sp_;  // fewer instructions than insn
  }
  write_byte(tid, addr, 0xcc, nullptr);
  injected_ = true;  // the point has passed
  if (call_ended) {
    r.events.push_back(fl_event{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_POINT_MISSED, stop.tgid, tid,
                                {static_cast<uint64_t>(signo_), 0, calls, 0}});
    disarm_all(tid);
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
    return;
  }
  user_regs_struct at{};
  ptrace(PTRACE_GETREGS, tid, nullptr, &at);
  interrupted_ = true;
  injected_tid_ = tid;
  return_address_ = return_address;
  uint8_t old = 0;
  if (return_address && !breakpoints_.count(return_address) && write_byte(tid, return_address, 0xcc, &old))
    breakpoints_[return_address] = old;
  r.events.push_back(fl_event{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_SIGNAL_RAISED, stop.tgid, tid,
                              {static_cast<uint64_t>(signo_), at.rip, calls, insn_}});
  ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(signo_)));
}

}  // namespace faultline
