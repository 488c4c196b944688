#include "store/reproducer_json.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>

#include "base/engines.h"
#include "base/schedule.hpp"

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

// Well-formed UTF-8 (Unicode table 3-7: no overlong forms, no surrogates,
// nothing above U+10FFFF), the strings nlohmann's dump accepts.
bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) n = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else return false;
    if (i + n >= s.size()) return false;  // cut short
    for (size_t k = 1; k <= n; k++) {
      const unsigned char b = byte(i + k);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return false;
    }
    i += n + 1;
  }
  return true;
}

// Program bytes (argv, paths) need not be UTF-8, and a JSON string must be;
// replacing a byte would make the replay run another command. Such a string
// is stored as {"bytes_hex": "..."}, every byte kept.
nlohmann::json bytes_json(const std::string& s) {
  if (valid_utf8(s)) return s;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : s) hex += {kDigits[c >> 4], kDigits[c & 15]};
  return {{"bytes_hex", hex}};
}

// A string, or bytes_json's {"bytes_hex"} form of one; nullopt when v is neither.
std::optional<std::string> bytes_from_json(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_object() || v.size() != 1 || !v.contains("bytes_hex") || !v["bytes_hex"].is_string()) return std::nullopt;
  const auto& hex = v["bytes_hex"].get_ref<const std::string&>();
  const auto digit = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (digit(hex[i]) < 0 || digit(hex[i + 1]) < 0) return std::nullopt;
    out += static_cast<char>(digit(hex[i]) << 4 | digit(hex[i + 1]));
  }
  return out;
}

nlohmann::json to_json(const Reproducer& r) {
  nlohmann::json argv = nlohmann::json::array();
  for (const auto& a : r.argv) argv.push_back(bytes_json(a));
  nlohmann::json j = {{"faultline_repro", kReproVersion},
                      {"argv", argv},
                      {"schedule", r.schedule},
                      {"input", input_mode_name(r.input)},
                      {"timeout_s", r.timeout_seconds},
                      {"expected", {{"class", to_string(r.expected_class)}, {"stack_hash", r.expected_hash}}},
                      {"environment", r.environment}};
  if (!r.target.empty()) j["target"] = r.target;
  if (!r.engine.empty()) j["engine"] = r.engine;
  if (!r.core.empty()) j["core"] = r.core;
  if (!r.target.empty()) return j;  // the manifest says where and how a target runs
  if (!r.cwd.empty()) j["cwd"] = bytes_json(r.cwd);
  if (!r.executable.empty()) j["executable"] = bytes_json(r.executable);
  if (!r.argv_files.empty()) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : r.argv_files) {
      nlohmann::json e = {{"index", f.index}, {"path", bytes_json(f.path)}};
      if (!f.stored.empty()) e["stored"] = f.stored;
      else e["not_stored"] = f.not_stored;
      files.push_back(e);
    }
    j["argv_files"] = files;
  }
  return j;
}

constexpr size_t kMaxPathChars = 4096;

// The path v holds (as a string or bytes_json's form), when it is absolute.
std::optional<std::string> absolute_path_field(const nlohmann::json& v) {
  auto s = bytes_from_json(v);
  if (!s || s->empty() || (*s)[0] != '/' || s->size() > kMaxPathChars || s->find('\0') != std::string::npos) return std::nullopt;
  return s;
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
    auto path = e.contains("path") ? bytes_from_json(e["path"]) : std::nullopt;
    if (!path || path->empty() || *path == kInputPlaceholder)
      return Error{field + ".path' must be a non-empty string, not " + kInputPlaceholder};
    f.path = *path;
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
    const std::string field = "field 'argv[" + std::to_string(r.argv.size()) + "]'";
    auto arg = bytes_from_json(a);
    if (!arg) return Error{field + " must be a string, or {\"bytes_hex\": HEX} for bytes that are not UTF-8"};
    // A C string ends at NUL: the program would get less than the file says.
    if (arg->find('\0') != std::string::npos) return Error{field + " holds a NUL byte, which no argument can carry"};
    r.argv.push_back(std::move(*arg));
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
    auto cwd = absolute_path_field(j["cwd"]);
    if (!cwd) return Error{"field 'cwd' must be an absolute path"};
    r.cwd = *cwd;
  }
  if (j.contains("executable")) {
    auto executable = absolute_path_field(j["executable"]);
    if (!executable) return Error{"field 'executable' must be an absolute path"};
    r.executable = *executable;
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

std::string reproducer_json_text(const Reproducer& r) {
  // Program bytes are kept by bytes_json; free text from the capture (the
  // environment's facts) may have its odd bytes replaced, never throw.
  return to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<Reproducer> parse_reproducer_json(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Error{"empty file"};
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{"not valid JSON (truncated or corrupt; " + std::to_string(text.size()) + " bytes)"};
  return from_json(j);
}

}  // namespace faultline
