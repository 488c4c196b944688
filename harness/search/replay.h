// Rerunning a stored reproducer and comparing what it gives with what it promised.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/corpus.h"
#include "triage/triage.h"

namespace faultline {

struct ReplayRun {
  CrashClass cls;
  std::string stack_hash;
  bool matched;
  double wall_seconds;
  CrashReport report;
};

struct ReplayOutcome {
  int matched = 0;
  std::vector<ReplayRun> runs;
  int times() const { return static_cast<int>(runs.size()); }
  // With a CoreRequest: the core of the first run that matched, kept as dir/core (or why there is none).
  std::shared_ptr<CoreFile> core;
};

// Fails only if the reproducer cannot be run at all.
// A reproducer of a target runs the command `project` gives it (request_for).
Result<ReplayOutcome> replay(const Reproducer& r, const std::filesystem::path& dir, int times,
                             std::optional<double> timeout_override, const std::string& inject_library,
                             const Manifest* project, const CoreRequest& core = {});

}  // namespace faultline
