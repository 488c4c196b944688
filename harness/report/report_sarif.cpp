// SARIF 2.1.0 for code-scanning dashboards: one rule per crash class, one
// result per problem row and per regression that still reproduces, located at the top meaningful frame.
#include "report/campaign_report.h"
#include "report/report.h"
#include "base/version.h"

namespace faultline {

namespace {

// The blamed frame, else the top one: a result always has a location when there are frames.
const Frame* located_frame(const CrashReport& r) {
  if (const Frame* f = blamed_frame(r)) return f;
  return r.frames.empty() ? nullptr : &r.frames.front();
}

// "stack-exhaustion" -> "StackExhaustion": SARIF's rule name is a PascalCase identifier.
std::string pascal_case(std::string_view id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (c == '-') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

}  // namespace

nlohmann::json campaign_sarif(const std::vector<CampaignRow>& rows) {
  using nlohmann::json;
  json rules = json::array();
  for (int c = 0; c <= static_cast<int>(CrashClass::None); c++) {
    const std::string id(to_string(static_cast<CrashClass>(c)));
    rules.push_back({{"id", id},
                     {"name", pascal_case(id) + "Crash"},  // SARIF1001: a name must differ from its id
                     {"shortDescription", {{"text", "faultline crash class " + id}}},
                     {"defaultConfiguration", {{"level", id == "none" ? "note" : "error"}}}});
  }
  json results = json::array();
  for (const auto& row : rows) {
    // A regression that still reproduces is a bug still open: it stays a
    // result (a warning), or code scanning would close its alert the night after.
    const bool still_open = row.kind == "regression" && row.status == "reproduces";
    if (!row.problem && !still_open) continue;
    const auto cls = crash_class_from_string(row.cls).value_or(CrashClass::None);
    json result = {{"ruleId", row.cls},
                   {"ruleIndex", static_cast<int>(cls)},
                   {"level", row.problem ? "error" : "warning"},
                   {"message", {{"text", row.target + " " + row.kind + " " + row.item + ": " + row.status + " (" +
                                             row.cls + ")"}}},
                   {"properties", {{"target", row.target}, {"status", row.status}, {"reproducer", row.reproducer}}}};
    if (!row.hash.empty()) result["partialFingerprints"] = {{"stackHash/v1", row.hash}};
    if (row.report) {
      if (!row.report->findings.empty()) result["message"]["text"] = result["message"]["text"].get<std::string>() + ": " +
                                                                      row.report->findings.front().detail;
      if (const Frame* f = located_frame(*row.report)) {
        json location = {{"logicalLocations", {{{"fullyQualifiedName", f->function.empty() ? f->module : f->function}}}}};
        if (!f->file.empty()) {
          // An absolute path is a file: URI; SARIF forbids relative references that begin with '/'.
          const std::string uri = f->file.starts_with('/') ? "file://" + f->file : f->file;
          location["physicalLocation"] = {{"artifactLocation", {{"uri", uri}}}};
          if (f->line > 0) location["physicalLocation"]["region"] = {{"startLine", f->line}};
        }
        result["locations"] = json::array({location});
      }
    }
    results.push_back(result);
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs",
           {{{"tool",
              {{"driver",
                {{"name", "faultline"}, {"version", version()}, {"informationUri", "https://example.invalid/faultline"},
                 {"rules", rules}}}}},
             {"results", results}}}}};
}

}  // namespace faultline
