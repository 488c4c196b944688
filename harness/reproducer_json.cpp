#include "reproducer_json.h"

#include <algorithm>
#include <cctype>
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
  if (!r.core.empty()) j["core"] = r.core;
  if (!r.target.empty()) return j;  // the manifest says where and how a target runs
  if (!r.cwd.empty()) j["cwd"] = r.cwd;
  if (!r.executable.empty()) j["executable"] = r.executable;
  if (!r.argv_files.empty()) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : r.argv_files) {
      nlohmann::json e = {{"index", f.index}, {"path", f.path}};
      if (!f.stored.empty()) e["stored"] = f.stored;
      else e["not_stored"] = f.not_stored;
      files.push_back(e);
    }
    j["argv_files"] = files;
  }
  return j;
}

constexpr size_t kMaxPathChars = 4096;

bool absolute_path_field(const nlohmann::json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return !s.empty() && s[0] == '/' && s.size() <= kMaxPathChars && s.find('\0') == std::string::npos;
}

// argv_files: each names an argv element (argv[index] is path, or --opt=path),
// once, and its copy by the one shape valid_argv_file_name allows.
Result<std::vector<ArgvFile>> argv_files_from_json(const nlohmann::json& v, const std::vector<std::string>& argv) {
  if (!v.is_array() || v.size() >= argv.size()) return Error{"field 'argv_files' must be an array, one entry per argv file at most"};
  std::vector<ArgvFile> out;
  for (size_t n = 0; n < v.size(); n++) {
    const auto& e = v[n];
    const std::string field = "field 'argv_files[" + std::to_string(n) + "]";
    if (!e.is_object() || !e.contains("index") || !e["index"].is_number_unsigned() || e["index"].get<uint64_t>() == 0 ||
        e["index"].get<uint64_t>() >= argv.size())
      return Error{field + ".index' must be the position of an argv element after the program"};
    ArgvFile f;
    f.index = e["index"].get<size_t>();
    for (const auto& seen : out)
      if (seen.index == f.index) return Error{field + ".index' names argv[" + std::to_string(f.index) + "] twice"};
    const std::string& arg = argv[f.index];
    if (!e.contains("path") || !e["path"].is_string() || e["path"].get_ref<const std::string&>().empty() ||
        e["path"] == kInputPlaceholder)
      return Error{field + ".path' must be a non-empty string, not " + kInputPlaceholder};
    f.path = e["path"].get<std::string>();
    const bool whole = arg == f.path;
    const bool option = arg.size() > f.path.size() + 1 && arg[0] == '-' && arg.ends_with("=" + f.path) &&
                        arg.find('=') == arg.size() - f.path.size() - 1;
    if (!whole && !option) return Error{field + ".path' must be argv[" + std::to_string(f.index) + "] or its FILE in --opt=FILE"};
    if (e.contains("stored")) {
      if (!e["stored"].is_string() || !valid_argv_file_name(f.index, e["stored"].get<std::string>()))
        return Error{field + ".stored' must be argv-" + std::to_string(f.index) +
                     "-NAME, NAME of [A-Za-z0-9._-] without '..' (a file in the reproducer directory)"};
      f.stored = e["stored"].get<std::string>();
    } else {
      // The reason is printed in a one-line error: printable, and short.
      if (!e.contains("not_stored") || !e["not_stored"].is_string() || e["not_stored"].get_ref<const std::string&>().size() > 200 ||
          !std::regex_match(e["not_stored"].get<std::string>(), std::regex("[ -~]*")))
        return Error{field + "' must have 'stored' or a 'not_stored' reason (a line of printable ASCII, at most 200)"};
      f.not_stored = e["not_stored"].get<std::string>();
    }
    out.push_back(std::move(f));
  }
  return out;
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
    // A C string ends at NUL: the program would get less than the file says.
    if (a.get_ref<const std::string&>().find('\0') != std::string::npos)
      return Error{"field 'argv[" + std::to_string(r.argv.size()) + "]' holds a NUL byte, which no argument can carry"};
    r.argv.push_back(a.get<std::string>());
  }
  if (!j.contains("schedule") || !j["schedule"].is_string()) return Error{"field 'schedule' must be a string"};
  r.schedule = j["schedule"].get<std::string>();
  if (std::any_of(r.schedule.begin(), r.schedule.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    return Error{"field 'schedule' holds a control character (a schedule is one line of text)"};
  if (auto s = Schedule::parse(r.schedule); !s) return Error{"field 'schedule': " + s.error().message};
  if (j.contains("input") && !j["input"].is_string()) return Error{"field 'input' must be one of none, file, stdin"};
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
  // Only ever the file beside repro.json: a name from a pull request must not point elsewhere.
  if (j.contains("core")) {
    if (j["core"] != "core") return Error{"field 'core' must be \"core\" (the core file beside repro.json)"};
    r.core = "core";
  }
  if (j.contains("cwd")) {
    if (!absolute_path_field(j["cwd"])) return Error{"field 'cwd' must be an absolute path"};
    r.cwd = j["cwd"].get<std::string>();
  }
  if (j.contains("executable")) {
    if (!absolute_path_field(j["executable"])) return Error{"field 'executable' must be an absolute path"};
    r.executable = j["executable"].get<std::string>();
  }
  if (j.contains("argv_files")) {
    auto files = argv_files_from_json(j["argv_files"], r.argv);
    if (!files) return files.error();
    r.argv_files = std::move(files.value());
  }
  // Checked all the same, then dropped: a target runs as its manifest says.
  if (!r.target.empty()) r.cwd.clear(), r.executable.clear(), r.argv_files.clear();
  return r;
}

}  // namespace

std::string argv_file_name(size_t index, const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  for (size_t at; (at = base.find("..")) != std::string::npos;) base[at + 1] = '_';
  if (base.size() > 64) base = base.substr(base.size() - 64);  // the end keeps the extension
  if (base.empty()) base = "file";
  return "argv-" + std::to_string(index) + "-" + base;
}

bool valid_argv_file_name(size_t index, const std::string& name) {
  const std::string prefix = "argv-" + std::to_string(index) + "-";
  return name.starts_with(prefix) && name.size() <= prefix.size() + 64 && name.find("..") == std::string::npos &&
         std::regex_match(name.substr(prefix.size()), std::regex("[A-Za-z0-9._-]+"));
}

bool valid_target_name(const std::string& s) { return std::regex_match(s, std::regex("[A-Za-z0-9_-]{1,64}")); }

nlohmann::json reproducer_to_json(const Reproducer& r) { return to_json(r); }

Result<Reproducer> parse_reproducer_json(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Error{"empty file"};
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{"not valid JSON (truncated or corrupt; " + std::to_string(text.size()) + " bytes)"};
  return from_json(j);
}

}  // namespace faultline
