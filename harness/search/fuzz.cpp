#include "search/fuzz.h"

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

#include "base/allocators.h"
#include "store/corpus.h"
#include "store/finding.h"
#include "triage/dedup.h"
#include "search/fuzz_engine.h"
#include "search/minimize.h"
#include "process/runner.h"

namespace faultline {

namespace fs = std::filesystem;

int FuzzOutcome::new_buckets() const {
  return static_cast<int>(
      std::count_if(crashes.begin(), crashes.end(), [](const FuzzCrash& c) { return c.status == BucketStatus::New; }));
}

namespace {

constexpr int kScheduleMinimizeRuns = 30;
constexpr double kMergeSeconds = 120;

// <target>.options, ClusterFuzz style: an INI section per engine. `dict` is
// relative to the file; every other key is a libFuzzer flag.
struct EngineOptions {
  std::string dict;
  std::vector<std::string> flags;
};
Result<EngineOptions> read_options(const fs::path& file, const FuzzEngine& engine) {
  EngineOptions out;
  std::error_code ec;
  if (file.empty() || !fs::exists(file, ec)) return out;
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

struct Artifact {
  fs::path path;
  fs::file_time_type written;
};

// The crashing inputs the engine saved, in the order it saved them.
std::vector<Artifact> sorted_by_time(std::vector<fs::path> files) {
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
        engine_(engine_for(*req.engine)),
        target_(req.target),
        target_dir_(req.corpora / target_.name),
        seeds_(target_.seeds.empty() ? target_dir_ / "seeds" : target_.seeds),
        store_(req.store.empty() ? target_dir_ / "regressions" : req.store) {}

  Result<FuzzOutcome> run() {
    if (access(target_.binary.c_str(), X_OK) != 0) return Error{target_.binary.string() + ": not an executable fuzzing build"};
    std::error_code ec;
    if (auto e = symlinked_corpora(target_dir_)) return *e;
    if (!target_.seeds.empty() && !fs::is_directory(seeds_, ec)) return Error{seeds_.string() + ": no such seed directory"};
    const fs::path options_file = target_.options.empty() ? fs::path(target_.binary.string() + ".options") : target_.options;
    auto options = read_options(fs::exists(options_file, ec) ? options_file : target_.binary.parent_path() / (target_.name + ".options"),
                                *req_.engine);
    if (!options) return options.error();
    // Beside the work dir, which is wiped: a second run on it waits for no one and wipes nothing.
    const fs::path work = fs::absolute(req_.work, ec);
    auto lock = RunLock::take(work.parent_path() / ("." + work.filename().string() + ".lock"), "--work " + req_.work.string());
    if (!lock) return lock.error();
    work_lock_ = lock.value();
    fs::remove_all(req_.work, ec);  // each run starts clean; what matters is stored in corpora/
    for (const char* d : {"queue", "artifacts", "min"})
      if (fs::create_directories(req_.work / d, ec); ec) return Error{(req_.work / d).string() + ": " + ec.message()};
    // A target with no seeds yet starts from one empty line (afl-fuzz needs an input).
    if (sorted_entries(seeds_, true).empty()) {
      seeds_ = req_.work / "no-seeds";
      fs::create_directories(seeds_, ec);
      if (auto w = write_file_atomic(seeds_ / "empty", "\n"); !w) return w.error();
    }
    remove_unfinished_reproducers(store_);
    out_.corpus_before = sorted_entries(target_dir_ / "corpus", true).size();
    out_.engine_log = req_.work / "engine.log";

    ctx_.binary = target_.binary;
    ctx_.work = req_.work;
    ctx_.schedule = req_.schedule;
    ctx_.inject_library = req_.inject_library;
    ctx_.flags = options->flags;
    ctx_.dict = !target_.dict.empty() ? target_.dict : fs::path(options->dict);
    if (ctx_.dict.empty() && fs::exists(target_.binary.parent_path() / (target_.name + ".dict"), ec))
      ctx_.dict = target_.binary.parent_path() / (target_.name + ".dict");
    if (fs::is_directory(target_dir_ / "corpus", ec)) ctx_.inputs.push_back(target_dir_ / "corpus");
    ctx_.inputs.push_back(seeds_);
    ctx_.jobs = req_.jobs;

    const auto started = fs::file_time_type::clock::now();
    auto run = engine_.fuzz(ctx_, req_.budget_seconds);
    if (!run) return run.error();
    out_.seconds = run->wall_seconds;
    const std::string log = run->err.head + (run->err.truncated() ? "\n[...]\n" + run->err.tail : "") + run->out.tail;
    if (auto w = write_file_atomic(out_.engine_log, log); !w) return w.error();
    out_.executions = engine_.executions(ctx_, log);
    const auto artifacts = sorted_by_time(engine_.crash_artifacts(ctx_));
    out_.refused = engine_.refused_seeds(log);
    if (!out_.refused.empty()) return out_;
    // libFuzzer exits non-zero after any crash; "it ran nothing" is the failure.
    if (out_.executions == 0 && artifacts.empty())
      return Error{std::string(req_.engine->name) + " ran nothing on " + target_.binary.string() + ": " + last_line(log) +
                   " (" + out_.engine_log.string() + ")"};

    for (const auto& a : artifacts) {
      const double found_at = std::chrono::duration<double>(a.written - started).count();
      if (out_of_time()) {
        out_.crashes.push_back(triaged(a.path, found_at, CrashReport{}));
        out_.crashes.back().status = BucketStatus::NotTriaged;
        continue;
      }
      auto rep = triage_input(a.path, req_.schedule);
      if (!rep) return rep.error();
      out_.crashes.push_back(triaged(a.path, found_at, rep.value()));
    }
    if (auto b = bucket_crashes(out_.crashes); !b) return b.error();
    if (req_.merge && out_of_time()) out_.merge_problem = "no time left in the budget";
    else if (req_.merge) merge();
    out_.corpus_after = sorted_entries(target_dir_ / "corpus", true).size();
    return out_;
  }

 private:
  std::shared_ptr<RunLock> work_lock_;  // held for the run
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

  // A project's target is named (the manifest gives the command on replay);
  // a one-off binary is its own argv.
  Reproducer reproducer_for(const std::string& schedule) const {
    Reproducer r;
    if (target_.project) {
      r.target = target_.name;
      r.engine = req_.engine->name;
    }
    r.argv = {fs::absolute(target_.binary).string(), kInputPlaceholder};
    r.input = InputMode::File;
    r.schedule = schedule;
    return r;
  }

  Result<CrashReport> triage_input(const fs::path& input, const std::string& schedule) {
    auto req = request_for(reproducer_for(schedule), fs::absolute(input).string(), target_.project);
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
    c.status = report.cls == CrashClass::None ? BucketStatus::NotReproduced : BucketStatus::Pending;
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
    std::map<std::string, std::set<std::string>> stacks;  // bucket -> its whole stacks
    for (const auto& c : crashes)
      if (c.report.cls != CrashClass::None) stacks[bucket_of(c.report)].insert(c.report.full_stack_hash);
    std::set<std::string> seen;
    for (auto& c : crashes) {
      if (c.report.cls == CrashClass::None) continue;
      const std::string bucket = bucket_of(c.report);
      c.similar = stacks[bucket].size() - 1;
      const fs::path regression = target_dir_ / "regressions" / bucket;
      std::error_code ec;
      const bool known = fs::exists(regression, ec);
      c.reproducer = known ? regression : store_ / bucket;
      // In the store, not yet a regression: an earlier (killed) run found it.
      const BucketOnDisk on_disk = known ? BucketOnDisk::InRegressions
                                   : fs::exists(c.reproducer, ec) ? BucketOnDisk::InStore : BucketOnDisk::Absent;
      if (auto met = bucket_met_before(bucket, seen, on_disk, RepeatOfKnown::Duplicate)) {
        c.status = *met;
        continue;
      }
      const FuzzCrash& source = crashes[smallest[bucket]];
      auto stored = store_bucket(source, bucket, c.minimized_bytes);
      if (!stored) return stored.error();
      c.reproducer = stored->dir;
      c.status = stored->status();
      if (req_.core.wanted() && !stored->already_known) c.report.core = core_of(stored->dir, bucket);
    }
    return true;
  }

  // The stored reproducer, run once more for its core: the stored input (the
  // minimized one) is what the core shows. Kept when the run lands in the bucket.
  std::shared_ptr<CoreFile> core_of(const fs::path& dir, const std::string& bucket) {
    auto none = [](const std::string& why) {
      auto core = std::make_shared<CoreFile>();
      core->error = why;
      return core;
    };
    auto repro = load_reproducer(dir);
    if (!repro) return none(repro.error().message);
    auto req = request_for(repro.value(), dir, target_.project);
    if (!req) return none(req.error().message);
    req->inject_library = req_.inject_library;
    req->core = req_.core;
    auto rep = run_and_triage(req.value());
    if (!rep) return none(rep.error().message);
    if (bucket_of(rep.value()) != bucket) return none("the stored reproducer gave " + bucket_of(rep.value()) + " when run for its core");
    if (!rep->core) return none("the program's own process did not die of a crash signal");
    if (auto kept = keep_core(*rep->core, dir, false); !kept) rep->core->discard(kept.error().message);
    return rep->core;
  }

  Result<Stored> store_bucket(const FuzzCrash& c, const std::string& bucket, size_t& stored_bytes) {
    std::string input = read_file(c.artifact), schedule = req_.schedule;
    if (req_.minimize && !out_of_time()) {
      if (auto smaller = minimize_input(c.artifact, bucket)) input = read_file(*smaller);
      if (!schedule.empty()) {
        const fs::path kept = req_.work / "min" / (bucket + ".input");
        if (auto w = write_file_atomic(kept, input); !w) return w.error();
        auto base = request_for(reproducer_for(schedule), fs::absolute(kept).string(), target_.project);
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
    // What the run does not show: the engine found it, and an ASan build's allocator is its runtime's, linked in.
    nlohmann::json engine_facts = {{"found_by", req_.engine->name}};
    if (is_asan_executable(target_.binary.string()))
      engine_facts.update({{"allocator", "asan"}, {"allocator_library", nullptr}, {"allocator_how", nullptr}});
    return store_finding(store_, reproducer_for(schedule), c.report, input, engine_facts);
  }

  // The engine's own minimizer; kept only if the smaller input still lands in the same bucket.
  std::optional<fs::path> minimize_input(const fs::path& artifact, const std::string& bucket) {
    const fs::path out = fs::absolute(req_.work / "min" / bucket);
    auto run = engine_.minimize_testcase(ctx_, artifact, out, fit(req_.minimize_seconds));
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
    fs::create_directories(target_dir_, ec);
    CorpusLock lock(target_dir_);
    auto ran = engine_.minimize_corpus(ctx_, corpus, merged / "files", fit(kMergeSeconds));
    if (!ran) {
      out_.merge_problem = ran.error().message;
      return;
    }
    if (!ran.value()) return;
    auto kept = sorted_entries(merged / "files", true);
    if (kept.empty()) return;
    if (auto r = replace_corpus(corpus, kept); !r) out_.merge_problem = r.error().message;
  }

  const FuzzRequest& req_;
  const Engine& engine_;
  const FuzzTarget& target_;
  const fs::path target_dir_;
  fs::path seeds_;
  const fs::path store_;
  EngineContext ctx_;
  FuzzOutcome out_;
};

}  // namespace

Result<FuzzOutcome> run_fuzz(const FuzzRequest& req) {
  if (!req.engine) return Error{"no fuzz engine given (" + fuzz_engine_names() + ")"};
  if (req.jobs < 1) return Error{"--jobs must be at least 1"};
  if (!(req.budget_seconds > 0 && req.budget_seconds <= 7 * 86400.0))
    return Error{"--budget must be a number of seconds in (0, 604800]"};
  if (!valid_target_name(req.target.name)) return Error{"the fuzz target's name must match [A-Za-z0-9_-]{1,64}"};
  return Fuzzer(req).run();
}

}  // namespace faultline
