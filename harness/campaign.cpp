// faultline campaign, the nightly job: every target's regressions replayed
// first and its seeds run, then the stack-budget curves of nested_parser,
// faultline's own parsers under libFuzzer, and every target fuzzed under
// every injector profile with what is left of the budget. A table on stdout;
// report.json, SARIF, JUnit and report.html in the output directory.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "campaign_report.h"
#include "commands.h"
#include "corpus.h"
#include "fuzz.h"
#include "nested_parser.h"
#include "stack_search.h"
#include "replay.h"
#include "report.h"
#include "run_setup.h"

namespace faultline::cli {

namespace {

namespace fs = std::filesystem;
constexpr int kRegressionReplays = 3;

using Row = CampaignRow;

// The injector profiles every target is fuzzed under, each with its engine.
struct FuzzProfile {
  const char* engine;
  const char* name;
  const char* schedule;
};
constexpr FuzzProfile kFuzzProfiles[] = {
    {"libfuzzer", "plain", ""},
    {"libfuzzer", "small-stacks", "stack main=160K threads=160K"},
    {"afl", "heap-quarantine", "quarantine=64 ; timers off"},
};
// Every input of a fixture crashes on purpose: fuzzing it only re-finds its catalogue.
const std::set<std::string> kFixtureTargets = {"crash_zoo"};
// Of a fuzz slot's share of the budget, the engine gets this much; the rest
// is its wrap-up, the triage of what it saved, and the corpus merge.
constexpr double kEngineShare = 0.4, kMinSlotSeconds = 3;

// Stack-budget curves: for each shape, the smallest nesting depth that
// exhausts each thread-stack budget (nested_parser on its worker thread).
Result<std::vector<StackCurve>> stack_curves(const fs::path& scratch, const std::string& lib) {
  constexpr uint64_t kBudgets[] = {64 << 10, 256 << 10, 1 << 20};
  std::vector<StackCurve> curves;
  std::error_code ec;
  fs::create_directories(scratch, ec);
  for (auto shape : {nested::Shape::Expr, nested::Shape::Block, nested::Shape::Generic}) {
    StackCurve curve{std::string(nested::to_string(shape)), {}};
    for (uint64_t budget : kBudgets) {
      auto b = bisect_first_true(1, 1 << 16, [&](uint64_t depth) -> Result<bool> {
        const fs::path input = scratch / (curve.shape + "-" + std::to_string(depth));
        if (!fs::exists(input))
          if (auto w = write_file_atomic(input, nested::generate(depth, shape, 1)); !w) return w.error();
        Reproducer r;
        r.target = "nested_parser";
        r.argv = {"target-nested_parser", kInputPlaceholder};
        r.input = InputMode::File;
        r.schedule = "stack threads=" + std::to_string(budget);
        auto req = request_for(r, fs::absolute(input).string(), binary_dir());
        if (!req) return req.error();
        req->inject_library = lib;
        auto rep = run_and_triage(req.value());
        if (!rep) return rep.error();
        return rep->cls == CrashClass::StackExhaustion;
      });
      if (!b) return b.error();
      if (b->first_true) curve.budget_to_depth.emplace_back(budget, *b->first_true);
    }
    curves.push_back(curve);
  }
  fs::remove_all(scratch, ec);
  return curves;
}

// One progress line on stderr: rewritten in place on a terminal, every 5 s
// otherwise (CI logs).
class Progress {
 public:
  explicit Progress(std::chrono::steady_clock::time_point start) : start_(start), tty_(isatty(2)) {}
  void update(const std::vector<Row>& rows) {
    const auto now = std::chrono::steady_clock::now();
    if (!tty_ && now - last_ < std::chrono::seconds(5)) return;
    last_ = now;
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
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "%s[campaign] %llu runs, %.1f runs/s, %zu schedules, %d findings, %zu buckets%s", tty_ ? "\r" : "",
                 static_cast<unsigned long long>(runs), secs > 0 ? runs / secs : 0.0, schedules.size(), findings, buckets.size(),
                 tty_ ? "" : "\n");
  }
  void done() {
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  std::chrono::steady_clock::time_point start_, last_{};
  bool tty_;
};

void print_table(const std::vector<Row>& rows) {
  std::printf("%-14s %-10s %-38s %-24s %-16s %-14s %7s\n", "TARGET", "KIND", "ITEM", "CLASS", "STACK HASH", "STATUS",
              "SECONDS");
  for (const auto& r : rows)
    std::printf("%-14s %-10s %-38s %-24s %-16s %-14s %7.2f\n", r.target.c_str(), r.kind.c_str(), r.item.c_str(),
                r.cls.c_str(), r.hash.c_str(), r.status.c_str(), r.seconds);
}

}  // namespace

int cmd_campaign(const Invocation& inv) {
  const auto& o = inv.options;
  const double budget = o["budget"].as<double>();
  if (!seconds_in_range(budget)) return bad_input(inv, "--budget must be a number of seconds in (0, 604800]");
  const fs::path out = o["out"].as<std::string>(), corpora = o["corpora"].as<std::string>();
  if (!fs::is_directory(corpora)) return bad_input(inv, corpora.string() + ": no such corpora directory");
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget);
  auto budget_left = [&] { return std::chrono::steady_clock::now() < deadline; };

  std::vector<Row> rows;
  Progress progress(std::chrono::steady_clock::now());
  int new_crashes = 0, regressions_failing = 0, skipped = 0, errors = 0;
  // A run that could not be made is a row and exit 2 at the end: the rest of
  // the nightly job still runs and its reports are still written.
  auto failed = [&](Row row, const std::string& message) {
    std::fprintf(stderr, "faultline campaign: %s\n", message.c_str());
    row.status = "error";
    row.error = message;
    row.problem = true;
    rows.push_back(std::move(row));
    errors++;
  };
  for (const auto& target_dir : sorted_entries(corpora)) {
    const std::string target = target_dir.filename().string();
    const std::string driver = binary_dir() + "/target-" + target;
    if (access(driver.c_str(), X_OK) != 0) continue;

    remove_unfinished_reproducers(out / target);  // a campaign killed mid-write: start that bucket again
    std::set<std::string> known;  // buckets the regressions already cover
    std::set<std::string> found;  // buckets this campaign stored
    for (const auto& dir : sorted_entries(target_dir / "regressions")) {
      if (!budget_left()) {
        skipped++;
        continue;
      }
      Row row{target, "regression", dir.filename().string(), "", "", "", 0, std::nullopt, dir.string(), false, 1, ""};
      auto repro = load_reproducer(dir);
      if (!repro) return bad_input(inv, repro.error().message);
      known.insert(reproducer_dir_name(repro->expected_class, repro->expected_hash));
      if (const FuzzEngine* e = fuzz_engine_by_name(repro->engine);
          e && access((engine_bin_dir(*e) + "/fuzz-" + target).c_str(), X_OK) != 0) {
        row.status = std::string("skipped (no ") + e->build_dir + " build)";  // found by an engine whose build is absent
        rows.push_back(row);
        skipped++;
        continue;
      }
      auto outcome = replay(repro.value(), dir, kRegressionReplays, std::nullopt, lib.value());
      if (!outcome) {
        failed(row, outcome.error().message);
        continue;
      }
      row.cls = to_string(outcome->runs.back().cls);
      row.hash = outcome->runs.back().stack_hash;
      row.report = outcome->runs.back().report;
      for (const auto& r : outcome->runs) row.seconds += r.wall_seconds;
      const int k = outcome->matched;
      row.status = k == kRegressionReplays ? "reproduces"
                   : k == 0               ? "fixed"
                                          : "flaky " + std::to_string(k) + "/" + std::to_string(kRegressionReplays);
      regressions_failing += k != kRegressionReplays;
      row.problem = k != kRegressionReplays;
      rows.push_back(row);
      progress.update(rows);
    }
    for (const auto& seed : sorted_entries(target_dir / "seeds")) {
      if (!budget_left()) {
        skipped++;
        continue;
      }
      Reproducer repro;
      repro.target = target;
      repro.argv = {"target-" + target, kInputPlaceholder};
      repro.input = InputMode::File;
      // The program's own timers would make seed runs differ from run to run.
      repro.schedule = "timers off";
      Row row{target, "seed", seed.filename().string(), "", "", "", 0, std::nullopt, "", false, 1, ""};
      auto req = request_for(repro, fs::absolute(seed).string(), binary_dir());
      if (!req) return bad_input(inv, req.error().message);
      req->inject_library = lib.value();
      auto triaged = run_and_triage(req.value());
      if (!triaged) {
        failed(row, triaged.error().message);
        continue;
      }
      const CrashReport& rep = triaged.value();
      row = Row{target, "seed", seed.filename().string(), std::string(to_string(rep.cls)), rep.stack_hash, "clean",
                rep.wall_seconds, rep, "", false, 1, ""};
      if (rep.cls != CrashClass::None) {
        const std::string bucket = reproducer_dir_name(rep.cls, rep.stack_hash);
        if (known.count(bucket)) {
          row.status = "known";
        } else if (found.count(bucket)) {
          row.status = "duplicate";
        } else {
          repro.expected_class = rep.cls;
          repro.expected_hash = rep.stack_hash;
          repro.environment = environment_facts();
          auto stored = store_reproducer(out / target, repro, read_file(seed));
          if (!stored) {
            failed(row, stored.error().message);
            continue;
          }
          row.status = stored->already_known ? "stored before" : "new";
          row.reproducer = stored->dir.string();
          row.problem = true;
          found.insert(bucket);
          new_crashes++;
        }
      }
      rows.push_back(row);
      progress.update(rows);
    }
  }

  // What the budget has left: the stack curves, faultline's own parsers, then the fuzz slots.
  const fs::path work = out / ".work";
  std::vector<StackCurve> curves;
  const bool fuzz = !o.count("no-fuzz");
  if (fuzz && budget_left() && fs::is_directory(corpora / "nested_parser") &&
      access((binary_dir() + "/target-nested_parser").c_str(), X_OK) == 0) {
    const auto t0 = std::chrono::steady_clock::now();
    auto c = stack_curves(work / "stack-curves", lib.value());
    Row row{"nested_parser", "stack-curve", "", "none", "", "measured", 0, std::nullopt, "", false, 1, ""};
    if (c) curves = c.value();
    else failed(row, c.error().message);
    for (const auto& curve : curves) {
      row.item += (row.item.empty() ? "" : " ") + curve.shape + ":";
      for (const auto& [bytes, depth] : curve.budget_to_depth)
        row.item += " " + std::to_string(bytes >> 10) + "K=" + std::to_string(depth);
    }
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c) rows.push_back(row);
  }
  if (const std::string self_fuzz = binary_dir() + "/fuzz-faultline-parsers";
      fuzz && budget_left() && access(self_fuzz.c_str(), X_OK) == 0) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    const int seconds = std::clamp(static_cast<int>(left * 0.1), 1, 60);
    std::error_code ec;
    fs::create_directories(work / "parsers-corpus", ec);
    RunRequest req;
    req.argv = {self_fuzz, "-max_total_time=" + std::to_string(seconds), "-artifact_prefix=" + (work / "parsers-").string(),
                (work / "parsers-corpus").string()};
    req.supervise_only = true;
    req.limits.timeout_seconds = seconds + 30;
    auto run = run_program(req);
    Row row{"faultline", "self-fuzz", "repro.json and schedule parsers", "", "", "", 0, std::nullopt, "", false, 1, ""};
    if (!run) {
      failed(row, run.error().message);
    } else {
      const bool clean = run->end == RunResult::End::Exited && run->exit_code == 0;
      row.cls = clean ? "none" : "abort";
      row.status = clean ? "clean" : "crash (see " + (work / "parsers-*").string() + ")";
      row.seconds = run->wall_seconds;
      row.problem = !clean;
      rows.push_back(row);
      new_crashes += !clean;
    }
  }

  struct Slot {
    std::string target;
    const FuzzProfile* profile;
  };
  std::vector<Slot> slots;
  for (const auto& target_dir : fuzz ? sorted_entries(corpora) : std::vector<fs::path>{}) {
    const std::string target = target_dir.filename().string();
    if (kFixtureTargets.count(target)) continue;
    for (const auto& p : kFuzzProfiles)
      if (access((engine_bin_dir(*fuzz_engine_by_name(p.engine)) + "/fuzz-" + target).c_str(), X_OK) == 0)
        slots.push_back({target, &p});
  }
  for (size_t i = 0; i < slots.size(); i++) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    const double share = left / static_cast<double>(slots.size() - i);
    const std::string item = std::string(slots[i].profile->engine) + " " + slots[i].profile->name;
    if (share < kMinSlotSeconds) {
      skipped++;
      continue;
    }
    FuzzRequest req;
    req.engine = fuzz_engine_by_name(slots[i].profile->engine);
    req.target = slots[i].target;
    req.budget_seconds = std::max(1.0, share * kEngineShare);
    req.schedule = Schedule::parse(slots[i].profile->schedule).value().canonical();
    req.corpora = corpora;
    req.work = work / (req.target + "-" + slots[i].profile->engine + "-" + slots[i].profile->name);
    req.store = out / req.target;
    req.inject_library = lib.value();
    const auto t0 = std::chrono::steady_clock::now();
    req.deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(share));
    auto fuzzed = run_fuzz(req);
    if (!fuzzed) {
      failed(Row{req.target, "fuzz", item, "", "", "", 0, std::nullopt, "", false, 1, ""}, fuzzed.error().message);
      continue;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::set<std::string> reported;
    for (const auto& c : fuzzed->crashes) {
      // A bucket stored by an earlier, killed run of this campaign is still this campaign's finding.
      const bool found_here = c.status == "new" || c.status == "stored before";
      if (!found_here && c.status != "known") continue;
      if (!reported.insert(c.reproducer.string()).second) continue;
      rows.push_back(Row{req.target, "fuzz", item, std::string(to_string(c.report.cls)), c.report.stack_hash, c.status,
                         0, c.report, c.reproducer.string(), found_here, 1, ""});
      new_crashes += found_here;
    }
    Row summary{req.target, "fuzz", item, "none", "", std::to_string(fuzzed->executions) + " execs, " +
                std::to_string(fuzzed->crashes.size()) + " crashes", seconds, std::nullopt, "", false, 1, ""};
    summary.runs = std::max<uint64_t>(fuzzed->executions, 1);
    rows.push_back(summary);
    progress.update(rows);
  }

  // The night's report: the history beside the corpora gains this run (one
  // that cannot be read is an error and is left as it is), and each finding
  // gets a page next to report.html.
  auto report_error = [&](const std::string& item, const Error& e) {
    failed(Row{"faultline", "report", item, "", "", "", 0, std::nullopt, "", false, 1, ""}, e.message);
  };
  for (auto& r : rows) add_replay_facts(r);
  const CampaignNight night = campaign_night(rows);
  const fs::path history_file = campaign_history_path(corpora);
  auto loaded = load_campaign_history(history_file);
  if (!loaded) report_error("history", loaded.error());
  std::vector<CampaignNight> history = loaded ? loaded.value() : std::vector<CampaignNight>{};
  append_night(history, night);
  if (loaded)
    if (auto w = save_campaign_history(history_file, history); !w) report_error("history", w.error());
  for (const auto& [page, html] : campaign_finding_pages(rows)) {
    std::error_code dir_ec;
    fs::create_directories((out / page).parent_path(), dir_ec);
    if (auto w = write_file_atomic(out / page, html); !w) report_error(page, w.error());
  }

  progress.done();
  print_table(rows);
  std::printf("\n%zu items, %d new crash buckets, %d regressions not reproducing, %d items skipped, %d errors\n",
              rows.size(), new_crashes, regressions_failing, skipped, errors);

  nlohmann::json j = {{"faultline_campaign", 1},
                      {"new_crashes", new_crashes},
                      {"regressions_not_reproducing", regressions_failing},
                      {"skipped", skipped},
                      {"errors", errors},
                      {"rows", nlohmann::json::array()}};
  for (const auto& r : rows) {
    j["rows"].push_back({{"target", r.target}, {"kind", r.kind}, {"item", r.item}, {"class", r.cls},
                         {"stack_hash", r.hash}, {"status", r.status}, {"seconds", r.seconds}, {"runs", r.runs}});
    if (!r.error.empty()) j["rows"].back()["error"] = r.error;
  }
  for (const auto& c : curves) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& [bytes, depth] : c.budget_to_depth) points.push_back({{"stack_bytes", bytes}, {"min_crashing_depth", depth}});
    j["stack_curves"][c.shape] = points;
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"report.json", j.dump(2) + "\n"},
                                   {"report.sarif", campaign_sarif(rows).dump(2) + "\n"},
                                   {"junit.xml", campaign_junit(rows)},
                                   {"report.html", campaign_html(rows, curves, history)}})
    if (auto w = write_file_atomic(out / name, text); !w) return bad_input(inv, w.error().message);
  std::printf("reports: %s/{report.json,report.sarif,junit.xml,report.html}\n", out.c_str());
  if (errors) return kExitBadInput;  // after the reports: what ran is not lost
  return new_crashes || regressions_failing ? kExitFound : kExitClean;
}

}  // namespace faultline::cli
