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
  std::string target, kind, item;  // kind: "regression", "seed" or "fuzz"
  std::string cls, hash, status;   // status: reproduces, fixed, flaky k/N, new, known, duplicate, clean
  double seconds = 0;
  std::optional<CrashReport> report;  // the (last) run's triage
  std::string reproducer;             // where the reproducer is (regressions, new crashes)
  bool problem = false;               // a new crash, or a regression that no longer reproduces
  uint64_t runs = 1;                  // executions behind the row (a fuzz slot: the engine's count)
  std::string error;                  // status "error": what went wrong (the campaign goes on, exits 2)
};

// The stack a generated nesting shape needs: for each stack budget, the
// smallest nesting depth that exhausts it (nested_parser, `stack threads=`).
struct StackCurve {
  std::string shape;
  std::vector<std::pair<uint64_t, uint64_t>> budget_to_depth;  // (stack bytes, smallest crashing depth)
};

nlohmann::json campaign_sarif(const std::vector<CampaignRow>& rows);
std::string campaign_junit(const std::vector<CampaignRow>& rows);
// A static page: summary, findings table, and inline-SVG plots of findings
// and runs over the campaign's time and of the stack-budget curves. No
// scripts, no external resources.
std::string campaign_html(const std::vector<CampaignRow>& rows, const std::vector<StackCurve>& curves);

// &, <, >, " and ' escaped; control characters XML 1.0 forbids replaced.
std::string xml_escape(const std::string& s);

}  // namespace faultline
