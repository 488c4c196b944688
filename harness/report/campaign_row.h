// One row of a campaign: a regression replayed, a seed run or a fuzz slot,
// and what came of it. Its own header because both the reports made from
// the rows (campaign_report.h) and the nightly history need it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "triage/triage.h"

namespace faultline {

struct CampaignRow {
  std::string target, kind, item;  // kind: "regression", "seed" or "fuzz"
  std::string cls, hash, status;   // status: reproduces, fixed, flaky k/N, new, known, duplicate, clean
  double seconds = 0;
  std::optional<CrashReport> report;  // the (last) run's triage
  std::string reproducer;             // where the reproducer is (regressions, new crashes)
  bool problem = false;               // a new crash, or a regression that no longer reproduces
  uint64_t runs = 1;                  // executions behind the row (a fuzz slot: the engine's count)
  std::string error;                  // status "error": what went wrong (the campaign goes on, exits 2)
  // New fields go last: campaign.cpp builds rows positionally.
  std::string replay_command;          // the one shell line that replays the reproducer ("" without one)
  std::optional<uint64_t> input_bytes;  // the reproducer's input size, when it has an input file
  size_t similar = 0;  // a fuzz bucket: other whole stacks that share its hashed frames
};

}  // namespace faultline
