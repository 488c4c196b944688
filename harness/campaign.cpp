// faultline campaign: regressions first, then every target's seeds; a table
// on stdout and report.json in the output directory. (Fuzz engines and
// injector profiles join in later; this is the spine of the nightly job.)
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
#include "replay.h"
#include "report.h"
#include "run_setup.h"

namespace faultline::cli {

namespace {

namespace fs = std::filesystem;
constexpr int kRegressionReplays = 3;

using Row = CampaignRow;

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string()[0] != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
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
    for (const auto& r : rows) {
      if (r.cls != "none" && !r.cls.empty()) {
        findings++;
        buckets.insert(r.cls + "-" + r.hash);
      }
      if (r.report) schedules.insert(r.report->schedule);
    }
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "%s[campaign] %zu runs, %.1f runs/s, %zu schedules, %d findings, %zu buckets%s", tty_ ? "\r" : "",
                 rows.size(), secs > 0 ? rows.size() / secs : 0.0, schedules.size(), findings, buckets.size(),
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
  if (!(budget > 0)) return bad_input(inv, "--budget must be a positive number of seconds");
  const fs::path out = o["out"].as<std::string>(), corpora = o["corpora"].as<std::string>();
  if (!fs::is_directory(corpora)) return bad_input(inv, corpora.string() + ": no such corpora directory");
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget);
  auto budget_left = [&] { return std::chrono::steady_clock::now() < deadline; };

  std::vector<Row> rows;
  Progress progress(std::chrono::steady_clock::now());
  int new_crashes = 0, regressions_failing = 0, skipped = 0;
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
      Row row{target, "regression", dir.filename().string(), "", "", "", 0, std::nullopt, dir.string(), false};
      auto repro = load_reproducer(dir);
      if (!repro) return bad_input(inv, repro.error().message);
      known.insert(reproducer_dir_name(repro->expected_class, repro->expected_hash));
      auto outcome = replay(repro.value(), dir, kRegressionReplays, std::nullopt, lib.value());
      if (!outcome) return bad_input(inv, outcome.error().message);
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
      auto req = request_for(repro, fs::absolute(seed).string(), binary_dir());
      if (!req) return bad_input(inv, req.error().message);
      req->inject_library = lib.value();
      auto triaged = run_and_triage(req.value());
      if (!triaged) return bad_input(inv, triaged.error().message);
      const CrashReport& rep = triaged.value();
      Row row{target, "seed", seed.filename().string(), std::string(to_string(rep.cls)), rep.stack_hash, "clean",
              rep.wall_seconds, rep, "", false};
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
          std::ifstream f(seed, std::ios::binary);
          std::string bytes((std::istreambuf_iterator<char>(f)), {});
          auto stored = store_reproducer(out / target, repro, bytes);
          if (!stored) return bad_input(inv, stored.error().message);
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
  progress.done();
  print_table(rows);
  std::printf("\n%zu runs, %d new crash buckets, %d regressions not reproducing, %d items skipped (budget)\n",
              rows.size(), new_crashes, regressions_failing, skipped);

  nlohmann::json j = {{"faultline_campaign", 1},
                      {"new_crashes", new_crashes},
                      {"regressions_not_reproducing", regressions_failing},
                      {"skipped_for_budget", skipped},
                      {"rows", nlohmann::json::array()}};
  for (const auto& r : rows)
    j["rows"].push_back({{"target", r.target}, {"kind", r.kind}, {"item", r.item}, {"class", r.cls},
                         {"stack_hash", r.hash}, {"status", r.status}, {"seconds", r.seconds}});
  std::error_code ec;
  fs::create_directories(out, ec);
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"report.json", j.dump(2) + "\n"},
                                   {"report.sarif", campaign_sarif(rows).dump(2) + "\n"},
                                   {"junit.xml", campaign_junit(rows)},
                                   {"report.html", campaign_html(rows)}})
    if (auto w = write_file_atomic(out / name, text); !w) return bad_input(inv, w.error().message);
  std::printf("reports: %s/{report.json,report.sarif,junit.xml,report.html}\n", out.c_str());
  return new_crashes || regressions_failing ? kExitFound : kExitClean;
}

}  // namespace faultline::cli
