// What a campaign found, and the machine-readable reports made from it:
// SARIF 2.1.0 (one rule per crash class, the location is the top meaningful
// frame) and JUnit XML (one testcase per regression replayed or seed run).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "triage.h"

namespace faultline {

struct CampaignRow {
  std::string target, kind, item;  // kind: "regression" or "seed"
  std::string cls, hash, status;   // status: reproduces, fixed, flaky k/N, new, known, duplicate, clean
  double seconds = 0;
  std::optional<CrashReport> report;  // the (last) run's triage
  std::string reproducer;             // where the reproducer is (regressions, new crashes)
  bool problem = false;               // a new crash, or a regression that no longer reproduces
};

nlohmann::json campaign_sarif(const std::vector<CampaignRow>& rows);
std::string campaign_junit(const std::vector<CampaignRow>& rows);
// A static page: summary, findings table, and inline-SVG plots of findings
// and runs over the campaign's time. No scripts, no external resources.
std::string campaign_html(const std::vector<CampaignRow>& rows);

// &, <, >, " and ' escaped; control characters XML 1.0 forbids replaced.
std::string xml_escape(const std::string& s);

}  // namespace faultline
