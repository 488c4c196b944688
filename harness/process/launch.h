// Starting one run: the child's environment (injector preloaded, schedule
// and event pipe named), its pipes, and the fence it runs in: an init of its
// own PID namespace (or a process group where the machine has none) that
// runs the program under the request's rlimits. And ending it: killing
// every process the run left and reaping the fence.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "process/fence_record.h"
#include "process/run_request.h"

namespace faultline {

// A started run: the init of its fence and the read ends of its pipes.
struct Fence {
  pid_t init = -1;
  bool namespaced = false;      // the init is pid 1 of a PID namespace of the run's own
  int out = -1, err = -1;       // the program's stdout and stderr
  int events = -1;              // the injector's event pipe
  int status = -1;              // the fence's records (fence_record.h)
  int sigchld = -1;             // a signalfd for SIGCHLD, which stays blocked while the run lasts
  sigset_t old_mask{};          // the calling thread's mask before
  std::string tunable_added;    // what faultline added to GLIBC_TUNABLES
  std::chrono::steady_clock::time_point started;
};

// Starts `program` (req.argv[0] resolved) in its fence. static_tls_needed: a
// process of it could not load before (a descendant that links jemalloc).
// Traced runs start with the init stopped before it forks the program.
Result<Fence> launch(const RunRequest& req, const std::string& program, bool static_tls_needed);

// Ends the run's processes: in a namespace, killing its init kills them all;
// outside one, the program's group (then kill_descendants sweeps the rest).
void end_fence(pid_t init, pid_t program);
// Kills and reaps every remaining descendant: the process group first, then
// (we are a child subreaper) anything that escaped it and got reparented to us.
void kill_descendants(pid_t pgid);
// Waits for the init (and, traced, every process the kernel kills with it)
// for up to 10 s, woken by each SIGCHLD.
void reap_fence(const Fence& fence, bool init_done);
// An init killed with nothing left in its namespace, reaped off the run's
// time by a later run (reap_earlier_inits).
void reap_later(pid_t init);
void reap_earlier_inits();
// The fence's records after its first, once every writer is gone.
std::vector<fl_fence_record> later_records(const Fence& fence);
// Closes the read ends and gives the calling thread its signal mask back.
void close_fence(Fence& fence);

// Where libfaultline-inject.so lives relative to the running faultline binary.
std::string default_inject_library();

}  // namespace faultline
