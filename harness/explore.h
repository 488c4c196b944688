// Schedule search for the malloc-signal injector: which (allocator call,
// instruction) points make the program's own handler run while the
// allocator is paused, and which of them give a finding.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runner.h"
#include "triage.h"

namespace faultline {

struct ExploreOptions {
  int signo = 27;  // SIGPROF
  int thread = 0;
  int max_runs = 100;
  std::optional<uint64_t> seed;  // sample points at random instead of enumerating
  uint64_t call_range = 2000;    // random mode: calls sampled after the handler is installed
  uint64_t max_insn = 64;        // random mode: instruction points sampled per call
  bool keep_going = false;
  bool ptrace = false;  // tracer-side mode (static binaries): no census or traces, insn 1..max_insn per call
  std::string in_function;  // `in=`: interrupt calls of this function (unsafe_calls.h) instead of the allocator's
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

struct ExploreResult {
  int runs = 0;
  uint64_t first_call = 0;  // first call of the thread after its handler was installed
  std::vector<ExploreHit> hits;
  size_t points_tried = 0, points_pruned = 0;  // pruned: instruction address already covered
};

// Runs `base` (argv, input, limits, injector) under malloc-signal schedules.
// on_hit is called for every run that gives a class other than none.
Result<ExploreResult> explore_malloc_signal(const RunRequest& base, const ExploreOptions& opt,
                                            const std::function<void(const ExploreHit&)>& on_hit);

std::string malloc_signal_schedule(int signo, int thread, uint64_t call, std::optional<uint64_t> insn,
                                   bool ptrace = false, const std::string& in_function = "");

}  // namespace faultline
