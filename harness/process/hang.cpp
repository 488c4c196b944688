#include "process/hang.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <tuple>

namespace faultline {

namespace {

// Sends SIGSTOP to every task and waits until each is in a ptrace stop, is
// gone, or `bound` passes. A task the runner already holds stopped (an
// earlier stop not yet resumed) shows state 't' without a new wait status.
std::set<pid_t> stop_all(const std::vector<TracedTask>& tasks, std::chrono::milliseconds bound,
                         const std::function<void(pid_t, int)>& on_exit) {
  std::set<pid_t> pending, stopped;
  for (const auto& t : tasks)
    if (syscall(SYS_tgkill, t.tgid, t.tid, SIGSTOP) == 0) pending.insert(t.tid);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    for (pid_t w; (w = waitpid(-1, &st, __WALL | WNOHANG)) > 0;) {
      if (WIFSTOPPED(st)) stopped.insert(w);
      else on_exit(w, st);
      pending.erase(w);
    }
    for (auto it = pending.begin(); it != pending.end();) {
      const char state = task_state(*it);
      if (state == 't') stopped.insert(*it);
      it = state == 't' || state == 'Z' || state == 'X' || state == 0 ? pending.erase(it) : std::next(it);
    }
    if (!pending.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return stopped;
}

ThreadStack thread_stack(const TracedTask& t, ProcessUnwinder& unwinder, const std::vector<MapEntry>& maps) {
  ThreadStack s;
  s.pid = t.tgid;
  s.tid = t.tid;
  s.own_tid = innermost_tid(t.tid);
  s.thread_index = t.thread_index;
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, t.tid, nullptr, &regs) == 0) {
    s.syscall = static_cast<long>(regs.orig_rax);
    if (s.syscall == kSyscallFutex) {
      s.futex_address = regs.rdi;
      s.futex_symbol = unwinder.data_symbol(regs.rdi);
      s.futex_mapping = describe_mapping(maps, regs.rdi);
      errno = 0;
      const long word = ptrace(PTRACE_PEEKDATA, t.tid, reinterpret_cast<void*>(regs.rdi + 8), nullptr);
      if (errno == 0) s.word_after_futex = static_cast<uint32_t>(word);
    }
  }
  Unwound u = unwinder.unwind(t.tid, kMaxHangFrames);
  s.frames = std::move(u.frames);
  s.frames_truncated = u.truncated;
  return s;
}

}  // namespace

HangSnapshot snapshot_hung_tasks(std::vector<TracedTask> tasks, std::chrono::milliseconds bound,
                                 const std::function<void(pid_t, int)>& on_exit) {
  const auto t0 = std::chrono::steady_clock::now();
  HangSnapshot h;
  std::sort(tasks.begin(), tasks.end(), [](const TracedTask& a, const TracedTask& b) {
    return std::tie(a.tgid, a.thread_index) < std::tie(b.tgid, b.thread_index);
  });
  if (tasks.size() > kMaxHangThreads) {
    h.threads_left_out = static_cast<int>(tasks.size() - kMaxHangThreads);
    tasks.resize(kMaxHangThreads);
  }
  const std::set<pid_t> stopped = stop_all(tasks, bound, on_exit);
  // One libdw session and one maps read per process.
  std::map<pid_t, std::vector<TracedTask>> by_process;
  for (const auto& t : tasks) {
    if (stopped.count(t.tid)) {
      by_process[t.tgid].push_back(t);
      continue;
    }
    const char state = task_state(t.tid);
    h.threads_unstopped += state != 0 && state != 'Z' && state != 'X';
  }
  for (const auto& [tgid, threads] : by_process) {
    ProcessUnwinder unwinder(tgid);
    const std::vector<MapEntry> maps = read_maps(tgid);
    const std::string program = process_name(tgid);
    for (const auto& t : threads) {
      h.threads.push_back(thread_stack(t, unwinder, maps));
      h.threads.back().program = program;
    }
  }
  h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return h;
}

}  // namespace faultline
