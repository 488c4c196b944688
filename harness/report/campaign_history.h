// The trend across nights: one record per campaign run (when, and per target
// how many new findings, fixed and flaky regressions, and executions), kept
// in a JSON file beside the corpora so that every nightly job appends to the
// same history. Reads are bounded and validated; writes are atomic.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace faultline {

struct CampaignRow;

struct NightCounts {
  uint64_t new_findings = 0;  // crash buckets first found by this run
  uint64_t fixed = 0;         // regressions that no longer reproduce
  uint64_t flaky = 0;         // regressions that reproduce on some replays only
  uint64_t execs = 0;         // executions behind the rows (a fuzz slot: the engine's count)
};

struct CampaignNight {
  std::string utc;  // when the run ended, "2025-01-31T02:00:00Z"
  std::map<std::string, NightCounts> targets;
  NightCounts totals;
};

// A history is a report, not a store: the last nights are what a trend shows.
constexpr size_t kHistoryMaxNights = 100;
// Larger than kHistoryMaxNights nights of any real campaign ever writes.
constexpr uintmax_t kHistoryMaxBytes = 4u << 20;

// <corpora>/.faultline/history.json (hidden: not a target directory).
std::filesystem::path campaign_history_path(const std::filesystem::path& corpora);

// Oldest night first. A missing file is an empty history (the first night);
// an oversized, unreadable or malformed one is an error naming the file.
Result<std::vector<CampaignNight>> load_campaign_history(const std::filesystem::path& file);

// Creates the file's directory; replaces the file atomically.
Result<bool> save_campaign_history(const std::filesystem::path& file, const std::vector<CampaignNight>& nights);

// This run's record, from its rows, stamped with the current UTC time.
CampaignNight campaign_night(const std::vector<CampaignRow>& rows);

// Appends, dropping the oldest nights beyond kHistoryMaxNights.
void append_night(std::vector<CampaignNight>& nights, CampaignNight night);

}  // namespace faultline
