#include "report/campaign_history.h"

#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "report/campaign_row.h"
#include "report/report.h"
#include "store/corpus.h"

namespace faultline {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kCountNames[] = {"new", "fixed", "flaky", "execs"};

uint64_t* count_field(NightCounts& c, size_t i) {
  uint64_t* fields[] = {&c.new_findings, &c.fixed, &c.flaky, &c.execs};
  return fields[i];
}

json counts_json(NightCounts c) {
  json j = json::object();
  for (size_t i = 0; i < std::size(kCountNames); i++) j[kCountNames[i]] = *count_field(c, i);
  return j;
}

// Errors name the field ("runs[3].targets.raw_parts.execs"); the caller adds the file.
Result<NightCounts> counts_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return Error{"field '" + where + "': not an object"};
  NightCounts c;
  for (size_t i = 0; i < std::size(kCountNames); i++) {
    const auto it = j.find(kCountNames[i]);
    if (it == j.end() || !it->is_number_unsigned())
      return Error{"field '" + where + "." + kCountNames[i] + "': not a count"};
    *count_field(c, i) = it->get<uint64_t>();
  }
  return c;
}

Result<CampaignNight> night_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return Error{"field '" + where + "': not an object"};
  CampaignNight night;
  if (!j.contains("utc") || !j["utc"].is_string()) return Error{"field '" + where + ".utc': not a string"};
  night.utc = j["utc"].get<std::string>();
  auto totals = counts_from_json(j.contains("totals") ? j["totals"] : json(), where + ".totals");
  if (!totals) return totals.error();
  night.totals = totals.value();
  if (!j.contains("targets") || !j["targets"].is_object()) return Error{"field '" + where + ".targets': not an object"};
  for (const auto& [target, counts] : j["targets"].items()) {
    auto c = counts_from_json(counts, where + ".targets." + target);
    if (!c) return c.error();
    night.targets[target] = c.value();
  }
  return night;
}

// At most kHistoryMaxBytes + 1 bytes: enough to tell an oversized file
// without reading all of it.
Result<std::string> read_bounded(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return Error{file.string() + ": not a regular file"};
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{file.string() + ": cannot open: " + std::strerror(errno)};
  std::string text(kHistoryMaxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Error{file.string() + ": read failed"};
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kHistoryMaxBytes)
    return Error{file.string() + ": over " + std::to_string(kHistoryMaxBytes >> 20) +
                 " MiB, too large for a campaign history (move it aside to start a new one)"};
  return text;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return when;
}

void add(NightCounts& into, const NightCounts& c) {
  into.new_findings += c.new_findings;
  into.fixed += c.fixed;
  into.flaky += c.flaky;
  into.execs += c.execs;
}

}  // namespace

fs::path campaign_history_path(const fs::path& corpora) { return corpora / ".faultline" / "history.json"; }

Result<std::vector<CampaignNight>> load_campaign_history(const fs::path& file) {
  std::error_code ec;
  const auto status = fs::symlink_status(file, ec);
  if (status.type() == fs::file_type::not_found) return std::vector<CampaignNight>{};
  if (ec) return Error{file.string() + ": cannot stat: " + ec.message()};
  auto text = read_bounded(file);
  if (!text) return text.error();
  const json j = json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{file.string() + ": not valid JSON"};
  if (!j.is_object() || !j.contains("faultline_history") || j["faultline_history"] != 1)
    return Error{file.string() + ": not a faultline history (field 'faultline_history' is not 1)"};
  if (!j.contains("runs") || !j["runs"].is_array()) return Error{file.string() + ": field 'runs': not an array"};
  std::vector<CampaignNight> nights;
  for (size_t i = 0; i < j["runs"].size(); i++) {
    auto night = night_from_json(j["runs"][i], "runs[" + std::to_string(i) + "]");
    if (!night) return Error{file.string() + ": " + night.error().message};
    nights.push_back(std::move(night.value()));
  }
  return nights;
}

Result<bool> save_campaign_history(const fs::path& file, const std::vector<CampaignNight>& nights) {
  json runs = json::array();
  for (const auto& night : nights) {
    json targets = json::object();
    for (const auto& [target, counts] : night.targets) targets[target] = counts_json(counts);
    runs.push_back({{"utc", night.utc}, {"totals", counts_json(night.totals)}, {"targets", targets}});
  }
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return Error{file.parent_path().string() + ": cannot create directory: " + ec.message()};
  return write_file_atomic(file, json_text(json({{"faultline_history", 1}, {"runs", runs}}), 1) + "\n");
}

CampaignNight campaign_night(const std::vector<CampaignRow>& rows) {
  CampaignNight night;
  night.utc = utc_now();
  for (const auto& r : rows) {
    NightCounts& c = night.targets[r.target];
    if (r.status == "error") continue;  // a run that could not be made executed nothing
    const bool regression = r.kind == "regression";
    c.new_findings += r.problem && !regression;
    c.fixed += regression && r.status == "fixed";
    c.flaky += regression && r.status.starts_with("flaky");
    c.execs += r.runs;
  }
  for (const auto& [target, counts] : night.targets) add(night.totals, counts);
  return night;
}

void append_night(std::vector<CampaignNight>& nights, CampaignNight night) {
  nights.push_back(std::move(night));
  if (nights.size() > kHistoryMaxNights)
    nights.erase(nights.begin(), nights.end() - static_cast<std::ptrdiff_t>(kHistoryMaxNights));
}

}  // namespace faultline
