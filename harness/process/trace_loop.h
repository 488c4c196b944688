// The run while it lasts: every wait status of every traced task (the
// threads of the program and of each process it forks) until the program's
// own process ends or its time is up. It learns tasks and their thread
// numbers, reads the checkpoint records, takes a snapshot at each crash
// signal (and the core when asked), lets the observer (ptrace_injector) have
// its stops, and at the deadline takes every thread's stack before the kill.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "process/event_decode.h"
#include "process/launch.h"
#include "process/output_pump.h"
#include "process/run_request.h"
#include "process/run_result.h"
#include "process/trace_observer.h"

namespace faultline {

// How the loop ended, for the runner to finish the run with.
struct TraceEnd {
  int main_status = 0;           // the program's process's wait status (supervised: the init's)
  bool timed_out = false;
  bool program_started = false;  // the exec event of the program's own process
  bool init_done = false;        // the init has been reaped
  bool only_the_init_is_left = false;
};

class TraceLoop {
 public:
  TraceLoop(const RunRequest& req, const Fence& fence, OutputPump& pump, TraceObserver& observer, RunResult& r);
  TraceEnd run();
  const HostIds& host_ids() const { return host_ids_; }
  pid_t program() const { return pid_; }
  // Exit 127 right after an exec, before the injector's constructor said
  // hello: the dynamic loader refused the program (it exits 127 then). For
  // one that links an allocator library, the static TLS surplus is why.
  // Asked once every event is decoded.
  bool loader_refused_static_tls() const;

 private:
  struct Task {
    pid_t tgid;
    int index;  // thread index within its process: 0 = main thread, then creation order
  };
  struct ProcessCrashes {
    std::optional<CrashSnapshot> first_caught, fatal;
  };
  const Task& learn(pid_t tid, pid_t tgid);
  void start_tracing_init();
  void wait_for_tasks();
  void handle(pid_t w, int st);
  void on_init(int st);
  void on_task_end(pid_t w, int st);
  void on_new_task(pid_t w, const Task& task, int event);
  void on_exec(pid_t w, const Task& task);
  void on_checkpoint(pid_t w, const Task& task, const siginfo_t& si);
  void on_signal(pid_t w, const Task& task, int sig, const siginfo_t& si);
  void on_deadline();
  void write_core(pid_t tgid, pid_t crashed, const siginfo_t& si);
  void core_at_timeout();

  const RunRequest& req_;
  const Fence& fence_;
  OutputPump& pump_;
  TraceObserver& observer_;
  RunResult& r_;
  std::chrono::steady_clock::time_point deadline_;
  // The program's own process: the init's one child, known at its fork event
  // (traced), or the init itself when only supervised.
  pid_t pid_ = 0;
  bool main_done_ = false, timed_out_ = false, init_done_ = false, program_started_ = false;
  int main_status_ = 0;
  std::map<pid_t, Task> tasks_;
  std::map<pid_t, int> next_index_;
  std::set<pid_t> awaiting_first_stop_;  // auto-attached tasks start with a SIGSTOP
  HostIds host_ids_;                     // in a namespace: the program's ids for its tasks -> ours
  size_t live_processes_ = 0;            // the program's processes: RLIMIT_NPROC binds no root, this does
  std::map<pid_t, ProcessCrashes> crashes_;
  // Wait statuses collected while the threads were held for a core: handled after it.
  std::vector<WaitStatus> after_core_;
  // Processes that exec'd (with how many injector records had come before
  // their last exec, and what they exec'd), and those of them that then exited 127.
  std::map<pid_t, size_t> records_before_exec_;
  std::map<pid_t, std::string> execed_;
  std::set<pid_t> exited_127_;
};

}  // namespace faultline
