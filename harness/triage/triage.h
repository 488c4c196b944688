// Triage: from what the runner saw (wait status, crash snapshot, stderr,
// injector records) to a CrashReport with one class from the taxonomy.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/allocators.h"
#include "triage/classify.h"
#include "triage/crash_class.h"
#include "triage/dedup.h"
#include "process/runner.h"

namespace faultline {

struct Finding {
  Finding() = default;
  Finding(CrashClass c, std::string d, int t) : cls(c), detail(std::move(d)), thread(t) {}
  CrashClass cls = CrashClass::None;
  std::string detail;  // the evidence, in words
  int thread = -1;     // thread index, -1 when not tied to a thread
  bool sentinel = false;  // reported by an injector sentinel, not by how the program ended
  // Sentinel findings: the process it was in ("main", "child <pid> (<comm>)")
  // and whose malloc served that process.
  std::string process;
  std::optional<ServedAllocator> served;
  // Injector findings: the thread's stack when the sentinel fired; for a
  // reentrancy, split at the signal frame into the handler's part and the
  // interrupted code's part.
  std::vector<Frame> frames;
  std::vector<Frame> handler_stack, interrupted_stack;
};

// What the malloc-signal injector did in the run.
struct Injection {
  int signo = 0;
  uint64_t pc = 0;  // where the allocator was paused
  uint64_t call = 0, insn = 0;
};

struct CrashReport {
  CrashClass cls = CrashClass::None;  // the earliest root cause among findings
  std::vector<Finding> findings;
  // The crash snapshot the class was decided from (absent for clean exits and timeouts).
  int signo = 0;
  int si_code = 0;
  std::optional<uint64_t> fault_address;
  std::string fault_region;
  std::string process;  // "main", or "child <pid> (<comm>)" when a forked process crashed
  int thread = -1;
  std::string thread_name;          // its comm
  uint64_t thread_stack_size = 0;   // the usable size of the stack that ran out (stack exhaustion)
  std::optional<StackGuardHit> stack;  // stack exhaustion: which stack, its bounds
  std::vector<Frame> frames;
  bool frames_truncated = false;
  std::string stack_hash;
  std::string full_stack_hash;  // every meaningful frame's: told apart below the hashed ones
  std::optional<RecursionCycle> recursion_cycle;
  std::optional<ReentrancyPair> reentrancy;  // signal-unsafe-reentrancy: what the hash is of
  // deadlock-in-signal-handler: the handler, what it interrupted, and the lock it waits for.
  struct Deadlock {
    ReentrancyPair pair;
    std::string waits_in;  // the lock-wait function
    std::string lock;      // address and what it is, "" when unknown
  };
  std::optional<Deadlock> deadlock;
  // A timeout: every thread's stack as the program hung (hang_snapshot_seconds to take them).
  std::vector<ThreadStack> threads;
  int threads_left_out = 0, threads_unstopped = 0;
  double hang_snapshot_seconds = 0;
  std::string allocator;  // for heap-corruption: whose check fired
  // Whose malloc served the program's processes (FL_EVENT_ALLOCATOR): one
  // entry per allocator, in the order first seen.
  struct AllocatorServing {
    ServedAllocator served;
    std::string how;  // served_how
    int images = 0;  // process images it served: each exec, and each fork (it says so again)
    std::string first_process;  // the first one's label
  };
  std::vector<AllocatorServing> allocators_served;
  uint64_t quarantine_blocks = 0;  // the schedule's quarantine=N (0: off)
  bool live_pointers = false;      // the schedule's `live-pointers on`
  // The run itself.
  pid_t pid = 0;  // the program's process
  std::vector<std::string> argv;
  std::string schedule;
  RunResult::End end = RunResult::End::Exited;
  int exit_code = 0;
  int term_signal = 0;
  double wall_seconds = 0;
  std::string stderr_tail;
  // What the injector reported doing.
  int injected_processes = 0;    // processes in which it reported in
  int thread_stacks_shrunk = 0;  // threads given the `stack threads=` size
  int thread_stacks_kept = 0;    // threads that chose their own size and kept it
  int altstacks_shrunk = 0;
  std::optional<Injection> injection;  // the scheduled signal was raised
  bool injection_missed = false;       // the scheduled call came with no handler installed
  int timers_suppressed = 0;
  int delays = 0;  // `delay`: threads paused
  uint64_t events_dropped = 0;  // injector records past faultline's caps (RunResult::events_dropped)
  bool event_pipe_lost = false;    // a process of the program closed or replaced the event pipe (FL_EVENT_PIPE_LOST)
  bool pid_namespace = false;      // the fence (RunResult::pid_namespace, processes_refused)
  uint64_t processes_refused = 0;
  std::string loader_tunable_added;  // what faultline added to GLIBC_TUNABLES, and only when a preload needed it
  // A thread held at one of its points: by the `delay` item (with where: the
  // stack the tracer read at the hold), or by pct while a higher thread ran.
  struct Hold {
    int thread = 0;
    bool at_sync = false;  // its sync= point; else its call= (allocator call)
    uint64_t n = 0, us = 0;
    std::string call;   // the interposed function it was held in: free, pthread_mutex_lock, ...
    std::string where;  // the program's frame that called it: "pool_worker_finish (pool.c:40)"
    std::vector<Frame> frames;
  };
  std::optional<Hold> held;     // the `delay` hold, in the program's own process
  std::vector<Hold> pct_waits;  // pct's waits there (no stacks), as reported (at most 256)
  struct PctChange {
    uint64_t priority, point;  // the new priority (1..d-1), the point's number over all threads
    int thread;
  };
  std::vector<PctChange> pct_changes;  // pct's change points, as they happened
  int ptrace_allocator_symbols = -1;  // malloc-signal ptrace: allocator breakpoints armed
  int lazy_symbols_in_handlers = 0;  // PLT bindings inside handlers (glibc makes these safe)
  struct HandlerInstalled {
    int signo;
    uint64_t at_call;  // allocator calls the installing thread had made
    int thread;
    pid_t pid;
    bool in_target_process;  // the process malloc-signal interrupts (not a child it ran)
    bool found_at_start;     // already installed when the injector started (a library constructor)
  };
  std::vector<HandlerInstalled> handlers_installed;
  struct TracedStep {
    uint64_t pc;
    bool in_wrapper;  // faultline's own allocator wrapper, not the allocator
  };
  std::vector<TracedStep> traced_steps;  // malloc-signal trace: the call's instructions
  // Allocator calls of a thread of the target process when it ended (exit or
  // return from main), by thread index: what explore samples over.
  std::map<int, uint64_t> calls_at_exit;
  std::map<int, uint64_t> syncs_at_exit;  // sync points (unsafe_calls.h), likewise
  int threads_started = 1;  // of the program's own process
  // --core: the core written at the fatal signal (a temporary file until a
  // command keeps it in the reproducer), or why there is none.
  std::shared_ptr<CoreFile> core;
  // Why a run that ended by a signal is not a finding, or what else a reader
  // should know about how it ended.
  std::string note;
};

CrashReport triage(const RunRequest& req, const RunResult& run);

// One run, triaged. Fails only when the program cannot be started.
// The allocator the report is about: the one under its first sentinel
// finding that has one, else the program's own process's (nullptr: none reported).
const CrashReport::AllocatorServing* serving_allocator(const CrashReport& r);

Result<CrashReport> run_and_triage(const RunRequest& req);
// The same run under another schedule line; fails too when the line does not parse.
Result<CrashReport> run_and_triage(const RunRequest& base, const std::string& schedule);

}  // namespace faultline
