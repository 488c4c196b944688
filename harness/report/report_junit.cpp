// JUnit XML for CI test tabs: one testcase per regression replayed and per
// seed run; problems (a new crash, a regression fixed or flaky) are failures.
// XML is written by hand: the format is three elements and an escape table.
#include <cstdio>
#include <map>

#include "report/campaign_report.h"

namespace faultline {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') out += "?";  // not allowed in XML 1.0
        else out += static_cast<char>(c);
    }
  }
  return out;
}

namespace {

std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", s);
  return b;
}

}  // namespace

std::string campaign_junit(const std::vector<CampaignRow>& rows) {
  std::map<std::string, std::vector<const CampaignRow*>> by_target;
  for (const auto& r : rows) by_target[r.target].push_back(&r);
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"faultline campaign\">\n";
  for (const auto& [target, list] : by_target) {
    int failures = 0;
    double total = 0;
    for (const auto* r : list) {
      failures += r->problem;
      total += r->seconds;
    }
    xml += "  <testsuite name=\"" + xml_escape(target) + "\" tests=\"" + std::to_string(list.size()) + "\" failures=\"" +
           std::to_string(failures) + "\" time=\"" + seconds(total) + "\">\n";
    for (const auto* r : list) {
      xml += "    <testcase classname=\"" + xml_escape(target) + "\" name=\"" + xml_escape(r->kind + "/" + r->item) +
             "\" time=\"" + seconds(r->seconds) + "\"";
      if (!r->problem) {
        xml += "/>\n";
        continue;
      }
      const std::string detail = r->report && !r->report->findings.empty() ? r->report->findings.front().detail : "";
      xml += ">\n      <failure type=\"" + xml_escape(r->cls) + "\" message=\"" + xml_escape(r->status + ": " + r->cls) +
             "\">" + xml_escape(detail + (r->reproducer.empty() ? "" : "\nreproducer: " + r->reproducer)) +
             "</failure>\n    </testcase>\n";
    }
    xml += "  </testsuite>\n";
  }
  return xml + "</testsuites>\n";
}

}  // namespace faultline
