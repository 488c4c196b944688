#include "reproducer_json.h"

#include <regex>

#include "engines.h"
#include "schedule.hpp"

namespace faultline {

namespace {

constexpr int kReproVersion = 1;

const char* input_mode_name(InputMode m) {
  switch (m) {
    case InputMode::None: return "none";
    case InputMode::File: return "file";
    case InputMode::Stdin: return "stdin";
  }
  return "none";
}

bool valid_hash(const std::string& s) { return std::regex_match(s, std::regex("[0-9a-f]{16}")); }

nlohmann::json to_json(const Reproducer& r) {
  nlohmann::json j = {{"faultline_repro", kReproVersion},
                      {"argv", r.argv},
                      {"schedule", r.schedule},
                      {"input", input_mode_name(r.input)},
                      {"timeout_s", r.timeout_seconds},
                      {"expected", {{"class", to_string(r.expected_class)}, {"stack_hash", r.expected_hash}}},
                      {"environment", r.environment}};
  if (!r.target.empty()) j["target"] = r.target;
  if (!r.engine.empty()) j["engine"] = r.engine;
  return j;
}

// Field-by-field validation; the message names the field that is wrong.
Result<Reproducer> from_json(const nlohmann::json& j) {
  using nlohmann::json;
  if (!j.is_object()) return Error{"top level is not a JSON object"};
  if (!j.contains("faultline_repro") || j["faultline_repro"] != kReproVersion)
    return Error{"field 'faultline_repro' must be " + std::to_string(kReproVersion)};
  Reproducer r;
  if (j.contains("target")) {
    if (!j["target"].is_string() || !valid_target_name(j["target"].get<std::string>()))
      return Error{"field 'target' must be a target name ([A-Za-z0-9_-]{1,64})"};
    r.target = j["target"].get<std::string>();
  }
  if (j.contains("engine")) {
    if (!j["engine"].is_string() || !fuzz_engine_by_name(j["engine"].get<std::string>()) || r.target.empty())
      return Error{"field 'engine' must be one of " + fuzz_engine_names() + ", with field 'target'"};
    r.engine = j["engine"].get<std::string>();
  }
  if (!j.contains("argv") || !j["argv"].is_array() || j["argv"].empty())
    return Error{"field 'argv' must be a non-empty array of strings"};
  for (const auto& a : j["argv"]) {
    if (!a.is_string()) return Error{"field 'argv' must be a non-empty array of strings"};
    r.argv.push_back(a.get<std::string>());
  }
  if (!j.contains("schedule") || !j["schedule"].is_string()) return Error{"field 'schedule' must be a string"};
  r.schedule = j["schedule"].get<std::string>();
  if (auto s = Schedule::parse(r.schedule); !s) return Error{"field 'schedule': " + s.error().message};
  const std::string mode = j.value("input", std::string("none"));
  if (mode == "file") r.input = InputMode::File;
  else if (mode == "stdin") r.input = InputMode::Stdin;
  else if (mode != "none") return Error{"field 'input' must be one of none, file, stdin"};
  if (j.contains("timeout_s")) {
    if (!j["timeout_s"].is_number() || j["timeout_s"].get<double>() <= 0 || j["timeout_s"].get<double>() > 86400)
      return Error{"field 'timeout_s' must be a number of seconds in (0, 86400]"};
    r.timeout_seconds = j["timeout_s"].get<double>();
  }
  if (!j.contains("expected") || !j["expected"].is_object()) return Error{"field 'expected' must be an object"};
  const auto& e = j["expected"];
  auto cls = e.contains("class") && e["class"].is_string() ? crash_class_from_string(e["class"].get<std::string>())
                                                           : std::nullopt;
  if (!cls) return Error{"field 'expected.class' must be a crash class name (see DESIGN.md)"};
  r.expected_class = *cls;
  if (!e.contains("stack_hash") || !e["stack_hash"].is_string()) return Error{"field 'expected.stack_hash' must be a string"};
  r.expected_hash = e["stack_hash"].get<std::string>();
  if (!r.expected_hash.empty() && !valid_hash(r.expected_hash))
    return Error{"field 'expected.stack_hash' must be 16 lowercase hex digits or empty"};
  if (j.contains("environment")) r.environment = j["environment"];
  return r;
}

}  // namespace

bool valid_target_name(const std::string& s) { return std::regex_match(s, std::regex("[A-Za-z0-9_-]{1,64}")); }

nlohmann::json reproducer_to_json(const Reproducer& r) { return to_json(r); }

Result<Reproducer> parse_reproducer_json(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Error{"empty file"};
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{"not valid JSON (truncated or corrupt; " + std::to_string(text.size()) + " bytes)"};
  return from_json(j);
}

}  // namespace faultline
