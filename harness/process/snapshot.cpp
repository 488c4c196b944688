#include "process/snapshot.h"

#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/user.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "process/maps.h"
#include "process/unwind.h"

namespace faultline {

// The signal's disposition in the tracee: SigCgt is a hex mask, bit sig-1.
bool signal_caught(pid_t tid, int sig) {
  const uint64_t mask = std::strtoull(proc_status_field(tid, "SigCgt").c_str(), nullptr, 16);
  return (mask >> (sig - 1)) & 1u;
}

namespace {

constexpr uint64_t kPage = 4096;

// The writable mapping a stack pointer is on, or just above it when the
// stack pointer has already moved into the guard page or gap below.
const MapEntry* stack_mapping_of(const std::vector<MapEntry>& maps, uint64_t sp) {
  const MapEntry* m = mapping_containing(maps, sp);
  if (m && m->writable()) return m;
  const MapEntry* above = mapping_containing(maps, (sp | (kPage - 1)) + 1);
  return above && above->writable() ? above : nullptr;
}

// A handler's frame sits on the stack the kernel switched to, and its
// ucontext records the thread's sigaltstack (uc_stack: ss_sp at offset 16,
// ss_size at 32, from the trampoline's stack pointer, x86_64).
void read_altstack_of_signal_frame(pid_t tid, CrashSnapshot& s) {
  auto trampoline = std::find_if(s.frames.begin(), s.frames.end(), [](const Frame& f) { return f.function == "__restore_rt"; });
  if (trampoline == s.frames.end() || !trampoline->sp) return;
  uint64_t uc_stack[3] = {0, 0, 0};  // ss_sp, ss_flags (int, padded), ss_size
  iovec local{uc_stack, sizeof uc_stack}, remote{reinterpret_cast<void*>(trampoline->sp + 16), sizeof uc_stack};
  if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof uc_stack)) return;
  if (!uc_stack[0] || !uc_stack[2] || uc_stack[0] + uc_stack[2] < uc_stack[0]) return;  // none set, or nonsense
  s.altstack_low = uc_stack[0];
  s.altstack_high = uc_stack[0] + uc_stack[2];
}

}  // namespace

CrashSnapshot take_snapshot(pid_t pid, pid_t tid, int thread_index, const siginfo_t& si, size_t max_frames) {
  CrashSnapshot s;
  s.tid = tid;
  s.thread_index = thread_index;
  s.signo = si.si_signo;
  s.si_code = si.si_code;
  s.fault_address = reinterpret_cast<uint64_t>(si.si_addr);
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0) {
    s.pc = regs.rip;
    s.sp = regs.rsp;
    s.fs_base = regs.fs_base;
  }
  s.handler_installed = signal_caught(tid, si.si_signo);
  s.pid = pid;
  s.program = process_name(pid);
  rlimit rl{};
  if (prlimit(pid, RLIMIT_STACK, nullptr, &rl) == 0) s.stack_rlimit = rl.rlim_cur;
  s.maps = read_maps(pid);
  s.thread_name = read_proc_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/comm", 64);
  if (!s.thread_name.empty() && s.thread_name.back() == '\n') s.thread_name.pop_back();
  StackRun* run = nullptr;
  if (const MapEntry* m = stack_mapping_of(s.maps, s.sp); m && m->path != "[stack]" && !m->contains(s.fs_base)) {
    // Neither the main stack nor this thread's own: follow the frames to where it starts.
    s.stack_run.low = m->start - kPage;  // the guard page the stack pointer may already be in
    s.stack_run.high = m->end;
    run = &s.stack_run;
  }
  Unwound u = unwind_stopped_thread(pid, tid, max_frames, run);
  s.frames = std::move(u.frames);
  s.frames_truncated = u.truncated;
  read_altstack_of_signal_frame(tid, s);
  return s;
}

}  // namespace faultline
