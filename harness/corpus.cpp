#include "corpus.h"

#include <fcntl.h>
#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>

namespace faultline {

namespace {

constexpr int kReproVersion = 1;

Error sys_error(const fs::path& p, const std::string& what) {
  return Error{p.string() + ": " + what + ": " + std::strerror(errno)};
}

bool fsync_path(const fs::path& p, int flags) {
  int fd = open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

const char* input_mode_name(InputMode m) {
  switch (m) {
    case InputMode::None: return "none";
    case InputMode::File: return "file";
    case InputMode::Stdin: return "stdin";
  }
  return "none";
}

bool valid_target_name(const std::string& s) { return std::regex_match(s, std::regex("[a-z0-9_]{1,64}")); }
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
      return Error{"field 'target' must be a target name ([a-z0-9_]+)"};
    r.target = j["target"].get<std::string>();
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

std::string binary_dir() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return ".";
  std::string p(exe, n);
  return p.substr(0, p.rfind('/'));
}

std::string reproducer_dir_name(CrashClass cls, const std::string& stack_hash) {
  return std::string(to_string(cls)) + "-" + (stack_hash.empty() ? std::string("nohash") : stack_hash);
}

Result<bool> write_file_atomic(const fs::path& path, const std::string& bytes) {
  std::string tmpl = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return sys_error(path, "cannot create temporary file");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = sys_error(path, "write failed");
      close(fd);
      unlink(tmpl.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    Error e = sys_error(path, "fsync failed");
    unlink(tmpl.c_str());
    return e;
  }
  if (rename(tmpl.c_str(), path.c_str()) != 0) {
    Error e = sys_error(path, "rename failed");
    unlink(tmpl.c_str());
    return e;
  }
  fsync_path(path.parent_path().empty() ? fs::path(".") : path.parent_path(), O_RDONLY | O_DIRECTORY);
  return true;
}

Result<Reproducer> load_reproducer(const fs::path& dir) {
  const fs::path file = fs::is_directory(dir) ? dir / "repro.json" : dir;
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{file.string() + ": cannot open: " + std::strerror(errno)};
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Error{file.string() + ": empty file"};
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Error{file.string() + ": not valid JSON (truncated or corrupt; " + std::to_string(text.size()) + " bytes)"};
  auto r = from_json(j);
  if (!r) return Error{file.string() + ": " + r.error().message};
  if (r->input != InputMode::None && !fs::exists(file.parent_path() / "input"))
    return Error{(file.parent_path() / "input").string() + ": missing (repro.json says the program reads an input)"};
  return r;
}

Result<Stored> store_reproducer(const fs::path& out_dir, const Reproducer& r, const std::optional<std::string>& input) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Error{out_dir.string() + ": cannot create directory: " + ec.message()};
  const fs::path final_dir = out_dir / reproducer_dir_name(r.expected_class, r.expected_hash);
  if (fs::exists(final_dir / "repro.json")) return Stored{final_dir, true};
  // Build it under a temporary name, then publish it with one rename.
  std::string tmpl = (out_dir / ".incoming-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return sys_error(out_dir, "cannot create temporary directory");
  const fs::path tmp(tmpl);
  auto fail = [&](Error e) -> Result<Stored> {
    fs::remove_all(tmp, ec);
    return e;
  };
  if (input) {
    if (auto w = write_file_atomic(tmp / "input", *input); !w) return fail(w.error());
  }
  if (auto w = write_file_atomic(tmp / "repro.json", to_json(r).dump(2) + "\n"); !w) return fail(w.error());
  if (rename(tmp.c_str(), final_dir.c_str()) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST) {  // another writer got there first
      fs::remove_all(tmp, ec);
      return Stored{final_dir, true};
    }
    return fail(sys_error(final_dir, "rename failed"));
  }
  fsync_path(out_dir, O_RDONLY | O_DIRECTORY);
  return Stored{final_dir, false};
}

void remove_unfinished_reproducers(const fs::path& out_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out_dir, ec))
    if (e.path().filename().string().rfind(".incoming-", 0) == 0) fs::remove_all(e.path(), ec);
}

Result<bool> rewrite_reproducer(const fs::path& dir, const Reproducer& r) {
  return write_file_atomic(dir / "repro.json", to_json(r).dump(2) + "\n");
}

Result<RunRequest> request_for(const Reproducer& r, const std::string& input_path, const std::string& bin_dir) {
  RunRequest req;
  auto schedule = Schedule::parse(r.schedule);
  if (!schedule) return schedule.error();
  req.schedule = schedule.value();
  req.argv = r.argv;
  if (!r.target.empty()) req.argv[0] = bin_dir + "/target-" + r.target;
  for (auto& a : req.argv)
    if (a == kInputPlaceholder) a = input_path;
  if (r.input == InputMode::Stdin) req.stdin_path = input_path;
  req.limits.timeout_seconds = r.timeout_seconds;
  return req;
}

Result<RunRequest> request_for(const Reproducer& r, const fs::path& dir, const std::string& bin_dir) {
  return request_for(r, fs::absolute(dir / "input").string(), bin_dir);
}

nlohmann::json environment_facts() {
  utsname u{};
  uname(&u);
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return {{"libc", std::string("glibc ") + gnu_get_libc_version()},
          {"allocator", "glibc"},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"machine", u.machine},
          {"captured", when}};
}

}  // namespace faultline
