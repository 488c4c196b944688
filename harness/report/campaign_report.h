// What a campaign found, and the machine-readable reports made from it:
// SARIF 2.1.0 (one rule per crash class, the location is the top meaningful
// frame) and JUnit XML (one testcase per regression replayed or seed run).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/campaign_history.h"
#include "report/campaign_row.h"

namespace faultline {

// The stack a generated nesting shape needs: for each stack budget, the
// smallest nesting depth that exhausts it (nested_parser, `stack threads=`).
struct StackCurve {
  std::string shape;
  std::vector<std::pair<uint64_t, uint64_t>> budget_to_depth;  // (stack bytes, smallest crashing depth)
};

nlohmann::json campaign_sarif(const std::vector<CampaignRow>& rows);
std::string campaign_junit(const std::vector<CampaignRow>& rows);
// A static page: summary, the trend across nights (history, this night
// last), findings table linking to each finding's page, and inline-SVG plots
// of findings and runs over the campaign's time and of the stack-budget
// curves. No scripts, no external resources.
std::string campaign_html(const std::vector<CampaignRow>& rows, const std::vector<StackCurve>& curves,
                          const std::vector<CampaignNight>& history);

// A page per finding (a row with a reproducer; rows sharing one share the
// page): (path relative to report.html, "findings/<class>-<hash>.html"; the
// static html) with class, where, stacks, schedule, input size and the
// replay command.
std::vector<std::pair<std::string, std::string>> campaign_finding_pages(const std::vector<CampaignRow>& rows);

// Fills replay_command (unless the campaign set one) with
// `faultline replay <dir>`, and input_bytes, from the row's reproducer.
void add_replay_facts(CampaignRow& row);

// &, <, >, " and ' escaped; control characters XML 1.0 forbids replaced.
std::string xml_escape(const std::string& s);

}  // namespace faultline
