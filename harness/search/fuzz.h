// Fuzzing under injectors: a fuzz engine (libFuzzer or AFL++) runs a target's
// fuzzing build with a schedule in force. Every crash the engine saves is
// replayed under faultline's triage, bucketed by class and stack hash (the
// recursion cycle for stack exhaustion, the handler/interrupted pair for a
// reentrancy), minimized (the engine's own minimizer for the input, then the
// schedule) and stored once per bucket in corpora/<target>/regressions. The
// engine's new inputs are merged into corpora/<target>/corpus, which stays
// small: only inputs that add coverage survive a merge.
#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "base/engines.h"
#include "store/bucket_status.h"
#include "store/manifest.h"
#include "base/result.h"
#include "triage/triage.h"

namespace faultline {

// What is fuzzed: a project's target (reproducers name it, and replay through
// the manifest), or a one-off binary (reproducers carry its argv).
struct FuzzTarget {
  std::string name;                   // names <corpora>/<name>/
  std::filesystem::path binary;       // the engine's build
  std::filesystem::path dict, options;  // "" : none
  std::filesystem::path seeds;        // "" : <corpora>/<name>/seeds
  const Manifest* project = nullptr;  // declares `name`; null for a one-off binary
};

struct FuzzRequest {
  const FuzzEngine* engine = nullptr;
  FuzzTarget target;
  double budget_seconds = 60;  // the engine's own time; triage and minimizing come after
  std::string schedule;        // canonical schedule line, "" for none
  int jobs = 1;                // libFuzzer -fork=N workers / AFL++ instances (-M main, -S ...)
  std::filesystem::path corpora;  // root: <corpora>/<target>/{seeds,corpus,regressions}
  std::filesystem::path work;     // scratch: the engine's queue, artifacts and log
  // Where new reproducers go; "" for <corpora>/<target>/regressions. Buckets
  // in either place are known.
  std::filesystem::path store;
  std::string inject_library;     // "" runs without the injector
  // Triage, minimizing and the merge after the engine shrink to fit before
  // this, or are skipped (the campaign's slots; none for `faultline fuzz`).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  bool minimize = true;
  double minimize_seconds = 20;  // per new bucket, for the engine's input minimizer
  bool merge = true;
  // --core: each new bucket's reproducer is run once more and its core kept beside it.
  CoreRequest core;
};

struct FuzzCrash {
  std::filesystem::path artifact;  // the engine's file
  double found_at = 0;             // seconds after the engine started
  CrashReport report;              // faultline's triage of it
  // New, Known (a regression), StoredBefore (in `store` only: found by an
  // earlier run, e.g. a killed campaign), Duplicate, NotReproduced, NotTriaged
  BucketStatus status = BucketStatus::Pending;
  std::filesystem::path reproducer;  // stored (new) or matched (known, duplicate)
  size_t input_bytes = 0, minimized_bytes = 0;
  // Other whole stacks in its bucket this run: crashes with the same hashed
  // frames reached through other callers (a bucket that may merge two bugs).
  size_t similar = 0;
};

struct FuzzOutcome {
  uint64_t executions = 0;  // as the engine reported them (0: unknown)
  double seconds = 0;       // engine run time
  std::vector<FuzzCrash> crashes;
  size_t corpus_before = 0, corpus_after = 0;  // inputs in corpora/<target>/corpus
  std::string merge_problem;                   // why the merge was skipped ("" when it ran)
  std::filesystem::path engine_log;
  // The engine would not start (every seed crashes, say): why. Not an error
  // of faultline's: the crash itself is the seeds' finding.
  std::string refused;
  int new_buckets() const;
};

// Fails when the engine's build or the corpora are missing, or the engine
// cannot be started; a crash of the target is an outcome, not a failure.
Result<FuzzOutcome> run_fuzz(const FuzzRequest& req);

}  // namespace faultline
