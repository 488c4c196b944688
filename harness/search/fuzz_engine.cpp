#include "search/fuzz_engine.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>

#include "base/allocators.h"
#include "store/corpus.h"
#include "base/shell_words.h"

namespace faultline {

namespace fs = std::filesystem;

namespace {

constexpr double kEngineGraceSeconds = 60;  // for the engine to wrap up after its budget

std::vector<fs::path> files_in(const fs::path& dir, const std::string& prefix = "") {
  std::vector<fs::path> out;
  for (auto& p : sorted_entries(dir, true))
    if (p.filename().string().rfind(prefix, 0) == 0) out.push_back(std::move(p));
  return out;
}

uint64_t parse_count(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == ':')) s.remove_prefix(1);
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);  // a torn or overlong number leaves 0
  return v;
}

std::string whole_seconds(double s) { return std::to_string(std::max(1, static_cast<int>(s))); }

// libFuzzer: in-process, the injector preloaded, fork mode so a crash does
// not end the run.
class LibFuzzer final : public Engine {
 public:
  const FuzzEngine& info() const override { return *fuzz_engine_by_name("libfuzzer"); }

  Result<RunResult> fuzz(const EngineContext& c, double seconds) const override {
    std::vector<std::string> argv = {c.binary.string(),
                                     "-fork=" + std::to_string(c.jobs),
                                     "-ignore_crashes=1",
                                     "-ignore_timeouts=1",
                                     "-ignore_ooms=1",
                                     "-max_total_time=" + whole_seconds(seconds),
                                     "-artifact_prefix=" + (fs::absolute(c.work) / "artifacts").string() + "/"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    if (!c.dict.empty()) argv.push_back("-dict=" + c.dict.string());
    // New inputs go to the first directory only: the scratch queue.
    argv.push_back((c.work / "queue").string());
    for (const auto& d : c.inputs) argv.push_back(d.string());
    return supervise(argv, c.schedule, c.inject_library, {}, seconds + kEngineGraceSeconds, c.work);
  }

  std::vector<fs::path> crash_artifacts(const EngineContext& c) const override {
    std::vector<fs::path> out;
    for (const char* kind : {"crash-", "oom-"})
      for (auto& p : files_in(c.work / "artifacts", kind)) out.push_back(p);
    return out;
  }

  // The last "#<runs>: cov: ..." line of -fork mode.
  uint64_t executions(const EngineContext&, const std::string& log) const override {
    uint64_t total = 0;
    for (size_t at = log.find('#'); at != std::string::npos; at = log.find('#', at + 1)) {
      size_t digits = at + 1;
      while (digits < log.size() && std::isdigit(static_cast<unsigned char>(log[digits]))) digits++;
      if (digits > at + 1 && log.compare(digits, 6, ": cov:") == 0)
        total = parse_count(std::string_view(log).substr(at + 1, digits - at - 1));
    }
    return total;
  }

  std::string refused_seeds(const std::string&) const override { return ""; }  // -fork: crashes do not stop it

  Result<RunResult> minimize_testcase(const EngineContext& c, const fs::path& crash, const fs::path& out,
                                      double seconds) const override {
    return supervise({c.binary.string(), "-minimize_crash=1", "-max_total_time=" + whole_seconds(seconds),
                      "-exact_artifact_path=" + out.string(), crash.string()},
                     c.schedule, c.inject_library, {}, seconds + 10, c.work);
  }

  Result<bool> minimize_corpus(const EngineContext& c, const fs::path& corpus, const fs::path& out,
                               double seconds) const override {
    if (files_in(c.work / "queue").empty()) return false;
    std::error_code ec;
    fs::create_directories(out, ec);
    // A crash during the merge is written beside it, not into the current directory.
    std::vector<std::string> argv = {c.binary.string(), "-merge=1", "-artifact_prefix=" + (out.parent_path() / "crash-").string(),
                                     out.string()};
    if (fs::is_directory(corpus, ec)) argv.push_back(corpus.string());
    argv.push_back((c.work / "queue").string());
    auto run = supervise(argv, "", "", {}, seconds, c.work);
    if (!run) return run.error();
    return merge_result(c, run.value());
  }

  static Result<bool> merge_result(const EngineContext& c, const RunResult& run) {
    const fs::path log = c.work / "merge.log";
    (void)write_file_atomic(log, run.err.tail + run.out.tail);
    if (run.end != RunResult::End::Exited || run.exit_code != 0)
      return Error{"the engine's merge failed; corpus kept as it was (see " + log.string() + ")"};
    return true;
  }
};

// AFL++: one afl-fuzz per job over one sync directory, the injector as AFL_PRELOAD.
class AflPlusPlus final : public Engine {
 public:
  const FuzzEngine& info() const override { return *fuzz_engine_by_name("afl"); }

  Result<RunResult> fuzz(const EngineContext& c, double seconds) const override {
    // afl-fuzz takes one input directory: the seeds and the kept corpus.
    const fs::path in = c.work / "afl-in";
    std::error_code ec;
    fs::create_directories(in, ec);
    for (size_t i = 0; i < c.inputs.size(); i++)
      for (const auto& f : files_in(c.inputs[i]))
        fs::copy_file(f, in / (std::to_string(i) + "-" + f.filename().string()), ec);
    // afl-fuzz refuses to start when every seed crashes (with the injector's
    // sentinels aborting, a seed that shows the bug does): one that does not.
    if (auto w = write_file_atomic(in / "faultline-empty-line", "\n"); !w) return w.error();
    // Several instances share one sync directory: -M main, -S worker<N>. Each
    // dies with the shell (setpriv --pdeathsig), which dies with faultline.
    std::string script;
    for (int i = 0; i < c.jobs; i++) {
      std::vector<std::string> argv = {"setpriv", "--pdeathsig", "KILL", "afl-fuzz", "-i", in.string(),
                                       "-o", (c.work / "afl").string(), "-V", whole_seconds(seconds)};
      if (!c.dict.empty()) argv.insert(argv.end(), {"-x", c.dict.string()});
      argv.insert(argv.end(), {i == 0 ? "-M" : "-S", i == 0 ? "main" : "worker" + std::to_string(i), "--",
                               c.binary.string()});
      for (const auto& a : argv) script += shell_quote(a) + " ";
      script += "& ";
    }
    script += "wait";
    auto env = environment(c.inject_library, c.schedule);
    if (!env) return env.error();
    return supervise({"/bin/sh", "-c", script}, c.schedule, "", env.value(), seconds + kEngineGraceSeconds, c.work);
  }

  std::vector<fs::path> crash_artifacts(const EngineContext& c) const override {
    std::vector<fs::path> out;
    for (const auto& inst : sorted_entries(c.work / "afl"))
      for (auto& p : files_in(inst / "crashes", "id:")) out.push_back(p);
    return out;
  }

  // execs_done of every instance's fuzzer_stats.
  uint64_t executions(const EngineContext& c, const std::string&) const override {
    uint64_t total = 0;
    for (const auto& inst : sorted_entries(c.work / "afl")) {
      std::ifstream f(inst / "fuzzer_stats");
      for (std::string line; std::getline(f, line);)
        if (line.rfind("execs_done", 0) == 0) total += parse_count(std::string_view(line).substr(10));
    }
    return total;
  }

  std::string refused_seeds(const std::string& log) const override {
    return log.find("at least one valid input seed that does not crash") != std::string::npos
               ? "every input crashes under this schedule, even an empty line: afl-fuzz cannot start"
               : "";
  }

  Result<RunResult> minimize_testcase(const EngineContext& c, const fs::path& crash, const fs::path& out,
                                      double seconds) const override {
    auto env = environment(c.inject_library, c.schedule);
    if (!env) return env.error();
    return supervise({"afl-tmin", "-i", crash.string(), "-o", out.string(), "--", c.binary.string()}, c.schedule, "",
                     env.value(), seconds + 10, c.work);
  }

  Result<bool> minimize_corpus(const EngineContext& c, const fs::path& corpus, const fs::path& out,
                               double seconds) const override {
    const fs::path in = c.work / "cmin-in";
    std::error_code ec;
    fs::create_directories(in, ec);
    for (const auto& f : files_in(corpus)) fs::copy_file(f, in / ("kept-" + f.filename().string()), ec);
    for (const auto& inst : sorted_entries(c.work / "afl"))
      for (const auto& f : files_in(inst / "queue", "id:"))
        fs::copy_file(f, in / (inst.filename().string() + "-" + f.filename().string().substr(0, 9)), ec);
    if (files_in(in).empty()) return false;
    auto run = supervise({"afl-cmin", "-i", in.string(), "-o", out.string(), "--", c.binary.string()}, "", "",
                         environment("", "").value(), seconds, c.work);
    if (!run) return run.error();
    return LibFuzzer::merge_result(c, run.value());
  }

 private:
  // AFL++ in a container: no UI, no CPU pinning or governor checks, and crashes
  // are what we look for, whatever core_pattern says. afl-fuzz gives the
  // target AFL_PRELOAD as its LD_PRELOAD: the injector, then the schedule's
  // allocator (its RTLD_NEXT), as the runner orders them.
  static Result<std::vector<std::string>> environment(const std::string& inject_library, const std::string& schedule) {
    std::vector<std::string> env = {"AFL_NO_UI=1", "AFL_SKIP_CPUFREQ=1", "AFL_NO_AFFINITY=1",
                                    "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1", "AFL_IGNORE_PROBLEMS=1", "AFL_QUIET=1",
                                    "AFL_ALLOW_TMP=1"};  // the work directory is ours, made fresh
    auto parsed = Schedule::parse(schedule);
    if (!parsed) return parsed.error();
    auto allocator = allocator_preload(parsed.value());
    if (!allocator) return allocator.error();
    std::string preload = inject_library;
    if (!allocator->empty()) preload += (preload.empty() ? "" : ":") + allocator.value();
    if (!preload.empty()) env.push_back("AFL_PRELOAD=" + preload);
    return env;
  }
};

}  // namespace

const Engine& engine_for(const FuzzEngine& e) {
  static const LibFuzzer libfuzzer;
  static const AflPlusPlus afl;
  return std::string(e.name) == "afl" ? static_cast<const Engine&>(afl) : libfuzzer;
}

Result<RunResult> supervise(std::vector<std::string> argv, const std::string& schedule, const std::string& preload,
                            std::vector<std::string> env, double timeout, const fs::path& work) {
  RunRequest r;
  if (!work.empty()) {
    // The engine's own temporaries (libFuzzer's FuzzWithFork dirs, afl-cmin's)
    // go in the work dir, which the next run wipes, not in a shared /tmp for ever.
    std::error_code ec;
    fs::create_directories(work / "tmp", ec);
    env.push_back("TMPDIR=" + fs::absolute(work / "tmp", ec).string());
  }
  r.argv = std::move(argv);
  auto s = Schedule::parse(schedule);
  if (!s) return s.error();
  r.schedule = s.value();
  r.inject_library = preload;
  r.extra_env = std::move(env);
  r.supervise_only = true;
  r.limits.timeout_seconds = timeout;
  r.limits.file_size_bytes = 1ull << 30;
  return run_program(r);
}

}  // namespace faultline
