// faultline campaign, the nightly job, over what a project's manifest
// declares: every target's regressions replayed first (through the command
// the manifest gives the target) and its seeds run, then its `explore` and
// `stack` tables, then every target × profile fuzzed with what is left of the
// budget. New crashes are stored in <corpora>/<target>/regressions/, so the
// next night replays them. A table on stdout; report.json, SARIF, JUnit and
// report.html in the output directory.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "base/text.h"
#include "report/campaign_history.h"
#include "report/campaign_report.h"
#include "store/bucket_status.h"
#include "store/corpus.h"
#include "store/finding.h"
#include "triage/dedup.h"
#include "search/campaign.h"
#include "search/explore.h"
#include "search/fuzz.h"
#include "store/manifest.h"
#include "base/nested_source.h"
#include "search/oss_fuzz_out.h"
#include "base/progress.h"
#include "search/replay.h"
#include "report/report.h"
#include "base/version.h"
#include "base/shell_words.h"
#include "search/stack_search.h"

namespace faultline {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr int kRegressionReplays = 3;

using Row = CampaignRow;

// Of a fuzz slot's share of the budget, the engine gets this much; the rest
// is its wrap-up, the triage of what it saved, and the corpus merge.
constexpr double kEngineShare = 0.4, kMinSlotSeconds = 3;

// A row of the table: what it is about; the rest is filled in as it runs.
Row row_for(const std::string& target, const std::string& kind, const std::string& item) {
  Row r;
  r.target = target, r.kind = kind, r.item = item;
  return r;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The campaign's progress: runs, schedules, findings and buckets so far.
class Progress {
 public:
  void update(const std::vector<Row>& rows) {
    if (!line_.due()) return;
    std::set<std::string> buckets, schedules;
    int findings = 0;
    uint64_t runs = 0;
    for (const auto& r : rows) {
      runs += r.runs;
      if (r.cls != "none" && !r.cls.empty()) {
        findings++;
        buckets.insert(r.cls + "-" + r.hash);
      }
      if (r.report) schedules.insert(r.report->schedule);
    }
    const double secs = line_.seconds();
    char text[160];
    std::snprintf(text, sizeof text, "%llu runs, %.1f runs/s, %zu schedules, %d findings, %zu buckets",
                  static_cast<unsigned long long>(runs), secs > 0 ? runs / secs : 0.0, schedules.size(), findings,
                  buckets.size());
    line_.show(text);
  }
  void done() { line_.done(); }

 private:
  ProgressLine line_{"campaign"};
};

void print_table(const std::vector<Row>& rows) {
  std::printf("%-14s %-10s %-38s %-24s %-16s %-14s %7s\n", "TARGET", "KIND", "ITEM", "CLASS", "STACK HASH", "STATUS",
              "SECONDS");
  for (const auto& r : rows) {
    // A bucket whose crashes came through different callers: it may be two bugs.
    const std::string status = r.status + (r.similar ? " +" + std::to_string(r.similar) + " similar" : "");
    std::printf("%-14s %-10s %-38s %-24s %-16s %-14s %7.2f\n", r.target.c_str(), r.kind.c_str(), r.item.c_str(),
                r.cls.c_str(), r.hash.c_str(), status.c_str(), r.seconds);
  }
}

// One night's work over one manifest: every phase appends rows.
class Campaign {
 public:
  // Scratch (engine queues, generated inputs) goes to work; what lasts, to the corpora.
  Campaign(const Manifest& m, fs::path corpora, fs::path work, std::string lib, Clock::time_point deadline, Shard shard)
      : m_(m), corpora_(std::move(corpora)), work_(std::move(work)), lib_(std::move(lib)), deadline_(deadline),
        shard_(shard), progress_() {}

  bool budget_left() const { return Clock::now() < deadline_; }

  // A corpora directory no target declares would be skipped silently: it is an error.
  void undeclared_directories() {
    for (const auto& dir : sorted_entries(corpora_)) {
      std::error_code ec;
      if (!fs::is_directory(dir, ec) || m_.target(dir.filename().string())) continue;
      failed(row_for(dir.filename().string(), "corpora", dir.string()),
             dir.string() + ": no target in " + m_.file.string() + " declares it (add a [[target]] named '" +
                 dir.filename().string() + "', or remove the directory)");
    }
  }

  void regressions_and_seeds(const ManifestTarget& t) {
    const fs::path dir = corpora_ / t.name;
    if (auto e = symlinked_corpora(dir)) {
      refused_.insert(t.name);
      return failed(row_for(t.name, "corpora", dir.string()), e->message);
    }
    remove_unfinished_reproducers(dir / "regressions");  // a campaign killed mid-write: start that bucket again
    const auto regressions = sorted_entries(dir / "regressions");
    for (const auto& r : regressions) known_[t.name].insert(r.filename().string());
    for (const auto& r : regressions)
      if (take("regression", t.name, r.filename().string())) regression(t, r);
    for (const auto& seed : sorted_entries(t.seeds.empty() ? dir / "seeds" : t.seeds, true))
      if (take("seed", t.name, seed.filename().string())) seed_run(t, seed);
  }

  void explore(const ManifestTarget& t) {
    if (refused_.count(t.name)) return;
    if (!t.explore || !take("explore", t.name, t.explore->signal)) return;
    const auto t0 = Clock::now();
    Reproducer base = target_reproducer(t, "");
    auto input = explore_input(t);
    if (input) base.input = InputMode::File;
    auto req = request_for(base, input ? fs::absolute(*input).string() : "", &m_);
    Row row = row_for(t.name, "explore", "malloc-signal " + t.explore->signal);
    row.cls = "none";
    if (!req) return failed(row, req.error().message);
    req->inject_library = lib_;
    ExploreOptions opt;
    opt.signo = t.explore->signo;
    opt.thread = t.explore->thread;
    opt.max_runs = t.explore->max_runs;
    if (!t.explore->process.empty()) opt.process = t.explore->process;
    if (!t.explore->in_function.empty()) opt.in_function = t.explore->in_function;
    opt.keep_going = true;
    std::optional<std::string> bytes;
    if (input) bytes = read_file(*input);
    auto result = explore_malloc_signal(req.value(), opt, [&](const ExploreHit& hit) {
      Reproducer r = base;
      r.schedule = hit.schedule;
      finding(t, "explore", row.item, hit.report, r, bytes);
    });
    if (!result) return failed(row, result.error().message);
    row.status = std::to_string(result->runs) + " runs, " + std::to_string(result->hits.size()) + " findings" +
                 (result->census.handler_seen ? "" : ", no " + t.explore->signal + " handler seen");
    row.runs = std::max(result->runs, 1);
    row.seconds = seconds_since(t0);
    add(row);
  }

  void stack_curves(const ManifestTarget& t) {
    if (!t.stack || refused_.count(t.name)) return;
    const StackTable& table = *t.stack;
    for (const std::string& shape : table.generator.empty() ? std::vector<std::string>{""} : table.shapes) {
      if (!take("stack-curve", t.name, shape) || !budget_left()) continue;
      const auto t0 = Clock::now();
      StackCurve curve{t.name + (shape.empty() ? "" : " " + shape), {}};
      Row row = row_for(t.name, "stack-curve", shape.empty() ? nesting_input(table, shape, 1).value() : shape);
      row.cls = "none", row.status = "measured", row.runs = 0;
      for (uint64_t size : table.sizes) {
        auto depth = smallest_exhausting_depth(t, shape, size, row);
        if (!depth) return failed(row, depth.error().message);
        if (depth.value()) curve.budget_to_depth.emplace_back(size, *depth.value());
        row.item += " " + human_size(size) + "=" + (depth.value() ? std::to_string(*depth.value()) : "none");
      }
      row.seconds = seconds_since(t0);
      curves_.push_back(curve);
      add(row);
    }
  }

  // Every target × profile, each slot with its share of what is left.
  void fuzz_slots(const std::vector<const ManifestTarget*>& targets) {
    struct Slot {
      const ManifestTarget* target;
      const FuzzProfile* profile;
    };
    std::vector<Slot> slots;
    for (const auto* t : targets)
      for (const auto& p : refused_.count(t->name) ? std::vector<std::string>{} : t->profiles)
        if (take("fuzz", t->name, p)) slots.push_back({t, &m_.profiles.at(p)});
    for (size_t i = 0; i < slots.size(); i++) {
      const double left = std::chrono::duration<double>(deadline_ - Clock::now()).count();
      const double share = left / static_cast<double>(slots.size() - i);
      if (share < kMinSlotSeconds) {
        Row row = row_for(slots[i].target->name, "fuzz", slots[i].profile->engine + " " + slots[i].profile->name);
        row.status = "skipped (budget)";
        add(row);
        skipped_++;
        continue;
      }
      fuzz(*slots[i].target, *slots[i].profile, share);
    }
  }

  Result<CampaignTotals> finish(const fs::path& out) {
    pages_and_history(out);
    progress_.done();
    print_table(rows_);
    std::printf("\n%zu items, %d new crash buckets, %d regressions not reproducing, %d items skipped, %d errors\n",
                rows_.size(), new_crashes_, regressions_failing_, skipped_, errors_);
    if (auto w = write_reports(out); !w) return w.error();
    std::printf("reports: %s/{report.json,report.sarif,junit.xml,report.html}\n", out.c_str());
    return CampaignTotals{new_crashes_, regressions_failing_, errors_};
  }

 private:
  // Whether this shard runs the item, and the budget allows it.
  bool take(const std::string& kind, const std::string& target, const std::string& item) {
    if (!shard_.mine(kind + "/" + target + "/" + item)) return false;
    if (kind == "fuzz" || budget_left()) return true;
    Row row = row_for(target, kind, item);  // said, not silently left out
    row.status = "skipped (budget)";
    add(row);
    skipped_++;
    return false;
  }

  void add(Row row) {
    rows_.push_back(std::move(row));
    progress_.update(rows_);
  }

  // A run that could not be made is a row and exit 2 at the end: the rest of
  // the nightly job still runs and its reports are still written.
  void failed(Row row, const std::string& message) {
    std::fprintf(stderr, "faultline campaign: %s\n", message.c_str());
    row.status = "error";
    row.error = message;
    row.problem = true;
    rows_.push_back(std::move(row));
    errors_++;
  }

  Reproducer target_reproducer(const ManifestTarget& t, const std::string& schedule) const {
    Reproducer r;
    r.target = t.name;
    r.argv = t.written_run;
    r.timeout_seconds = t.timeout_seconds;
    r.schedule = schedule;
    return r;
  }

  std::optional<fs::path> explore_input(const ManifestTarget& t) const {
    if (!t.explore->input.empty()) return t.explore->input;
    if (std::find(t.run.begin(), t.run.end(), kInputPlaceholder) == t.run.end()) return std::nullopt;
    auto seeds = sorted_entries(t.seeds.empty() ? corpora_ / t.name / "seeds" : t.seeds, true);
    if (seeds.empty()) return std::nullopt;
    return seeds.front();
  }

  void regression(const ManifestTarget& t, const fs::path& dir) {
    Row row = row_for(t.name, "regression", dir.filename().string());
    row.reproducer = dir.string();
    auto repro = load_reproducer(dir);
    if (!repro) return failed(row, repro.error().message);
    if (!repro->target.empty() && repro->target != t.name)
      return failed(row, dir.string() + ": the reproducer names target '" + repro->target + "', not '" + t.name + "'");
    repro->target = t.name;  // a reproducer of `explore -- PROG` runs through the target's command too
    if (!repro->engine.empty() && t.engine_binary(repro->engine).empty()) {
      row.status = "skipped (no " + repro->engine + " binary in the manifest)";
      skipped_++;
      return add(row);
    }
    auto outcome = replay(repro.value(), dir, kRegressionReplays, std::nullopt, lib_, &m_);
    if (!outcome) return failed(row, outcome.error().message);
    row.cls = to_string(outcome->runs.back().cls);
    row.hash = outcome->runs.back().stack_hash;
    row.report = outcome->runs.back().report;
    for (const auto& r : outcome->runs) row.seconds += r.wall_seconds;
    const int k = outcome->matched;
    row.status = k == kRegressionReplays ? "reproduces"
                 : k == 0               ? "fixed"
                                        : "flaky " + std::to_string(k) + "/" + std::to_string(kRegressionReplays);
    row.runs = kRegressionReplays;
    regressions_failing_ += k != kRegressionReplays;
    row.problem = k != kRegressionReplays;
    add(row);
  }

  void seed_run(const ManifestTarget& t, const fs::path& seed) {
    // The program's own timers would make seed runs differ from run to run.
    Reproducer repro = target_reproducer(t, "timers off");
    repro.input = InputMode::File;
    Row row = row_for(t.name, "seed", seed.filename().string());
    auto req = request_for(repro, fs::absolute(seed).string(), &m_);
    if (!req) return failed(row, req.error().message);
    req->inject_library = lib_;
    auto triaged = run_and_triage(req.value());
    if (!triaged) return failed(row, triaged.error().message);
    row.seconds = triaged->wall_seconds;
    finding(t, "seed", row.item, triaged.value(), repro, read_file(seed), row);
  }

  // A triaged run of a target: clean, a known bucket, a duplicate of this
  // night's, or a new bucket stored in the target's regressions.
  void finding(const ManifestTarget& t, const std::string& kind, const std::string& item, const CrashReport& rep,
               Reproducer repro, const std::optional<std::string>& input, Row row = {}) {
    row.target = t.name, row.kind = kind, row.item = item, row.runs = 1;
    row.cls = to_string(rep.cls), row.hash = rep.stack_hash, row.report = rep;
    BucketStatus status = BucketStatus::Clean;
    if (rep.cls != CrashClass::None) {
      const std::string bucket = reproducer_dir_name(rep.cls, rep.stack_hash);
      const BucketOnDisk on_disk = known_[t.name].count(bucket) ? BucketOnDisk::InRegressions : BucketOnDisk::Absent;
      if (auto met = bucket_met_before(bucket, found_[t.name], on_disk, RepeatOfKnown::Known)) {
        status = *met;
      } else {
        auto stored = store_finding(corpora_ / t.name / "regressions", repro, rep, input);
        if (!stored) return failed(row, stored.error().message);
        status = stored->status();
        row.reproducer = stored->dir.string();
        row.problem = true;
        new_crashes_++;
      }
    }
    row.status = to_string(status);
    if (kind == "seed" || status != BucketStatus::Clean) add(row);
  }

  // Bisects the smallest depth (1..max_depth) whose input exhausts a `size`
  // stack; its boundary crash is a finding. nullopt: none up to max_depth.
  Result<std::optional<uint64_t>> smallest_exhausting_depth(const ManifestTarget& t, const std::string& shape,
                                                            uint64_t size, Row& row) {
    const StackTable& table = *t.stack;
    const fs::path scratch = work_ / (t.name + "-stack");
    std::error_code ec;
    fs::create_directories(scratch, ec);
    std::map<uint64_t, CrashReport> crashes;
    Reproducer repro = target_reproducer(t, stack_schedule(table.shrink, size));
    repro.input = InputMode::File;
    auto b = bisect_first_true(1, table.max_depth, [&](uint64_t depth) -> Result<bool> {
      const fs::path input = scratch / (shape + "-" + std::to_string(depth));
      auto bytes = nesting_input(table, shape, depth);
      if (!bytes) return bytes.error();
      if (auto w = write_file_atomic(input, bytes.value()); !w) return w.error();
      auto req = request_for(repro, fs::absolute(input).string(), &m_);
      if (!req) return req.error();
      req->inject_library = lib_;
      auto rep = run_and_triage(req.value());
      fs::remove(input, ec);
      if (!rep) return rep.error();
      row.runs++;
      switch (ending_of(rep.value())) {
        case Ending::Exhausted: crashes[depth] = rep.value(); return true;
        case Ending::Clean: return false;
        default:  // counted as survival it would put the boundary anywhere
          return Error{"with a " + human_size(size) + " stack at depth " + std::to_string(depth) + " the run ended " +
                       how_it_ended(rep.value()) + ": neither stack exhaustion nor a clean exit, so the bisection stops"};
      }
    });
    fs::remove_all(scratch, ec);
    if (!b) return b.error();
    if (!b->first_true) return std::optional<uint64_t>();
    // Stored a little deeper than the boundary: the main stack's usable size
    // moves with the environment's, and a reproducer at the exact boundary
    // would replay as `fixed` where the environment is a few hundred bytes smaller.
    const uint64_t depth = *b->first_true, deeper = depth + std::max<uint64_t>(8, depth / 16);
    // (The margin may go past the size nest() allows for max_depth: then the boundary is kept.)
    auto deeper_input = nesting_input(table, shape, deeper);
    std::string input = deeper_input ? deeper_input.value() : std::string();
    CrashReport crash = crashes.at(depth);
    const fs::path margin = scratch / "margin";
    fs::create_directories(scratch, ec);
    auto req = request_for(repro, fs::absolute(margin).string(), &m_);
    Result<CrashReport> rep = Error{"not run"};
    if (deeper_input && req && write_file_atomic(margin, input)) {
      req->inject_library = lib_;
      rep = run_and_triage(req.value());
      row.runs++;
    }
    if (rep && rep->cls == crash.cls && rep->stack_hash == crash.stack_hash) crash = rep.value();
    else input = nesting_input(table, shape, depth).value();  // the margin changed the bucket: keep the boundary
    fs::remove_all(scratch, ec);
    finding(t, "stack", human_size(size) + (shape.empty() ? "" : " " + shape), crash, repro, input);
    return b->first_true;
  }

  void fuzz(const ManifestTarget& t, const FuzzProfile& p, double share) {
    const std::string item = p.engine + " " + p.name;
    FuzzRequest req;
    req.engine = fuzz_engine_by_name(p.engine);
    req.target = FuzzTarget{t.name, t.engine_binary(p.engine), t.dict, t.options, t.seeds, &m_};
    req.budget_seconds = std::max(1.0, share * kEngineShare);
    req.schedule = p.schedule;
    req.corpora = corpora_;
    req.work = work_ / (t.name + "-" + p.engine + "-" + p.name);
    req.inject_library = lib_;
    const auto t0 = Clock::now();
    req.deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(share));
    auto fuzzed = run_fuzz(req);
    if (!fuzzed) return failed(row_for(t.name, "fuzz", item), fuzzed.error().message);
    if (!fuzzed->refused.empty()) {
      Row row = row_for(t.name, "fuzz", item);
      row.status = "skipped (" + fuzzed->refused + ")";
      skipped_++;
      return add(row);
    }
    std::set<std::string> reported;
    for (const auto& c : fuzzed->crashes) {
      // A bucket stored by an earlier, killed run of this campaign is still this campaign's finding.
      const bool found_here = c.status == BucketStatus::New || c.status == BucketStatus::StoredBefore;
      // A crash the engine saved and faultline did not triage may be a finding: a problem row.
      const bool untriaged = c.status == BucketStatus::NotTriaged;
      const bool not_reproduced = c.status == BucketStatus::NotReproduced;
      if (!found_here && !untriaged && c.status != BucketStatus::Known && !not_reproduced) continue;
      if (!reported.insert(c.reproducer.string()).second) continue;
      Row row = row_for(t.name, "fuzz", item);
      row.cls = to_string(c.report.cls), row.hash = c.report.stack_hash, row.report = c.report;
      row.status = to_string(c.status);
      if (untriaged || not_reproduced) row.item += " " + c.artifact.filename().string();
      row.reproducer = c.reproducer.string(), row.problem = found_here || untriaged;
      row.similar = c.similar;
      add(row);
      new_crashes_ += found_here || untriaged;
    }
    Row summary = row_for(t.name, "fuzz", item);
    summary.cls = "none", summary.seconds = seconds_since(t0);
    summary.status = std::to_string(fuzzed->executions) + " execs, " + std::to_string(fuzzed->crashes.size()) + " crashes" +
                     (fuzzed->merge_problem.empty() ? "" : "; corpus merge skipped: " + fuzzed->merge_problem);
    summary.runs = std::max<uint64_t>(fuzzed->executions, 1);
    add(summary);
  }

  // The night's report: the history beside the corpora gains this run (one
  // that cannot be read is an error and is left as it is), and each finding
  // gets a page next to report.html.
  void pages_and_history(const fs::path& out) {
    for (auto& r : rows_) {
      if (!r.reproducer.empty())
        r.replay_command = "faultline replay --project " + shell_word(m_.file.string()) + " " + shell_word(r.reproducer);
      add_replay_facts(r);
    }
    const fs::path history_file = campaign_history_path(corpora_);
    std::error_code ec;
    Result<std::vector<CampaignNight>> loaded = Error{history_file.parent_path().string() + ": a symbolic link; the history is not written through it"};
    if (!fs::is_symlink(fs::symlink_status(history_file.parent_path(), ec)) && !fs::is_symlink(fs::symlink_status(history_file, ec)))
      loaded = load_campaign_history(history_file);
    if (!loaded) failed(row_for("faultline", "report", "history"), loaded.error().message);
    if (loaded) history_ = loaded.value();
    append_night(history_, campaign_night(rows_));
    if (loaded && shard_.count == 1)  // shards of one night would each append a partial record
      if (auto w = save_campaign_history(history_file, history_); !w) failed(row_for("faultline", "report", "history"), w.error().message);
    for (const auto& [page, html] : campaign_finding_pages(rows_)) {
      std::error_code ec;
      fs::create_directories((out / page).parent_path(), ec);
      if (auto w = write_file_atomic(out / page, html); !w) failed(row_for("faultline", "report", page), w.error().message);
    }
  }

  Result<bool> write_reports(const fs::path& out) const {
    nlohmann::json j = {{"faultline_campaign", 1}, {"faultline_version", version()},
                        {"project", m_.name},
                        {"manifest", m_.file.string()},
                        {"shard", std::to_string(shard_.index + 1) + "/" + std::to_string(shard_.count)},
                        {"new_crashes", new_crashes_},
                        {"regressions_not_reproducing", regressions_failing_},
                        {"skipped", skipped_},
                        {"errors", errors_},
                        {"rows", nlohmann::json::array()}};
    for (const auto& r : rows_) {
      j["rows"].push_back({{"target", r.target}, {"kind", r.kind}, {"item", r.item}, {"class", r.cls},
                           {"stack_hash", r.hash}, {"status", r.status}, {"seconds", r.seconds}, {"runs", r.runs}});
      if (!r.reproducer.empty()) j["rows"].back()["reproducer"] = r.reproducer;
      if (!r.error.empty()) j["rows"].back()["error"] = r.error;
      if (r.similar) j["rows"].back()["similar"] = r.similar;
    }
    for (const auto& c : curves_) {
      nlohmann::json points = nlohmann::json::array();
      for (const auto& [bytes, depth] : c.budget_to_depth) points.push_back({{"stack_bytes", bytes}, {"min_crashing_depth", depth}});
      j["stack_curves"][c.shape] = points;
    }
    std::error_code ec;
    fs::create_directories(out, ec);
    for (const auto& [name, text] : {std::pair<std::string, std::string>{"report.json", json_text(j) + "\n"},
                                     {"report.sarif", json_text(campaign_sarif(rows_)) + "\n"},
                                     {"junit.xml", campaign_junit(rows_)},
                                     {"report.html", campaign_html(rows_, curves_, history_)}})
      if (auto w = write_file_atomic(out / name, text); !w) return w.error();
    return true;
  }

  const Manifest& m_;
  const fs::path corpora_, work_;
  const std::string lib_;
  const Clock::time_point deadline_;
  const Shard shard_;
  Progress progress_;
  std::vector<Row> rows_;
  std::vector<StackCurve> curves_;
  std::vector<CampaignNight> history_;
  std::map<std::string, std::set<std::string>> known_, found_;
  std::set<std::string> refused_;  // targets whose corpora are symbolic links: nothing of theirs runs  // per target: buckets in regressions / stored tonight
  int new_crashes_ = 0, regressions_failing_ = 0, skipped_ = 0, errors_ = 0;
};


}  // namespace

bool Shard::mine(const std::string& item) const {
  return count == 1 || std::stoull(fnv1a_hex(item), nullptr, 16) % count == index;
}

Result<CampaignTotals> run_campaign(const CampaignPlan& plan, const fs::path& out) {
  Campaign c(plan.project, plan.corpora, plan.work, plan.inject_library, plan.deadline, plan.shard);
  c.undeclared_directories();
  for (const auto* t : plan.targets) c.regressions_and_seeds(*t);
  if (plan.fuzz) {
    for (const auto* t : plan.targets) c.explore(*t);
    for (const auto* t : plan.targets) c.stack_curves(*t);
    c.fuzz_slots(plan.targets);
  }
  return c.finish(out);
}

}  // namespace faultline
