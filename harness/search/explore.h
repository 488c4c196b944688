// Schedule search for the malloc-signal injector: which (allocator call,
// instruction) points make the program's own handler run while the
// allocator is paused, and which of them give a finding.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "process/runner.h"
#include "triage/triage.h"

namespace faultline {

struct ExploreOptions {
  int signo = 27;  // SIGPROF
  int thread = 0;
  int max_runs = 100;
  std::optional<std::string> process;  // interrupt the process of this name, not the one started
  // `in=`: count and interrupt calls of this function (unsafe_calls.h) instead of the allocator's.
  std::optional<std::string> in_function;
  std::optional<uint64_t> seed;        // sample points at random instead of enumerating
  // --calls A-B: only these allocator calls of the thread (inclusive).
  uint64_t first_call = 1, last_call = UINT64_MAX;
  uint64_t call_range = 2000;  // random mode, when the census could not count the program's calls
  uint64_t max_insn = 64;      // ptrace mode, and random mode when no trace bounds the call
  bool keep_going = false;
  bool ptrace = false;  // tracer-side mode (static binaries): no census or traces, insn 1..max_insn per call
  // --shard K/N: this run takes the allocator calls (or random samples) whose
  // index is K-1 mod N; N runs together cover what one run would.
  uint64_t shard_index = 0, shard_count = 1;
  bool mine(uint64_t i) const { return i % shard_count == shard_index; }
};

struct ExploreHit {
  std::string schedule;
  CrashReport report;
  int run;  // 1-based run number that found it
};

// What the census run learnt about the program, before any point is tried.
struct Census {
  bool handler_seen = false;        // a handler for the signal in the target process
  bool handler_found_at_start = false;  // installed before the injector started (a library constructor)
  uint64_t first_call = 1;          // first call of the thread with the handler in place
  std::optional<uint64_t> calls;    // the thread's allocator calls in all, when it ended normally
  int threads_started = 1;
  int handlers_elsewhere = 0;  // installs of a handler for the signal seen in other processes
};

struct ExploreResult {
  int runs = 0;
  Census census;
  uint64_t calls_covered = 0;  // calls that got their breadth-first points
  std::vector<ExploreHit> hits;
  size_t points_tried = 0, points_pruned = 0;  // pruned: same path, same instruction already tried
};

struct ExploreProgress {
  int runs, max_runs;
  size_t points, findings;
  uint64_t call;  // the call being tried
};

// Runs `base` (argv, input, limits, injector) under malloc-signal schedules.
// on_hit is called for every run that gives a class other than none;
// on_progress after every run.
Result<ExploreResult> explore_malloc_signal(const RunRequest& base, const ExploreOptions& opt,
                                            const std::function<void(const ExploreHit&)>& on_hit,
                                            const std::function<void(const ExploreProgress&)>& on_progress = {});

std::string malloc_signal_schedule(const ExploreOptions& opt, uint64_t call, std::optional<uint64_t> insn);
// The signal, thread, process and mode of a schedule's malloc-signal item.
ExploreOptions explore_options_of(const Schedule& s);

}  // namespace faultline
