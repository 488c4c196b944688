// Helpers for end-to-end tests: run the real faultline binary in a scratch
// directory and look at its exit code, output and JSON report.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace faultline::test {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

// A fresh directory per test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    std::string t = (fs::temp_directory_path() / "faultline-test-XXXXXX").string();
    path_ = mkdtemp(t.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// faultline's own manifest, which declares the built-in targets.
inline std::string own_manifest() { return std::string(FAULTLINE_SOURCE_DIR) + "/faultline.toml"; }

// Runs build/bin/faultline with `args` exactly as given, in the working
// directory cwd; its output is kept in dir.
// With watchdog_s, `timeout -s KILL` ends it after that long: for tests whose
// failure would leave faultline stopped or traced by its own child.
inline CliResult run_faultline_in(const fs::path& cwd, const std::vector<std::string>& args, const ScratchDir& dir,
                                  int watchdog_s = 0) {
  std::string cmd = "cd " + shell_quote(cwd.string()) + " && " +
                    (watchdog_s ? "exec timeout -s KILL " + std::to_string(watchdog_s) + " " : std::string()) +
                    shell_quote(std::string(FAULTLINE_BIN_DIR) + "/faultline");
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote((dir / ".cli-out").string()) + " 2>" + shell_quote((dir / ".cli-err").string());
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir / ".cli-out");
  r.err = read_file(dir / ".cli-err");
  return r;
}

// ... in `dir` itself: no faultline.toml above it, unlike the build tree's.
inline CliResult run_faultline_as_given(const std::vector<std::string>& args, const ScratchDir& dir) {
  return run_faultline_in(dir.path(), args, dir);
}

// Runs faultline in the project of faultline's own targets: commands that
// take --project get `--project <source>/faultline.toml` unless the test gave
// one (or ran a one-off --fuzzer), as a user in the repository would have it
// found for them.
inline CliResult run_faultline(std::vector<std::string> args, const ScratchDir& dir) {
  static const std::vector<std::string> with_project = {"run", "replay", "campaign", "stack", "explore", "minimize", "alloc", "fuzz"};
  const bool takes = !args.empty() && std::find(with_project.begin(), with_project.end(), args[0]) != with_project.end();
  const bool given = std::find(args.begin(), args.end(), "--project") != args.end() ||
                     std::find(args.begin(), args.end(), "--fuzzer") != args.end();
  if (takes && !given) args.insert(args.begin() + 1, {"--project", own_manifest()});
  return run_faultline_as_given(args, dir);
}

// The first frame the stack hash was taken from: the frame a human would blame.
inline nlohmann::json blamed_frame(const nlohmann::json& report) {
  for (const auto& f : report["frames"])
    if (f["in_hash"]) return f;
  return {};
}

// Processes (other than this one) whose /proc/<pid>/<file> satisfies `matches`:
// what a run left behind, found whatever ids it had inside its PID namespace.
template <typename Matches>
std::vector<pid_t> processes_whose(const std::string& file, Matches matches) {
  std::vector<pid_t> found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const pid_t pid = static_cast<pid_t>(std::strtol(e.path().filename().c_str(), nullptr, 10));
    if (pid <= 0 || pid == getpid()) continue;
    std::ifstream in(e.path() / file);
    if (matches(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()))) found.push_back(pid);
  }
  return found;
}

// ... whose command line mentions `text`.
inline std::vector<pid_t> processes_mentioning(const std::string& text) {
  return processes_whose("cmdline", [&](const std::string& cmdline) { return cmdline.find(text) != std::string::npos; });
}

// Writes a crash_zoo input ("null", "stack-thread 2000", ...) and returns its path.
inline std::string zoo_input(const ScratchDir& dir, const std::string& text) {
  static int n = 0;
  fs::path p = dir / ("zoo-input-" + std::to_string(n++));
  write_file(p, text + "\n");
  return p.string();
}

inline nlohmann::json read_report(const fs::path& p) { return nlohmann::json::parse(read_file(p)); }

// What a directory holds (reproducers, corpus entries); none when it does not exist.
inline std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path());
  return out;
}

inline std::string zoo_driver() { return std::string(FAULTLINE_BIN_DIR) + "/target-crash_zoo"; }

// `faultline stack ARGS` with its reproducers in dir/repros and its JSON
// result read back ({} when it wrote none, as on a usage error).
struct StackSearch {
  CliResult cli;
  nlohmann::json result;
};
inline StackSearch stack_search(const ScratchDir& d, std::vector<std::string> args) {
  // Before any `-- PROGRAM`, which takes everything after it.
  args.insert(args.begin(), {"stack", "--out", (d / "repros").string(), "--report", (d / "stack.json").string()});
  StackSearch s;
  s.cli = run_faultline(args, d);
  if (fs::exists(d / "stack.json")) s.result = read_report(d / "stack.json");
  fs::remove(d / "stack.json");  // a later search that writes none is not read as this one
  return s;
}

}  // namespace faultline::test
