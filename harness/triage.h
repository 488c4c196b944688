// Triage: from what the runner saw (wait status, crash snapshot, stderr,
// injector records) to a CrashReport with one class from the taxonomy.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "crash_class.h"
#include "dedup.h"
#include "runner.h"

namespace faultline {

struct Finding {
  CrashClass cls = CrashClass::None;
  std::string detail;  // the evidence, in words
  int thread = -1;     // thread index, -1 when not tied to a thread
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
  uint64_t thread_stack_size = 0;
  std::vector<Frame> frames;
  bool frames_truncated = false;
  std::string stack_hash;
  std::optional<RecursionCycle> recursion_cycle;
  std::string allocator;  // for heap-corruption: whose check fired
  // The run itself.
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
};

CrashReport triage(const RunRequest& req, const RunResult& run);

// One run, triaged. Fails only when the program cannot be started.
Result<CrashReport> run_and_triage(const RunRequest& req);

}  // namespace faultline
