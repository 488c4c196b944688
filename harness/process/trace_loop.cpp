#include "process/trace_loop.h"

#include <poll.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/allocators.h"
#include "process/core_file.h"
#include "process/hang.h"
#include "process/maps.h"
#include "process/snapshot.h"
#include "process/unwind.h"
#include "protocol.h"

namespace faultline {

namespace {

// How long a timeout waits for the program's threads to stop for their stacks.
constexpr std::chrono::milliseconds kHangStopBound{1000};
// How long a core waits for the crashing process's other threads to stop.
constexpr std::chrono::milliseconds kCoreStopBound{1000};

bool is_crash_signal(int sig) {
  switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGTRAP: case SIGSYS:
      return true;
    default:
      return false;
  }
}

// The thread group a task belongs to (Tgid: in /proc/<tid>/status).
pid_t tgid_of(pid_t tid) {
  const std::string tgid = proc_status_field(tid, "Tgid");
  return tgid.empty() ? tid : static_cast<pid_t>(std::strtol(tgid.c_str(), nullptr, 10));
}

void resume(pid_t tid, int sig = 0) { ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(sig))); }

// The record a checkpoint carries (event_record.h): sizeof(fl_event) bytes at
// si_value in the stopped thread's memory; "" when it cannot be read (the
// decoder then sees no record, not a torn one).
std::string read_checkpoint_record(pid_t tid, const siginfo_t& si) {
  std::string record(sizeof(fl_event), '\0');
  iovec local{record.data(), record.size()}, remote{si.si_value.sival_ptr, record.size()};
  return process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(record.size()) ? record : std::string();
}

// The other threads of a crashing process, held for its core: each is sent
// SIGSTOP and given until `bound` to reach a ptrace stop. Returns those that
// stopped; `resume` gets the ones stopped by a SIGSTOP (continued without it
// after the core), `later` the wait statuses of every other stop and task,
// for the runner to handle as it would have.
std::vector<pid_t> hold_threads(pid_t tgid, const std::vector<pid_t>& tids, std::chrono::milliseconds bound,
                                std::vector<pid_t>& resume, std::vector<WaitStatus>& later) {
  std::set<pid_t> pending;
  std::vector<pid_t> held;
  for (pid_t t : tids)
    if (syscall(SYS_tgkill, tgid, t, SIGSTOP) == 0) pending.insert(t);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    for (pid_t w; (w = waitpid(-1, &st, __WALL | WNOHANG)) > 0;) {
      if (!pending.erase(w) || !WIFSTOPPED(st)) {
        later.emplace_back(w, st);
        continue;
      }
      held.push_back(w);
      if (WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0) resume.push_back(w);
      else later.emplace_back(w, st);
    }
    // Already in a stop the runner has not resumed (the ptrace injector's deferred ones): no new status comes.
    for (auto it = pending.begin(); it != pending.end();) {
      const char state = task_state(*it);
      if (state == 't') held.push_back(*it);
      it = state == 't' || state == 'Z' || state == 'X' || state == 0 ? pending.erase(it) : std::next(it);
    }
    if (!pending.empty()) usleep(500);
  }
  return held;
}

}  // namespace

TraceLoop::TraceLoop(const RunRequest& req, const Fence& fence, OutputPump& pump, TraceObserver& observer, RunResult& r)
    : req_(req), fence_(fence), pump_(pump), observer_(observer), r_(r),
      deadline_(fence.started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(req.limits.timeout_seconds))),
      pid_(req.supervise_only ? fence.init : 0) {
  r_.pid = pid_;
}

// tgid 0: not known yet, read it from /proc (only for a task not seen before).
const TraceLoop::Task& TraceLoop::learn(pid_t tid, pid_t tgid) {
  if (auto it = tasks_.find(tid); it != tasks_.end()) return it->second;
  if (tgid == 0) tgid = tgid_of(tid);
  int& next = next_index_.try_emplace(tgid, 1).first->second;
  awaiting_first_stop_.insert(tid);
  if (fence_.namespaced) host_ids_[innermost_tid(tid)] = tid;
  if (tid == tgid && ++live_processes_ > req_.limits.max_processes) {
    kill(tid, SIGKILL);  // as a fork past RLIMIT_NPROC: the process never runs
    r_.processes_refused++;
  }
  return tasks_.emplace(tid, Task{tgid, tid == tgid ? 0 : next++}).first->second;
}

// The init stops itself before it forks the program; from here on we see every process's crash signals.
void TraceLoop::start_tracing_init() {
  int st = 0;
  if (req_.supervise_only || waitpid(fence_.init, &st, __WALL) != fence_.init || !WIFSTOPPED(st)) return;
  ptrace(PTRACE_SETOPTIONS, fence_.init, nullptr,
         PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC);
  resume(fence_.init);
}

TraceEnd TraceLoop::run() {
  start_tracing_init();
  while (!main_done_) {
    auto now = std::chrono::steady_clock::now();
    if (!timed_out_ && now >= deadline_) on_deadline();
    int wait_ms = timed_out_ ? 50
                             : static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now).count());
    pollfd fds[4] = {{fence_.sigchld, POLLIN, 0}, {}, {}, {}};
    pump_.watch(fds + 1);
    poll(fds, 4, std::max(wait_ms, 0));
    signalfd_siginfo ssi;
    while (read(fence_.sigchld, &ssi, sizeof ssi) == sizeof ssi) {
    }
    pump_.pump(r_, host_ids_);
    wait_for_tasks();
  }
  r_.threads_started = pid_ && next_index_.count(pid_) ? next_index_[pid_] : 1;
  r_.first_caught = crashes_[pid_].first_caught;
  r_.fatal = crashes_[pid_].fatal;
  // Traced, with no task of the program left, the namespace holds the init
  // alone (already on its way out).
  const bool only_init = fence_.namespaced && !req_.supervise_only &&
                         std::all_of(tasks_.begin(), tasks_.end(), [&](const auto& t) { return t.first == pid_; });
  return TraceEnd{main_status_, timed_out_, program_started_, init_done_, only_init};
}

void TraceLoop::wait_for_tasks() {
  int st = 0;
  for (pid_t w; (w = waitpid(-1, &st, __WALL | WNOHANG)) > 0;) {
    handle(w, st);
    // Stops the observer collected while single-stepping: handled now, no
    // SIGCHLD will announce them again.
    for (auto deferred = observer_.take_deferred(); !deferred.empty(); deferred = observer_.take_deferred())
      for (auto [dw, dst] : deferred) handle(dw, dst);
    for (auto held_back = std::exchange(after_core_, {}); !held_back.empty(); held_back = std::exchange(after_core_, {}))
      for (auto [dw, dst] : held_back) handle(dw, dst);
  }
}

// Where every thread is stuck, taken before the kill destroys it.
void TraceLoop::on_deadline() {
  timed_out_ = true;
  if (!req_.supervise_only) {
    std::vector<TracedTask> traced;
    for (const auto& [tid, task] : tasks_) traced.push_back({tid, task.tgid, task.index});
    r_.hang = snapshot_hung_tasks(std::move(traced), kHangStopBound, [this](pid_t w, int st) { handle(w, st); });
    if (req_.core.wanted()) core_at_timeout();
  }
  end_fence(fence_.init, pid_);
}

// One wait status of any traced task: exits, ptrace events, stops, signals.
void TraceLoop::handle(pid_t w, int st) {
  if (w == fence_.init) return on_init(st);
  if (WIFEXITED(st) || WIFSIGNALED(st)) return on_task_end(w, st);
  if (!WIFSTOPPED(st)) return;
  const int sig = WSTOPSIG(st), event = st >> 16;
  const Task task = learn(w, 0);
  if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK)
    return on_new_task(w, task, event);
  if (event != 0) return on_exec(w, task);
  if (sig == SIGSTOP && awaiting_first_stop_.erase(w)) {  // auto-attached new task
    if (w == task.tgid && w != pid_) observer_.on_new_process(w);
    return resume(w);
  }
  siginfo_t si{};
  if (ptrace(PTRACE_GETSIGINFO, w, nullptr, &si) != 0) return resume(w);  // group-stop: do not let it stop
  if (sig == FL_CHECKPOINT_SIGNAL && si.si_code == SI_QUEUE) return on_checkpoint(w, task, si);
  if (observer_.on_signal(TracedStop{task.tgid, w, task.index, sig, si}, r_, deadline_)) return;
  on_signal(w, task, sig, si);
}

// The init's own stops: the fork that starts the program, and signals its namespace cannot send it.
void TraceLoop::on_init(int st) {
  if (WIFEXITED(st) || WIFSIGNALED(st)) {
    init_done_ = true;
    // Supervised, its end is the run's (the program's status is in its record); traced, the program's is.
    if (req_.supervise_only || !pid_) main_done_ = true, main_status_ = st;
    return;
  }
  if (!WIFSTOPPED(st)) return;
  const int event = st >> 16;
  if (!pid_ && (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE)) {
    unsigned long child = 0;
    ptrace(PTRACE_GETEVENTMSG, fence_.init, nullptr, &child);
    pid_ = static_cast<pid_t>(child);
    r_.pid = pid_;
    learn(pid_, pid_);
  }
  resume(fence_.init);
}

void TraceLoop::on_task_end(pid_t w, int st) {
  if (auto it = tasks_.find(w); it != tasks_.end() && it->second.tgid == w) live_processes_--;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && records_before_exec_.count(w)) exited_127_.insert(w);
  if (w != pid_) tasks_.erase(w);  // its tid may be reused; a timeout must not signal a stranger
  if (w == pid_) {
    main_done_ = true;
    main_status_ = st;
  } else if (WIFSIGNALED(st) && crashes_.count(w)) {  // a descendant process died of its crash
    auto& c = crashes_[w];
    r_.child_crashes.push_back({w, WTERMSIG(st), c.first_caught ? *c.first_caught : *c.fatal});
  }
}

void TraceLoop::on_new_task(pid_t w, const Task& task, int event) {
  unsigned long child = 0;
  ptrace(PTRACE_GETEVENTMSG, w, nullptr, &child);
  const pid_t c = static_cast<pid_t>(child);
  learn(c, event == PTRACE_EVENT_CLONE ? task.tgid : c);
  resume(w);
}

void TraceLoop::on_exec(pid_t w, const Task& task) {
  pump_.pump_events(r_, host_ids_);  // the old image's records are in the pipe by now
  records_before_exec_[task.tgid] = r_.events.size();
  execed_[task.tgid] = executable_of(w);
  if (task.tgid == pid_) observer_.on_exec(pid_, r_), program_started_ = true;
  resume(w);
}

// The injector just reported a finding, or a `delay` hold, on this thread:
// its record is in the thread's memory (si_value), so that a program that
// closed the event pipe loses nothing. Read it and the stack now, then
// swallow the signal.
void TraceLoop::on_checkpoint(pid_t w, const Task& task, const siginfo_t& si) {
  pump_.pump_events(r_, host_ids_, read_checkpoint_record(w, si));
  bool taken = false;
  for (auto* list : {&r_.injector_findings, &r_.delay_holds})
    for (auto it = list->rbegin(); it != list->rend() && !taken; ++it) {
      if (it->event.tid != w || it->snapshot) continue;
      it->snapshot = take_snapshot(task.tgid, w, task.index, si, req_.max_frames);
      taken = true;
    }
  resume(w);
}

void TraceLoop::on_signal(pid_t w, const Task& task, int sig, const siginfo_t& si) {
  // Single-steps of the malloc-signal injector are not crashes.
  const bool single_step = sig == SIGTRAP && si.si_code == TRAP_TRACE;
  if (task.tgid == pid_ && !is_crash_signal(sig)) r_.signals_received[sig] = {si.si_code, host_id(host_ids_, si.si_pid)};
  if (is_crash_signal(sig) && !single_step && !timed_out_) {
    auto& process = crashes_[task.tgid];
    const bool caught = signal_caught(w, sig);
    auto& slot = caught ? process.first_caught : process.fatal;
    if (!slot) {
      slot = take_snapshot(task.tgid, w, task.index, si, req_.max_frames);
      if (!caught && task.tgid == pid_ && req_.core.wanted() && !r_.core) write_core(task.tgid, w, si);
    }
  }
  resume(w, sig);
}

// --core, at the fatal signal of the program's own process: every thread
// held, the one that crashed first in the core.
void TraceLoop::write_core(pid_t tgid, pid_t crashed, const siginfo_t& si) {
  std::vector<std::pair<int, pid_t>> others;  // by thread index
  for (const auto& [tid, task] : tasks_)
    if (task.tgid == tgid && tid != crashed) others.emplace_back(task.index, tid);
  std::sort(others.begin(), others.end());
  std::vector<pid_t> tids;
  for (auto [index, tid] : others) tids.push_back(tid);
  std::vector<pid_t> to_resume;
  std::vector<pid_t> held = hold_threads(tgid, tids, kCoreStopBound, to_resume, after_core_);
  std::sort(held.begin(), held.end(), [&](pid_t a, pid_t b) { return tasks_[a].index < tasks_[b].index; });
  held.insert(held.begin(), crashed);
  r_.core = write_core_file(tgid, held, si, req_.core, static_cast<int>(tids.size() + 1 - held.size()));
  for (pid_t t : to_resume) resume(t);
}

// --core at a timeout: the program's threads as the hang snapshot stopped
// them, before the kill (SIGKILL is the signal the core names).
void TraceLoop::core_at_timeout() {
  std::vector<std::pair<int, pid_t>> stopped;
  int unstopped = 0;
  for (const auto& [tid, task] : tasks_)
    if (task.tgid != pid_) continue;
    else if (task_state(tid) == 't') stopped.emplace_back(task.index, tid);
    else unstopped++;
  if (stopped.empty()) return;
  std::sort(stopped.begin(), stopped.end());
  std::vector<pid_t> tids;
  for (auto [index, tid] : stopped) tids.push_back(tid);
  siginfo_t kill_info{};
  kill_info.si_signo = SIGKILL;
  kill_info.si_code = SI_USER;
  r_.core = write_core_file(pid_, tids, kill_info, req_.core, unstopped);
}

bool TraceLoop::loader_refused_static_tls() const {
  std::set<pid_t> refused = exited_127_;
  for (size_t i = 0; i < r_.events.size(); i++)
    if (r_.events[i].kind == FL_EVENT_HELLO) {
      auto before = records_before_exec_.find(r_.events[i].pid);
      if (i >= (before == records_before_exec_.end() ? 0 : before->second)) refused.erase(r_.events[i].pid);
    }
  return std::any_of(refused.begin(), refused.end(), [&](pid_t p) {
    auto exe = execed_.find(p);
    return exe != execed_.end() && links_allocator_library(exe->second);
  });
}

}  // namespace faultline
