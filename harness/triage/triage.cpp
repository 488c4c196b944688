#include "triage/triage.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "triage/classify.h"
#include "triage/dedup.h"
#include "protocol.h"
#include "unsafe_calls.h"
#include "triage/deadlock.h"
#include "base/text.h"

namespace faultline {

namespace {
constexpr size_t kReportedStderrBytes = 4096;

// A handler's part of a stack and the interrupted code's, split at the signal trampoline.
void split_at_signal_frame(Finding& f) {
  const auto t = signal_frame(f.frames);
  if (!t) return;
  f.handler_stack.assign(f.frames.begin(), f.frames.begin() + static_cast<long>(*t));
  f.interrupted_stack.assign(f.frames.begin() + static_cast<long>(*t) + 1, f.frames.end());
}

// The program's handler: the outermost frame of the handler stack that is not
// the runtime's or ours (below it is our wrapper, then the signal trampoline).
std::string handler_function(const std::vector<Frame>& handler_stack) {
  for (auto it = handler_stack.rbegin(); it != handler_stack.rend(); ++it)
    if (!is_runtime_frame(*it) && !it->function.empty()) return it->function;
  return "";
}

// "syslog() called from grace_alarm_handler, a SIGALRM handler that interrupted syslog()".
std::string unsafe_call_detail(uint64_t d, const std::string& handler) {
  const int id = FL_UNSAFE_DETAIL_ID(d), family = fl_unsafe_call_family(id), interrupted = FL_UNSAFE_DETAIL_INTERRUPTED(d);
  const char* name = fl_unsafe_call_name(family);
  std::string out = std::string(name ? name : "?") + "() called from " + (handler.empty() ? "" : handler + ", ") + "a " +
                    signal_name(FL_UNSAFE_DETAIL_SIG(d)) + " handler";
  if (interrupted > 0 && fl_unsafe_call_name(interrupted - 1))
    out += std::string(" that interrupted ") + fl_unsafe_call_name(interrupted - 1) + "()";
  if (family != id && fl_unsafe_call_name(id)) out += std::string(" (the binary calls ") + fl_unsafe_call_name(id) + ")";
  return out + "; not async-signal-safe";
}

// "main", "child <pid> (<comm>)", or "child <pid>" when its name is not known.
std::string process_label(pid_t pid, const std::string& program, pid_t main_pid) {
  if (pid == main_pid) return "main";
  return "child " + std::to_string(pid) + (program.empty() ? "" : " (" + program + ")");
}

std::string heap_size_mismatch_detail(uint64_t d) {
  const std::string usable = std::to_string(FL_MISMATCH_USABLE(d));
  if (FL_MISMATCH_BAD_ALIGNMENT(d)) return "aligned delete of a block that is not aligned as it says (usable " + usable + " bytes)";
  return "sized delete or free of " + std::to_string(FL_MISMATCH_GIVEN(d)) + " bytes on a block of " + usable + " usable bytes";
}

// The class and the words of an injector finding. False for a kind this
// harness does not know (an injector newer than it): no class is claimed.
// A signal-unsafe call's words name the handler, so they wait for its stack.
bool classify_injector_finding(const fl_event& e, Finding& out) {
  const std::string at_call = " (allocator call " + std::to_string(e.arg[2]) + " of thread " + std::to_string(out.thread) + ")";
  switch (e.arg[0]) {
    case FL_FINDING_SIGNAL_UNSAFE_REENTRANCY:
      out.cls = CrashClass::SignalUnsafeReentrancy;
      out.detail = "allocator entered from a " + signal_name(static_cast<int>(e.arg[1])) + " handler that interrupted it" + at_call;
      return true;
    case FL_FINDING_DUPLICATE_ALLOCATION:
      out.cls = CrashClass::DuplicateAllocation;
      out.detail = "allocator returned " + hex_address(e.arg[1]) + ", which is still live" + at_call;
      return true;
    case FL_FINDING_HEAP_SIZE_MISMATCH:
      out.cls = CrashClass::HeapSizeMismatch;
      out.detail = heap_size_mismatch_detail(e.arg[1]);
      return true;
    case FL_FINDING_DOUBLE_FREE: {
      out.cls = CrashClass::DoubleFree;
      const int first_by = FL_DOUBLE_FREE_FIRST_BY(e.arg[1]);
      const std::string by = first_by == 0 ? "" : " by " + thread_phrase(first_by - 1);
      out.detail = "free of " + hex_address(FL_DOUBLE_FREE_POINTER(e.arg[1])) + ", already freed" + by +
                   " and still in quarantine (then both frees went to the allocator)";
      return true;
    }
    case FL_FINDING_USE_AFTER_FREE:
      out.cls = CrashClass::UseAfterFree;
      out.detail = "block " + hex_address(e.arg[1]) + " was written after it was freed (its poison changed in quarantine)";
      return true;
    case FL_FINDING_SIGNAL_UNSAFE_CALL: out.cls = CrashClass::SignalUnsafeCall; return true;
    case FL_FINDING_LAZY_BINDING:
      out.cls = CrashClass::LazyBindingInSignalHandler;
      out.detail = e.arg[1] == 0   ? "dlopen() called from a signal handler"
                   : e.arg[1] == 1 ? "the dynamic linker loaded a library while a signal handler ran"
                                   : "the dynamic linker resolved a symbol while a signal handler ran";
      return true;
  }
  return false;
}

// A sentinel's finding with the thread's stack at that moment; nothing for an unknown kind.
std::optional<Finding> injector_finding(const RunResult::InjectorFinding& f, pid_t main_pid,
                                        const std::optional<ServedAllocator>& served) {
  const auto& e = f.event;
  Finding out;
  out.sentinel = true;
  out.process = f.snapshot ? process_label(f.snapshot->pid, f.snapshot->program, main_pid) : process_label(e.pid, "", main_pid);
  out.served = served;
  out.thread = static_cast<int>(static_cast<int64_t>(e.arg[3]));
  if (!classify_injector_finding(e, out)) return std::nullopt;
  if (f.snapshot) {
    out.frames = f.snapshot->frames;
    split_at_signal_frame(out);
  }
  if (e.arg[0] == FL_FINDING_SIGNAL_UNSAFE_CALL) out.detail = unsafe_call_detail(e.arg[1], handler_function(out.handler_stack));
  return out;
}

// The LD_PRELOAD the program would have had without faultline: the request's, else ours.
std::string user_preload(const RunRequest& req) {
  for (const auto& kv : req.extra_env)
    if (kv.rfind("LD_PRELOAD=", 0) == 0) return kv.substr(11);
  const char* ours = std::getenv("LD_PRELOAD");
  return ours ? ours : "";
}

// The processes' allocators, grouped, the program's own process first.
std::vector<CrashReport::AllocatorServing> allocators_serving(pid_t main_pid,
                                                              std::vector<std::pair<int32_t, ServedAllocator>> order,
                                                              const Allocator* asked, const std::string& user_preload) {
  std::vector<CrashReport::AllocatorServing> out;
  // The program's own process first: its last image, the one the run is about.
  auto last_main = std::find_if(order.rbegin(), order.rend(), [&](const auto& p) { return p.first == main_pid; });
  if (last_main != order.rend()) std::rotate(order.begin(), std::prev(last_main.base()), last_main.base());
  for (const auto& [pid, served] : order) {
    auto same = std::find_if(out.begin(), out.end(), [&](const auto& a) { return a.served == served; });
    if (same != out.end()) {
      same->images++;
      continue;
    }
    out.push_back({served, served_how(served, asked, user_preload), 1, process_label(pid, "", main_pid)});
  }
  return out;
}

// Sent by a process (raise, kill, tgkill), not by the kernel for a fault.
bool sent_by_a_process(int si_code) { return si_code <= 0; }

bool is_injected_signal(const CrashReport& r, int signo, int si_code) {
  return r.injection && r.injection->signo == signo && sent_by_a_process(si_code);
}

// A death by a signal that is neither a crash signal nor faultline's: a
// program's own clean-up, or another process's kill.
std::string non_crash_death(const RunResult& run) {
  auto sent = run.signals_received.find(run.term_signal);
  const std::string from = sent == run.signals_received.end() || !sent_by_a_process(sent->second.si_code) ? ""
                           : sent->second.sender == run.pid ? " raised by the program itself"
                           : sent->second.sender == 0       ? " sent from outside the program's processes"
                                                            : " sent by process " + std::to_string(sent->second.sender);
  return "terminated by " + signal_name(run.term_signal) + from + ": not a crash signal";
}

// After a double free (or another heap finding) a thread that is running, not
// waiting in a syscall, inside the allocator's own code when the timeout
// struck: the allocator's metadata is broken and it loops (jemalloc does,
// walking an extent list the double free corrupted). Without the earlier
// finding a thread caught in malloc is just a busy program.
std::optional<Finding> spinning_in_broken_allocator(const RunResult& run, CrashReport& r) {
  static const std::set<CrashClass> heap = {CrashClass::DoubleFree, CrashClass::UseAfterFree,
                                            CrashClass::DuplicateAllocation, CrashClass::HeapSizeMismatch};
  const auto earlier = std::find_if(r.findings.begin(), r.findings.end(), [](const Finding& f) { return heap.count(f.cls); });
  if (earlier == r.findings.end() || !run.hang) return std::nullopt;
  for (const ThreadStack& t : run.hang->threads) {
    if (t.pid != run.pid || t.syscall != -1 || t.frames.empty()) continue;
    auto alloc = allocator_of_frame(t.frames[0]);
    if (!alloc) continue;
    Finding f(CrashClass::HeapCorruption,
              thread_phrase(t.thread_index) + " still runs inside the allocator (" + *alloc + ") at the timeout, after the " +
                  std::string(to_string(earlier->cls)) + ": its heap metadata is broken",
              t.thread_index);
    f.frames = t.frames;
    r.allocator = *alloc;
    return f;
  }
  return std::nullopt;
}

// Every thread of a hung program, and the one deadlocked in a signal handler,
// if any: it explains the hang, so it goes first (the class) even though an
// injector's sentinel saw the reentrancy that led to it earlier.
void triage_timeout(const RunRequest& req, const RunResult& run, CrashReport& r) {
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", req.limits.timeout_seconds);
  const std::string no_exit = "no exit within " + std::string(limit) + " s";
  std::optional<HandlerDeadlock> d;
  if (run.hang) {
    r.threads = run.hang->threads;
    r.threads_left_out = run.hang->threads_left_out;
    r.threads_unstopped = run.hang->threads_unstopped;
    r.hang_snapshot_seconds = run.hang->seconds;
    d = find_handler_deadlock(*run.hang, run.pid);
  }
  if (!d) {
    if (auto spin = spinning_in_broken_allocator(run, r)) {
      r.findings.push_back(std::move(*spin));
      return;
    }
    r.findings.push_back({CrashClass::Timeout, no_exit + "; process group and descendants killed", -1});
    return;
  }
  const ThreadStack& t = *d->thread;
  const std::string waits_in = frame_key(t.frames[d->wait_frame]);
  const std::string where = t.pid == run.pid ? "" : "in child process " + std::to_string(t.pid) + " (" + t.program + "): ";
  Finding f(CrashClass::DeadlockInSignalHandler,
            where + "thread " + std::to_string(t.thread_index) + " waits in " + waits_in + " for lock " +
                (d->lock.empty() ? "(address unknown)" : d->lock) + " inside signal handler " + d->pair.handler +
                ", which interrupted " + d->pair.interrupted + "; " + no_exit,
            t.thread_index);
  f.frames = t.frames;
  split_at_signal_frame(f);
  r.findings.insert(r.findings.begin(), std::move(f));
  r.deadlock = CrashReport::Deadlock{d->pair, waits_in, d->lock};
  r.process = process_label(t.pid, t.program, run.pid);
  r.thread = t.thread_index;
  r.frames = t.frames;
  r.frames_truncated = t.frames_truncated;
  r.stack_hash = deadlock_hash(r.frames, *d);
}

// The held thread's stack: our own frames on top (the hold, the wrapper of
// the call it was held in), then the program's.
CrashReport::Hold describe_hold(const RunResult::InjectorFinding& h) {
  CrashReport::Hold out{static_cast<int>(static_cast<int64_t>(h.event.arg[3])), (h.event.arg[1] & FL_HELD_AT_SYNC) != 0,
                        h.event.arg[2], h.event.arg[0], {}, {}, {}};
  if (!h.snapshot) return out;
  out.frames = h.snapshot->frames;
  for (const Frame& f : out.frames) {
    if (f.module.find(FL_INJECT_LIBRARY) == std::string::npos) {
      out.where = frame_label(f);
      break;
    }
    // The outermost of ours is the wrapper: malloc, free, or watched_PTHREAD_MUTEX_LOCK (unsafe.c).
    std::string fn = f.function;
    if (fn.starts_with("watched_")) {
      fn = fn.substr(8);
      std::transform(fn.begin(), fn.end(), fn.begin(), [](unsigned char c) { return std::tolower(c); });
    }
    if (!fn.empty()) out.call = fn;
  }
  return out;
}

Finding finding_from(const CrashSnapshot& s, const Classification& c, pid_t main_pid) {
  std::string where = s.pid == main_pid || s.pid == 0 ? "" : "in child process " + std::to_string(s.pid) + " (" + s.program + "): ";
  return {c.cls, where + c.detail, s.thread_index};
}

// What the request asked for and how the run ended, copied as they are.
CrashReport report_of_run(const RunRequest& req, const RunResult& run) {
  CrashReport r;
  r.pid = run.pid;
  r.argv = req.argv;
  r.schedule = req.schedule.canonical();
  r.quarantine_blocks = req.schedule.get(FL_KEY_QUARANTINE).value_or(0);
  r.live_pointers = req.schedule.get(FL_KEY_LIVE_POINTERS).has_value();
  r.end = run.end;
  r.loader_tunable_added = run.loader_tunable_added;
  r.events_dropped = run.events_dropped;
  r.pid_namespace = run.pid_namespace;
  r.processes_refused = run.processes_refused;
  r.exit_code = run.exit_code;
  r.term_signal = run.term_signal;
  r.wall_seconds = run.wall_seconds;
  const std::string& err = run.err.tail;
  r.stderr_tail = err.size() > kReportedStderrBytes ? err.substr(err.size() - kReportedStderrBytes) : err;
  r.ptrace_allocator_symbols = run.ptrace_allocator_symbols;
  r.threads_started = run.threads_started;
  return r;
}

// Several processes may match the schedule (process=sh under make): the
// first one the injection reached is the one its trace, signal and call
// count describe.
struct TargetProcess {
  int32_t pid = 0;
  bool sent(const fl_event& e) {
    if (!pid) pid = e.pid;
    return e.pid == pid;
  }
};

// What the event records tell beyond the report's own fields.
struct EventFacts {
  std::set<int32_t> injected;  // processes the injector reported in from
  // Whose malloc each process image ran on (a pid that execs gets a new one),
  // and so the allocator under each sentinel finding, in event order.
  std::vector<std::pair<int32_t, ServedAllocator>> images;
  std::vector<std::optional<ServedAllocator>> finding_allocators;
  TargetProcess target;
};

// The injector's records, in order: its counters and traces into the report.
EventFacts read_events(const RunResult& run, CrashReport& r) {
  EventFacts facts;
  std::map<int32_t, ServedAllocator> serving_now;
  for (const auto& e : run.events) {
    switch (e.kind) {
      case FL_EVENT_HELLO: facts.injected.insert(e.pid); break;
      case FL_EVENT_ALLOCATOR:
        serving_now[e.pid] = served_allocator(e);
        facts.images.emplace_back(e.pid, serving_now[e.pid]);
        break;
      case FL_EVENT_FINDING: {
        auto now = serving_now.find(e.pid);
        facts.finding_allocators.push_back(now == serving_now.end() ? std::nullopt : std::optional<ServedAllocator>(now->second));
        break;
      }
      case FL_EVENT_THREAD_STACK: (e.arg[0] ? r.thread_stacks_shrunk : r.thread_stacks_kept)++; break;
      case FL_EVENT_ALTSTACK: r.altstacks_shrunk++; break;
      case FL_EVENT_SIGNAL_RAISED:
        if (facts.target.sent(e)) r.injection = Injection{static_cast<int>(e.arg[0]), e.arg[1], e.arg[2], e.arg[3]};
        break;
      case FL_EVENT_POINT_MISSED: r.injection_missed = true; break;
      case FL_EVENT_TIMER_SUPPRESSED: r.timers_suppressed++; break;
      case FL_EVENT_PCT_CHANGE:
        if (facts.target.sent(e)) r.pct_changes.push_back({e.arg[0], e.arg[1], static_cast<int>(e.arg[3])});
        break;
      case FL_EVENT_DELAYED:
        if (!(e.arg[1] & FL_HELD_BY_PCT)) r.delays++;
        else if (facts.target.sent(e))
          r.pct_waits.push_back({static_cast<int>(e.arg[3]), (e.arg[1] & FL_HELD_AT_SYNC) != 0, e.arg[2], e.arg[0], {}, {}, {}});
        break;
      case FL_EVENT_LAZY_SYMBOL_IN_HANDLER: r.lazy_symbols_in_handlers++; break;
      case FL_EVENT_PIPE_LOST: r.event_pipe_lost = true; break;
      case FL_EVENT_STEP:
        if (facts.target.sent(e)) r.traced_steps.push_back({e.arg[1], e.arg[3] == 1});
        break;
      case FL_EVENT_HANDLER_INSTALLED:
        r.handlers_installed.push_back({static_cast<int>(e.arg[0]), e.arg[1], static_cast<int>(static_cast<int64_t>(e.arg[3])),
                                        e.pid, (e.arg[2] & 1) != 0, (e.arg[2] & 2) != 0});
        break;
      case FL_EVENT_EXITING:
        if ((e.arg[2] & 1) && facts.target.sent(e)) {
          const int thread = static_cast<int>(static_cast<int64_t>(e.arg[3]));
          r.calls_at_exit[thread] = e.arg[0];
          r.syncs_at_exit[thread] = e.arg[1];
        }
        break;
    }
  }
  return facts;
}

// Sentinel findings come first: they happened before any crash they led to.
// Returns the kinds this harness does not know, left out.
std::vector<uint64_t> add_injector_findings(const RunResult& run, const EventFacts& facts, CrashReport& r) {
  std::vector<uint64_t> unknown;
  for (size_t i = 0; i < run.injector_findings.size(); i++) {
    const auto& served = i < facts.finding_allocators.size() ? facts.finding_allocators[i] : std::nullopt;
    if (auto f = injector_finding(run.injector_findings[i], run.pid, served)) r.findings.push_back(std::move(*f));
    else unknown.push_back(run.injector_findings[i].event.arg[0]);
  }
  return unknown;
}

// The stop the crash class is decided from, or nullptr. A crash signal the
// program caught and then died of something else is still the root cause (a
// crash handler that aborts, a sanitizer report). The signal faultline raised
// (and the program re-raised) is not a crash.
const CrashSnapshot* crash_stop(const RunResult& run, const CrashReport& r) {
  auto sent_by_us = [&](const std::optional<CrashSnapshot>& s) { return s && is_injected_signal(r, s->signo, s->si_code); };
  const CrashSnapshot* primary = nullptr;
  if (run.end == RunResult::End::Signaled) {
    if (run.first_caught && !sent_by_us(run.first_caught)) primary = &*run.first_caught;
    else if (run.fatal && !sent_by_us(run.fatal)) primary = &*run.fatal;
  }
  // A wrapper (a shell, a launcher) that fails because a process it started
  // crashed: the crash is the finding. A parent that exits 0 handled it.
  const bool failed = run.end == RunResult::End::Signaled || (run.end == RunResult::End::Exited && run.exit_code != 0);
  if (!primary && failed && !run.child_crashes.empty()) primary = &run.child_crashes.front().snapshot;
  // A sanitizer runtime's (or libFuzzer's) deadly-signal handler catches the
  // fault, prints its report and exits 1: the fault is the crash. Only with
  // its own words in stderr: a program that catches faults on purpose (a VM's
  // null checks) and then fails for another reason is not filed as a crash.
  if (!primary && run.end == RunResult::End::Exited && run.exit_code != 0 && run.first_caught &&
      !sent_by_us(run.first_caught) && run.first_caught->si_code > 0 && run.err.tail.find("DEADLYSIGNAL") != std::string::npos)
    primary = &*run.first_caught;
  return primary;
}

// The class from the fatal stop's signal and maps, and where it happened:
// the signal, the fault address, the thread and the stack that ran out.
void triage_crash_stop(const RunResult& run, const CrashSnapshot& primary, CrashReport& r) {
  const std::string& err = run.err.tail;
  Classification c = classify_snapshot(primary, err);
  const bool sentinel_first = !r.findings.empty();
  r.findings.push_back(finding_from(primary, c, run.pid));
  if (run.fatal && &primary != &*run.fatal)
    r.findings.push_back(finding_from(*run.fatal, classify_snapshot(*run.fatal, err), run.pid));
  r.process = process_label(primary.pid, primary.program, run.pid);
  r.signo = primary.signo;
  r.si_code = primary.si_code;
  if (primary.signo == SIGSEGV || primary.signo == SIGBUS) r.fault_address = primary.fault_address;
  r.fault_region = c.region;
  r.thread = primary.thread_index;
  r.thread_name = given_thread_name(primary);
  r.thread_stack_size = c.stack_size;
  r.stack = c.stack;
  r.allocator = c.allocator;
  r.frames = primary.frames;
  r.frames_truncated = primary.frames_truncated;
  if (sentinel_first) r.frames = r.findings.front().frames;  // the root cause's stack
}

// No stop was seen: SIGKILL cannot be intercepted. We did not send it, so
// the likeliest sender is the kernel's out-of-memory killer.
void triage_death_without_stop(const RunRequest& req, const RunResult& run, CrashReport& r) {
  if (r.injection && r.injection->signo == run.term_signal)
    r.note = "ended by " + signal_name(run.term_signal) +
             ", the signal faultline raised: the program's handler ran and then re-raised it or let its default "
             "action end the program (the conventional clean-up); not a crash";
  else if (run.term_signal == SIGKILL)
    r.findings.push_back({CrashClass::Oom, "killed by SIGKILL, not by faultline (out-of-memory killer?)", -1});
  else if (run.term_signal == SIGABRT)
    r.findings.push_back({CrashClass::Abort, "terminated by SIGABRT", -1});
  else if (run.term_signal == SIGXCPU)
    r.findings.push_back({CrashClass::Timeout, "killed by SIGXCPU: its CPU time limit (RLIMIT_CPU) ran out", -1});
  else if (run.term_signal == SIGXFSZ)
    r.findings.push_back({CrashClass::Oom, "killed by SIGXFSZ: it wrote past the file size limit of " +
                                               std::to_string(req.limits.file_size_bytes >> 20) + " MiB (RLIMIT_FSIZE)", -1});
  else
    r.note = non_crash_death(run);
  r.signo = run.term_signal;
}

// The dynamic loader refused to start it (exit 127): not a program that ran clean.
void note_loader_refusal(const RunResult& run, CrashReport& r) {
  const std::string& err = run.err.tail;
  if (run.end == RunResult::End::Exited && run.exit_code == 127 && r.findings.empty() && r.note.empty())
    if (const size_t at = err.find(": error while loading shared libraries: "); at != std::string::npos)
      r.note = "the program did not start: " + last_line(err.substr(0, err.find('\n', at)));
}

// The class is the first finding's; its frames, thread and stack hashes.
void settle_class_and_hashes(bool had_crash_stop, CrashReport& r) {
  if (!had_crash_stop && !r.findings.empty() && r.frames.empty()) r.frames = r.findings.front().frames;
  if (r.thread < 0 && !r.findings.empty()) r.thread = r.findings.front().thread;
  r.cls = r.findings.empty() ? CrashClass::None : r.findings.front().cls;
  if (r.cls == CrashClass::StackExhaustion) r.recursion_cycle = find_recursion_cycle(r.frames);
  if (r.cls == CrashClass::SignalUnsafeReentrancy) r.reentrancy = find_reentrancy_pair(r.frames);
  if (!r.frames.empty() && !r.deadlock) r.stack_hash = stack_hash(r.frames, r.recursion_cycle, r.reentrancy);
  if (!r.frames.empty()) r.full_stack_hash = full_stack_hash(r.frames);
}

// --core: the run's core, or why a crash has none.
void attach_core(const RunRequest& req, const RunResult& run, CrashReport& r) {
  r.core = run.core;
  if (req.core.wanted() && !r.core && r.cls != CrashClass::None) {
    r.core = std::make_shared<CoreFile>();
    r.core->error = r.end == RunResult::End::TimedOut
                        ? "the program timed out and none of its threads stopped for a core"
                        : "the program's own process did not die of a crash signal (a core is written at that stop only)";
  }
}

void add_note(CrashReport& r, const std::string& note) { r.note += (r.note.empty() ? "" : "; ") + note; }
}  // namespace

CrashReport triage(const RunRequest& req, const RunResult& run) {
  CrashReport r = report_of_run(req, run);
  EventFacts facts = read_events(run, r);
  for (const auto& h : run.delay_holds)
    if (!r.held && facts.target.sent(h.event)) r.held = describe_hold(h);
  const std::vector<uint64_t> unknown_kinds = add_injector_findings(run, facts, r);
  r.allocators_served = allocators_serving(run.pid, facts.images, asked_allocator(req.schedule), user_preload(req));
  r.injected_processes = static_cast<int>(facts.injected.size());
  // A wrapper that execs the program (env, a shell's exec) passed the call
  // first, with no handler: the program itself got the signal.
  if (r.injection) r.injection_missed = false;

  const CrashSnapshot* primary = crash_stop(run, r);
  if (run.end == RunResult::End::TimedOut) triage_timeout(req, run, r);
  else if (primary) triage_crash_stop(run, *primary, r);
  else if (run.end == RunResult::End::Signaled) triage_death_without_stop(req, run, r);
  note_loader_refusal(run, r);
  settle_class_and_hashes(primary != nullptr, r);
  attach_core(req, run, r);
  for (uint64_t kind : unknown_kinds) add_note(r, "unknown injector finding kind " + std::to_string(kind));
  return r;
}

const CrashReport::AllocatorServing* serving_allocator(const CrashReport& r) {
  for (const auto& f : r.findings) {
    if (!f.sentinel || !f.served) continue;
    for (const auto& a : r.allocators_served)
      if (a.served == *f.served) return &a;
    break;
  }
  return r.allocators_served.empty() ? nullptr : &r.allocators_served.front();
}

Result<CrashReport> run_and_triage(const RunRequest& req) {
  auto run = run_program(req);
  if (!run) return run.error();
  return triage(req, run.value());
}

Result<CrashReport> run_and_triage(const RunRequest& base, const std::string& schedule) {
  auto parsed = Schedule::parse(schedule);
  if (!parsed) return parsed.error();
  RunRequest req = base;
  req.schedule = parsed.value();
  return run_and_triage(req);
}

}  // namespace faultline
