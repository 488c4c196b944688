#include "fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cctype>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "allocators.h"
#include "corpus.h"
#include "dedup.h"
#include "minimize.h"
#include "runner.h"

namespace faultline {

namespace fs = std::filesystem;

int FuzzOutcome::new_buckets() const {
  return static_cast<int>(std::count_if(crashes.begin(), crashes.end(), [](const FuzzCrash& c) { return c.status == "new"; }));
}

namespace {

constexpr double kEngineGraceSeconds = 60;   // for the engine to wrap up after its budget
constexpr int kScheduleMinimizeRuns = 30;
constexpr double kMergeSeconds = 120;

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

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// <target>.options, ClusterFuzz style: an INI section per engine. `dict` is
// relative to the file; every other key is a libFuzzer flag.
struct EngineOptions {
  std::string dict;
  std::vector<std::string> flags;
};
Result<EngineOptions> read_options(const fs::path& file, const FuzzEngine& engine) {
  EngineOptions out;
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  boost::property_tree::ptree tree;
  try {
    boost::property_tree::read_ini(file.string(), tree);
  } catch (const boost::property_tree::ini_parser_error& e) {
    return Error{file.string() + ": " + e.message() + " (line " + std::to_string(e.line()) + ")"};
  }
  auto section = tree.get_child_optional(engine.options_section);
  if (!section) return out;
  for (const auto& [key, value] : *section) {
    const std::string v = value.get_value<std::string>();
    if (key == "dict") out.dict = (file.parent_path() / v).string();
    else out.flags.push_back("-" + key + "=" + v);
  }
  return out;
}

// A fenced, untraced child: the engine, its minimizer or its merger.
Result<RunResult> supervise(std::vector<std::string> argv, const std::string& schedule, const std::string& preload,
                            std::vector<std::string> env, double timeout) {
  RunRequest r;
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

// AFL++ in a container: no UI, no CPU pinning or governor checks, and crashes
// are what we look for, whatever core_pattern says.
// afl-fuzz gives the target AFL_PRELOAD as its LD_PRELOAD: the injector,
// then the schedule's allocator (its RTLD_NEXT), as the runner orders them.
Result<std::vector<std::string>> afl_environment(const std::string& inject_library, const std::string& schedule) {
  std::vector<std::string> env = {"AFL_NO_UI=1", "AFL_SKIP_CPUFREQ=1", "AFL_NO_AFFINITY=1",
                                  "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1", "AFL_IGNORE_PROBLEMS=1", "AFL_QUIET=1",
                                  "AFL_ALLOW_TMP=1"};  // the work directory is ours, made fresh
  auto parsed = Schedule::parse(schedule);
  if (!parsed) return parsed.error();
  auto allocator = allocator_library_path(scheduled_allocator(parsed.value()));
  if (!allocator) return allocator.error();
  std::string preload = inject_library;
  if (!allocator->empty()) preload += (preload.empty() ? "" : ":") + allocator.value();
  if (!preload.empty()) env.push_back("AFL_PRELOAD=" + preload);
  return env;
}

// AFL++'s fuzzer_stats (execs_done of every instance), or libFuzzer's last
// "#<runs>: cov: ..." line of -fork mode.
uint64_t executions_reported(bool afl, const fs::path& work, const std::string& log) {
  uint64_t total = 0;
  if (afl) {
    for (const auto& inst : sorted_entries(work / "afl")) {
      std::ifstream f(inst / "fuzzer_stats");
      for (std::string line; std::getline(f, line);)
        if (line.rfind("execs_done", 0) == 0) total += parse_count(std::string_view(line).substr(10));
    }
    return total;
  }
  for (size_t at = log.find('#'); at != std::string::npos; at = log.find('#', at + 1)) {
    size_t digits = at + 1;
    while (digits < log.size() && std::isdigit(static_cast<unsigned char>(log[digits]))) digits++;
    if (digits > at + 1 && log.compare(digits, 6, ": cov:") == 0) total = parse_count(std::string_view(log).substr(at + 1, digits - at - 1));
  }
  return total;
}

struct Artifact {
  fs::path path;
  fs::file_time_type written;
};

// The crashing inputs the engine saved, in the order it saved them.
std::vector<Artifact> crash_artifacts(bool afl, const fs::path& work) {
  std::vector<fs::path> files;
  if (afl) {
    for (const auto& inst : sorted_entries(work / "afl"))
      for (auto& p : files_in(inst / "crashes", "id:")) files.push_back(p);
  } else {
    for (const char* kind : {"crash-", "oom-"})
      for (auto& p : files_in(work / "artifacts", kind)) files.push_back(p);
  }
  std::vector<Artifact> out;
  for (auto& f : files) {
    std::error_code ec;
    const auto t = fs::last_write_time(f, ec);
    if (!ec) out.push_back({std::move(f), t});
  }
  std::stable_sort(out.begin(), out.end(), [](const Artifact& a, const Artifact& b) { return a.written < b.written; });
  return out;
}

int fsync_directory(const fs::path& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = fsync(fd);
  close(fd);
  return r;
}

// Replaces dir with the files in `from`, each named by a hash of its bytes,
// as one step (RENAME_EXCHANGE of a private directory): a kill at any moment
// leaves either the old corpus or the new one. The caller holds the corpus lock.
Result<bool> replace_corpus(const fs::path& dir, const std::vector<fs::path>& from) {
  std::string pattern = (dir.parent_path() / ".corpus-incoming-XXXXXX").string();
  if (!mkdtemp(pattern.data())) return Error{pattern + ": " + std::strerror(errno)};
  const fs::path incoming = pattern;
  std::error_code ec;
  for (const auto& f : from) {
    const std::string bytes = read_file(f);
    if (auto w = write_file_atomic(incoming / fnv1a_hex(bytes), bytes); !w) {
      fs::remove_all(incoming, ec);
      return w.error();
    }
  }
  if (!fs::exists(dir, ec)) {
    fs::rename(incoming, dir, ec);
    if (ec) return Error{dir.string() + ": " + ec.message()};
  } else if (renameat2(AT_FDCWD, incoming.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
    const std::string why = std::strerror(errno);
    fs::remove_all(incoming, ec);
    return Error{dir.string() + ": cannot swap in the merged corpus: " + why};
  }
  fsync_directory(dir.parent_path());
  fs::remove_all(incoming, ec);  // the old corpus, after an exchange
  return true;
}

// Held while a run merges into corpora/<target>/corpus: runs on one target
// (several jobs of a CI matrix, say) take turns instead of losing inputs.
class CorpusLock {
 public:
  explicit CorpusLock(const fs::path& target_dir)
      : fd_(open((target_dir / ".corpus.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~CorpusLock() {
    if (fd_ >= 0) close(fd_);
  }
  CorpusLock(const CorpusLock&) = delete;
  CorpusLock& operator=(const CorpusLock&) = delete;

 private:
  int fd_;
};

class Fuzzer {
 public:
  explicit Fuzzer(const FuzzRequest& req)
      : req_(req),
        afl_(std::string(req.engine->name) == "afl"),
        bin_dir_(engine_bin_dir(*req.engine)),
        binary_(bin_dir_ + "/fuzz-" + req.target),
        target_dir_(req.corpora / req.target),
        store_(req.store.empty() ? target_dir_ / "regressions" : req.store) {}

  Result<FuzzOutcome> run() {
    if (access(binary_.c_str(), X_OK) != 0)
      return Error{binary_ + ": not built (cmake --preset " + req_.engine->preset + " && cmake --build --preset " +
                   req_.engine->preset + ", or scripts/bootstrap.sh)"};
    std::error_code ec;
    if (!fs::is_directory(target_dir_ / "seeds", ec)) return Error{(target_dir_ / "seeds").string() + ": no seed corpus"};
    auto options = read_options(fs::path(bin_dir_) / (req_.target + ".options"), *req_.engine);
    if (!options) return options.error();
    fs::remove_all(req_.work, ec);  // each run starts clean; what matters is stored in corpora/
    for (const char* d : {"queue", "artifacts", "min"})
      if (fs::create_directories(req_.work / d, ec); ec) return Error{(req_.work / d).string() + ": " + ec.message()};
    remove_unfinished_reproducers(store_);
    out_.corpus_before = files_in(target_dir_ / "corpus").size();
    out_.engine_log = req_.work / "engine.log";

    const auto started = fs::file_time_type::clock::now();
    auto run = afl_ ? run_afl(options.value()) : run_libfuzzer(options.value());
    if (!run) return run.error();
    out_.seconds = run->wall_seconds;
    const std::string log = run->err.head + (run->err.truncated() ? "\n[...]\n" + run->err.tail : "") + run->out.tail;
    if (auto w = write_file_atomic(out_.engine_log, log); !w) return w.error();
    out_.executions = executions_reported(afl_, req_.work, log);
    const auto artifacts = crash_artifacts(afl_, req_.work);
    // libFuzzer exits non-zero after any crash; "it ran nothing" is the failure.
    if (out_.executions == 0 && artifacts.empty())
      return Error{std::string(req_.engine->name) + " ran nothing on " + binary_ + ": " + last_line(log) + " (" +
                   out_.engine_log.string() + ")"};

    for (const auto& a : artifacts) {
      const double found_at = std::chrono::duration<double>(a.written - started).count();
      if (out_of_time()) {
        out_.crashes.push_back(triaged(a.path, found_at, CrashReport{}));
        out_.crashes.back().status = "not triaged (budget)";
        continue;
      }
      auto rep = triage_input(a.path, req_.schedule);
      if (!rep) return rep.error();
      out_.crashes.push_back(triaged(a.path, found_at, rep.value()));
    }
    if (auto b = bucket_crashes(out_.crashes); !b) return b.error();
    if (req_.merge && out_of_time()) out_.merge_problem = "no time left in the budget";
    else if (req_.merge) merge();
    out_.corpus_after = files_in(target_dir_ / "corpus").size();
    return out_;
  }

 private:
  // The engine's last words, for the error line: at most 200 characters.
  static std::string last_line(const std::string& log) {
    const size_t end = log.find_last_not_of(" \n\r\t");
    if (end == std::string::npos) return "no output";
    const size_t newline = log.rfind('\n', end);
    const size_t start = newline == std::string::npos ? 0 : newline + 1;
    return log.substr(start, std::min<size_t>(end + 1 - start, 200));
  }

  bool out_of_time() const { return req_.deadline && std::chrono::steady_clock::now() >= *req_.deadline; }
  // `want` seconds, or what is left before the deadline (at least 1).
  double fit(double want) const {
    if (!req_.deadline) return want;
    const double left = std::chrono::duration<double>(*req_.deadline - std::chrono::steady_clock::now()).count();
    return std::max(1.0, std::min(want, left));
  }

  Result<RunResult> run_libfuzzer(const EngineOptions& o) {
    std::vector<std::string> argv = {binary_,
                                     "-fork=" + std::to_string(req_.jobs),
                                     "-ignore_crashes=1",
                                     "-ignore_timeouts=1",
                                     "-ignore_ooms=1",
                                     "-max_total_time=" + std::to_string(std::max(1, static_cast<int>(req_.budget_seconds))),
                                     "-artifact_prefix=" + (fs::absolute(req_.work) / "artifacts").string() + "/"};
    argv.insert(argv.end(), o.flags.begin(), o.flags.end());
    if (!o.dict.empty()) argv.push_back("-dict=" + o.dict);
    // New inputs go to the first directory only: the scratch queue.
    argv.push_back((req_.work / "queue").string());
    std::error_code ec;
    if (fs::is_directory(target_dir_ / "corpus", ec)) argv.push_back((target_dir_ / "corpus").string());
    argv.push_back((target_dir_ / "seeds").string());
    return supervise(argv, req_.schedule, req_.inject_library, {}, req_.budget_seconds + kEngineGraceSeconds);
  }

  Result<RunResult> run_afl(const EngineOptions& o) {
    // afl-fuzz takes one input directory: the seeds and the kept corpus.
    const fs::path in = req_.work / "afl-in";
    std::error_code ec;
    fs::create_directories(in, ec);
    for (const char* d : {"seeds", "corpus"})
      for (const auto& f : files_in(target_dir_ / d)) fs::copy_file(f, in / (std::string(d) + "-" + f.filename().string()), ec);
    // Several instances share one sync directory: -M main, -S worker<N>. Each
    // dies with the shell (setpriv --pdeathsig), which dies with faultline.
    std::string script;
    for (int i = 0; i < req_.jobs; i++) {
      std::vector<std::string> argv = {"setpriv", "--pdeathsig", "KILL", "afl-fuzz", "-i", in.string(), "-o", (req_.work / "afl").string(), "-V",
                                       std::to_string(std::max(1, static_cast<int>(req_.budget_seconds)))};
      if (!o.dict.empty()) argv.insert(argv.end(), {"-x", o.dict});
      argv.insert(argv.end(), {i == 0 ? "-M" : "-S", i == 0 ? "main" : "worker" + std::to_string(i), "--", binary_});
      for (const auto& a : argv) script += shell_quote(a) + " ";
      script += "& ";
    }
    script += "wait";
    auto env = afl_environment(req_.inject_library, req_.schedule);
    if (!env) return env.error();
    return supervise({"/bin/sh", "-c", script}, req_.schedule, "", env.value(),
                     req_.budget_seconds + kEngineGraceSeconds);
  }

  Reproducer reproducer_for(const std::string& schedule) const {
    Reproducer r;
    r.target = req_.target;
    r.engine = req_.engine->name;
    r.argv = {"fuzz-" + req_.target, kInputPlaceholder};
    r.input = InputMode::File;
    r.schedule = schedule;
    return r;
  }

  Result<CrashReport> triage_input(const fs::path& input, const std::string& schedule) {
    auto req = request_for(reproducer_for(schedule), fs::absolute(input).string(), binary_dir());
    if (!req) return req.error();
    req->inject_library = req_.inject_library;
    return run_and_triage(req.value());
  }

  static std::string bucket_of(const CrashReport& r) { return reproducer_dir_name(r.cls, r.stack_hash); }

  static FuzzCrash triaged(const fs::path& artifact, double found_at, const CrashReport& report) {
    FuzzCrash c;
    c.artifact = artifact;
    c.found_at = found_at;
    std::error_code ec;
    c.input_bytes = c.minimized_bytes = fs::file_size(artifact, ec);
    c.report = report;
    c.status = report.cls == CrashClass::None ? "not reproduced" : "";
    return c;
  }

  // Each crash in the order the engine found it: the first of a bucket is
  // new (stored) or known, the rest are duplicates. A new bucket is stored
  // from its smallest input, minimized.
  Result<bool> bucket_crashes(std::vector<FuzzCrash>& crashes) {
    std::map<std::string, size_t> smallest;
    for (size_t i = 0; i < crashes.size(); i++) {
      if (crashes[i].report.cls == CrashClass::None) continue;
      auto [it, first] = smallest.emplace(bucket_of(crashes[i].report), i);
      if (!first && crashes[i].input_bytes < crashes[it->second].input_bytes) it->second = i;
    }
    std::set<std::string> seen;
    for (auto& c : crashes) {
      if (c.report.cls == CrashClass::None) continue;
      const std::string bucket = bucket_of(c.report);
      const fs::path regression = target_dir_ / "regressions" / bucket;
      std::error_code ec;
      c.reproducer = fs::exists(regression, ec) ? regression : store_ / bucket;
      if (!seen.insert(bucket).second) {
        c.status = "duplicate";
        continue;
      }
      if (fs::exists(regression, ec)) {
        c.status = "known";
        continue;
      }
      if (fs::exists(c.reproducer, ec)) {  // in the store, not yet a regression: an earlier (killed) run found it
        c.status = "stored before";
        continue;
      }
      const FuzzCrash& source = crashes[smallest[bucket]];
      auto stored = store_bucket(source, bucket, c.minimized_bytes);
      if (!stored) return stored.error();
      c.reproducer = stored->dir;
      c.status = stored->already_known ? "stored before" : "new";
    }
    return true;
  }

  Result<Stored> store_bucket(const FuzzCrash& c, const std::string& bucket, size_t& stored_bytes) {
    std::string input = read_file(c.artifact), schedule = req_.schedule;
    if (req_.minimize && !out_of_time()) {
      if (auto smaller = minimize_input(c.artifact, bucket)) input = read_file(*smaller);
      if (!schedule.empty()) {
        const fs::path kept = req_.work / "min" / (bucket + ".input");
        if (auto w = write_file_atomic(kept, input); !w) return w.error();
        auto base = request_for(reproducer_for(schedule), fs::absolute(kept).string(), binary_dir());
        if (!base) return base.error();
        base->inject_library = req_.inject_library;
        auto m = minimize_schedule(base.value(), schedule, c.report.cls, kScheduleMinimizeRuns);
        if (!m) return m.error();
        if (m->schedule != schedule) {
          auto check = triage_input(kept, m->schedule);
          if (check && bucket_of(check.value()) == bucket) schedule = m->schedule;
        }
      }
    }
    stored_bytes = input.size();
    Reproducer r = reproducer_for(schedule);
    r.expected_class = c.report.cls;
    r.expected_hash = c.report.stack_hash;
    r.environment = environment_facts();
    r.environment["found_by"] = std::string(req_.engine->name);
    if (is_asan_executable(binary_)) r.environment["allocator"] = "asan";
    return store_reproducer(store_, r, input);
  }

  // The engine's own minimizer; kept only if the smaller input still lands in the same bucket.
  std::optional<fs::path> minimize_input(const fs::path& artifact, const std::string& bucket) {
    const fs::path out = fs::absolute(req_.work / "min" / bucket);
    Result<RunResult> run = Error{""};
    if (afl_) {
      auto env = afl_environment(req_.inject_library, req_.schedule);
      if (!env) return std::nullopt;
      run = supervise({"afl-tmin", "-i", artifact.string(), "-o", out.string(), "--", binary_}, req_.schedule, "",
                      env.value(), fit(req_.minimize_seconds) + 10);
    } else {
      run = supervise({binary_, "-minimize_crash=1", "-max_total_time=" + std::to_string(static_cast<int>(fit(req_.minimize_seconds))),
                       "-exact_artifact_path=" + out.string(), artifact.string()},
                      req_.schedule, req_.inject_library, {}, fit(req_.minimize_seconds) + 10);
    }
    std::error_code ec;
    const auto smaller = fs::file_size(out, ec);
    if (!run || ec || smaller >= fs::file_size(artifact, ec) || ec) return std::nullopt;
    auto check = triage_input(out, req_.schedule);
    if (!check || bucket_of(check.value()) != bucket) return std::nullopt;
    return out;
  }

  // The kept corpus plus this run's new inputs, reduced to those that add coverage.
  void merge() {
    const fs::path merged = req_.work / "merged", corpus = target_dir_ / "corpus";
    std::error_code ec;
    fs::create_directories(merged, ec);
    CorpusLock lock(target_dir_);
    Result<RunResult> run = Error{""};
    if (afl_) {
      const fs::path in = req_.work / "cmin-in";
      fs::create_directories(in, ec);
      for (const auto& f : files_in(corpus)) fs::copy_file(f, in / ("kept-" + f.filename().string()), ec);
      for (const auto& inst : sorted_entries(req_.work / "afl"))
        for (const auto& f : files_in(inst / "queue", "id:"))
          fs::copy_file(f, in / (inst.filename().string() + "-" + f.filename().string().substr(0, 9)), ec);
      if (files_in(in).empty()) return;
      run = supervise({"afl-cmin", "-i", in.string(), "-o", (merged / "out").string(), "--", binary_}, "", "",
                      afl_environment("", "").value(), fit(kMergeSeconds));
      ec.clear();
      fs::rename(merged / "out", merged / "files", ec);
    } else {
      if (files_in(req_.work / "queue").empty()) return;
      fs::create_directories(merged / "files", ec);
      // A crash during the merge is written here, not into the current directory.
      std::vector<std::string> argv = {binary_, "-merge=1", "-artifact_prefix=" + (merged / "crash-").string(),
                                       (merged / "files").string()};
      if (fs::is_directory(corpus, ec)) argv.push_back(corpus.string());
      argv.push_back((req_.work / "queue").string());
      run = supervise(argv, "", "", {}, fit(kMergeSeconds));
    }
    if (!run) {
      out_.merge_problem = run.error().message;
      return;
    }
    const fs::path log = req_.work / "merge.log";
    (void)write_file_atomic(log, run->err.tail + run->out.tail);
    if (run->end != RunResult::End::Exited || run->exit_code != 0) {
      out_.merge_problem = "the engine's merge failed; corpus kept as it was (see " + log.string() + ")";
      return;
    }
    auto kept = files_in(merged / "files");
    if (kept.empty()) return;
    if (auto r = replace_corpus(corpus, kept); !r) out_.merge_problem = r.error().message;
  }

  const FuzzRequest& req_;
  const bool afl_;
  const std::string bin_dir_, binary_;
  const fs::path target_dir_, store_;
  FuzzOutcome out_;
};

}  // namespace

Result<FuzzOutcome> run_fuzz(const FuzzRequest& req) {
  if (!req.engine) return Error{"no fuzz engine given (" + fuzz_engine_names() + ")"};
  if (req.jobs < 1) return Error{"--jobs must be at least 1"};
  if (!(req.budget_seconds > 0 && req.budget_seconds <= 7 * 86400.0))
    return Error{"--budget must be a number of seconds in (0, 604800]"};
  if (!valid_target_name(req.target)) return Error{"--target must be a target name ([a-z0-9_]+)"};
  return Fuzzer(req).run();
}

}  // namespace faultline
