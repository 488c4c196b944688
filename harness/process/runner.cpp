#include "process/runner.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>

#include "base/allocators.h"
#include "process/event_decode.h"
#include "process/launch.h"
#include "process/output_pump.h"
#include "process/ptrace_injector.h"
#include "process/trace_loop.h"

namespace faultline {

namespace {

// How the program's process ended, or why it never ran.
Result<RunResult> ending(const RunRequest& req, const TraceEnd& end, std::optional<int> exec_errno, RunResult r) {
  if (exec_errno) return Error{"cannot execute '" + req.argv[0] + "': " + std::strerror(*exec_errno)};
  // Killed inside execve, past its point of no return (no room for the
  // program under the limits, say): the program never ran, so nothing of it crashed.
  if (!end.program_started && !end.timed_out && WIFSIGNALED(end.main_status))
    return Error{"'" + req.argv[0] + "' never started: the kernel ended it with signal " +
                 std::to_string(WTERMSIG(end.main_status)) + " (" + strsignal(WTERMSIG(end.main_status)) +
                 ") during exec (are its limits too small to load it?)"};
  if (end.timed_out) {
    r.end = RunResult::End::TimedOut;
    r.term_signal = SIGKILL;
  } else if (WIFSIGNALED(end.main_status)) {
    r.end = RunResult::End::Signaled;
    r.term_signal = WTERMSIG(end.main_status);
  } else {
    r.end = RunResult::End::Exited;
    r.exit_code = WEXITSTATUS(end.main_status);
  }
  return r;
}

// One run of `program` (req.argv[0] resolved): launch, trace until it ends,
// end the fence, read the rest. static_tls_needed: a process of it could not
// load before (a descendant that links jemalloc, varnishtest's varnishd).
Result<RunResult> run_attempt(const RunRequest& req, const std::string& program, bool static_tls_needed) {
  reap_earlier_inits();
  auto fence = launch(req, program, static_tls_needed);
  if (!fence) return fence.error();
  RunResult r;
  r.loader_tunable_added = fence->tunable_added;
  r.pid_namespace = fence->namespaced;
  OutputPump pump(fence->out, fence->err, fence->events, req.limits.output_cap_bytes, req.forward_output);
  PtraceInjector ptrace_injector(req.schedule, req.max_frames);
  TraceLoop loop(req, *fence, pump, ptrace_injector, r);
  TraceEnd end = loop.run();
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - fence->started).count();
  const pid_t pid = loop.program();
  end_fence(fence->init, pid);
  if (!fence->namespaced) kill_descendants(pid > 0 ? pid : fence->init);
  // The init alone is left, already on its way out: reaped later, off the run's time.
  if (end.only_the_init_is_left && !end.init_done) reap_later(fence->init);
  else reap_fence(*fence, end.init_done);
  pump.finish(r, loop.host_ids());
  adopt_injector_thread_numbers(r);
  std::optional<int> exec_errno;
  for (const fl_fence_record& record : later_records(*fence))
    if (record.kind == FL_FENCE_EXEC_FAILED) exec_errno = record.value;
    else if (record.kind == FL_FENCE_PROGRAM_ENDED && req.supervise_only) end.main_status = record.value;
  close_fence(*fence);
  r.static_tls_refused = loop.loader_refused_static_tls();
  return ending(req, end, exec_errno, std::move(r));
}

}  // namespace

Result<RunResult> run_program(const RunRequest& req) {
  if (req.argv.empty()) return Error{"no program to run"};
  // With the audit namespace, a library with initial-exec TLS fails to load
  // ("cannot allocate memory in static TLS block") unless the loader's surplus
  // is raised; faultline raises it up front when it can see the need (a
  // preload, an executable that links an allocator). A process deeper in the
  // tree that links one and was refused (varnishtest's varnishd) gets its run
  // made once more with the surplus raised, and every later run of the same
  // program in this faultline gets it from the start.
  static std::mutex known_mutex;
  static std::set<std::string> known_to_need_it;
  const std::string program = resolve_program(req.argv[0], req.cwd);
  bool known;
  {
    std::lock_guard<std::mutex> lock(known_mutex);
    known = known_to_need_it.count(program) > 0;
  }
  auto r = run_attempt(req, program, known);
  if (!known && r && r->static_tls_refused && r->loader_tunable_added.empty() && !req.inject_library.empty()) {
    auto again = run_attempt(req, program, true);
    if (again && !again->loader_tunable_added.empty()) {
      std::lock_guard<std::mutex> lock(known_mutex);
      known_to_need_it.insert(program);
      return again;
    }
  }
  return r;
}

}  // namespace faultline
