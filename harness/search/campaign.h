// The nightly campaign over one project's manifest, one phase after another:
// corpora no target declares (an error), every target's regressions replayed
// and seeds run, its `explore` and `stack` tables, then every target ×
// profile fuzzed with what is left of the budget. New crashes go to
// <corpora>/<target>/regressions/; the table to stdout; report.json, SARIF,
// JUnit and report.html to the output directory.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/manifest.h"

namespace faultline {

// --shard K/N: the items of this shard of N campaigns (each item in one).
struct Shard {
  uint64_t index = 0, count = 1;  // K-1, N
  bool mine(const std::string& item) const;  // by a hash of the item's name
};

struct CampaignPlan {
  const Manifest& project;
  std::filesystem::path corpora;
  std::filesystem::path work;  // scratch: engine queues, generated inputs
  std::string inject_library;
  std::chrono::steady_clock::time_point deadline;
  Shard shard;
  std::vector<const ManifestTarget*> targets;
  bool fuzz = true;  // --no-fuzz: regressions and seeds only
};

struct CampaignTotals {
  int new_crashes = 0, regressions_failing = 0, errors = 0;
};

// Runs every phase and writes the reports into out; an Error only when they cannot be written.
Result<CampaignTotals> run_campaign(const CampaignPlan& plan, const std::filesystem::path& out);

}  // namespace faultline
