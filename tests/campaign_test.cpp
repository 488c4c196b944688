// The main job's campaign: regressions replayed first, seeds triaged, exit code.
#include <chrono>
#include <cstdlib>
#include <set>
#include <sstream>

#include "test_support.h"

namespace faultline::test {
namespace {

TEST(Campaign, ShippedCorporaAreCleanAndEverySeedIsKnown) {
  ScratchDir d;
  // A copy: the campaign keeps its history beside the corpora, and the checkout is not the test's to write.
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora", d / "corpora", fs::copy_options::recursive);
  auto r = run_faultline({"campaign", "--no-fuzz", "--budget", "60", "--out", (d / "out").string(), "--corpora",
                          (d / "corpora").string()},
                         d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto report = read_report(d / "out" / "report.json");
  EXPECT_EQ(report["new_crashes"], 0);
  EXPECT_EQ(report["regressions_not_reproducing"], 0);
  int regressions = 0;
  for (const auto& row : report["rows"]) {
    if (row["kind"] == "regression") {
      regressions++;
      EXPECT_EQ(row["status"], "reproduces") << row;
    } else {
      EXPECT_TRUE(row["status"] == "known" || row["status"] == "clean") << row;
    }
  }
  EXPECT_GE(regressions, 7);
}

// crash_zoo seeds `null` (crashes) and `clean`, and a regression whose bug
// has been "fixed": its input no longer crashes.
void write_zoo_corpora_with_a_fixed_regression(const fs::path& corpora) {
  fs::create_directories(corpora / "crash_zoo" / "seeds");
  write_file(corpora / "crash_zoo" / "seeds" / "null", "null\n");
  write_file(corpora / "crash_zoo" / "seeds" / "clean", "clean\n");
  const fs::path fixed = corpora / "crash_zoo" / "regressions" / "abort-0123456789abcdef";
  fs::create_directories(fixed);
  write_file(fixed / "input", "clean\n");
  write_file(fixed / "repro.json", nlohmann::json({{"faultline_repro", 1},
                                                   {"target", "crash_zoo"},
                                                   {"argv", {"target-crash_zoo", "@@"}},
                                                   {"schedule", ""},
                                                   {"input", "file"},
                                                   {"expected", {{"class", "abort"}, {"stack_hash", "0123456789abcdef"}}}})
                                       .dump());
}

TEST(Campaign, NewCrashIsStoredAndAFixedRegressionIsReported) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  write_zoo_corpora_with_a_fixed_regression(corpora);
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora", corpora.string()}, d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("fixed"), std::string::npos) << r.out;
  auto report = read_report(d / "out" / "report.json");
  EXPECT_EQ(report["new_crashes"], 1);
  EXPECT_EQ(report["regressions_not_reproducing"], 1);
  // Stored beside the regressions, so the next night replays it.
  size_t stored = 0;
  for (const auto& e : fs::directory_iterator(corpora / "crash_zoo" / "regressions")) {
    if (e.path().filename() == "abort-0123456789abcdef") continue;  // the fixed regression
    stored++;
    EXPECT_TRUE(e.path().filename().string().starts_with("null-dereference-"));
  }
  EXPECT_EQ(stored, 1u);

  // SARIF: one rule per crash class, one result per problem, located at the blamed frame.
  auto sarif = read_report(d / "out" / "report.sarif");
  EXPECT_EQ(sarif["version"], "2.1.0");
  const auto& rules = sarif["runs"][0]["tool"]["driver"]["rules"];
  EXPECT_EQ(rules.size(), 18u);  // every class of crash_class.h, none included
  const auto& results = sarif["runs"][0]["results"];
  ASSERT_EQ(results.size(), 2u);
  bool located = false;
  for (const auto& r : results) {
    EXPECT_EQ(rules[r["ruleIndex"].get<int>()]["id"], r["ruleId"]);
    if (r["ruleId"] == "null-dereference") {
      const auto& loc = r["locations"][0];
      EXPECT_TRUE(loc["physicalLocation"]["artifactLocation"]["uri"].get<std::string>().ends_with("crash_zoo.cpp"));
      EXPECT_GT(loc["physicalLocation"]["region"]["startLine"].get<int>(), 0);
      EXPECT_EQ(loc["logicalLocations"][0]["fullyQualifiedName"], "zoo_null_dereference");
      located = true;
    }
  }
  EXPECT_TRUE(located);

  // JUnit, read back by a real XML parser (Python's expat-based ElementTree).
  const std::string check =
      "python3 -c \"import sys, xml.etree.ElementTree as E; s = E.parse(sys.argv[1]).getroot().find('testsuite'); "
      "print(s.get('name'), s.get('tests'), s.get('failures'), len(s.findall('testcase')), "
      "len(s.findall('testcase/failure')))\" " +
      shell_quote((d / "out" / "junit.xml").string()) + " > " + shell_quote((d / "junit-check").string());
  ASSERT_EQ(std::system(check.c_str()), 0);
  EXPECT_EQ(read_file(d / "junit-check"), "crash_zoo 3 2 3 2\n");
}

// A regression that crashes on some replays only is `flaky k/N`, with its
// rate, and counts as a problem. (crash_zoo's every-other-run crashes on the
// odd runs it counts in a file: deterministic flakiness.)
TEST(Campaign, FlakyRegressionIsReportedWithItsRate) {
  ScratchDir d;
  const fs::path counter = d / "runs";
  const std::string input = zoo_input(d, "every-other-run " + counter.string());
  auto stored = run_faultline({"run", "--quiet", "--target", "crash_zoo", "--input", input, "--out", (d / "found").string()}, d);
  ASSERT_EQ(stored.exit_code, 1) << stored.err;
  const fs::path regressions = d / "corpora" / "crash_zoo" / "regressions";
  fs::create_directories(regressions);
  for (const auto& e : fs::directory_iterator(d / "found")) fs::rename(e.path(), regressions / e.path().filename());
  // One run counted so far (it crashed); of the three replays only the second crashes.
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora",
                          (d / "corpora").string()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto report = read_report(d / "out" / "report.json");
  EXPECT_EQ(report["regressions_not_reproducing"], 1);
  ASSERT_EQ(report["rows"].size(), 1u);
  EXPECT_EQ(report["rows"][0]["status"], "flaky 1/3") << report["rows"][0];
  EXPECT_NE(read_file(d / "out" / "junit.xml").find("flaky 1/3"), std::string::npos);
}

// A regression found by a fuzz engine the target has no binary for in this
// project's manifest (a machine without clang-14, say) is skipped, and says
// why; it is neither an error nor fixed.
TEST(Campaign, RegressionOfAnEngineTheManifestLacksIsSkipped) {
  ScratchDir d;
  fs::create_directories(d / "corpora/raw_parts");
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora/raw_parts/regressions", d / "corpora/raw_parts/regressions",
           fs::copy_options::recursive);
  ASSERT_EQ(std::distance(fs::directory_iterator(d / "corpora/raw_parts/regressions"), {}), 2);
  write_file(d / "faultline.toml", "[[target]]\nname = \"raw_parts\"\nrun = [\"" + std::string(FAULTLINE_BIN_DIR) +
                                       "/target-raw_parts\", \"@@\"]\n");
  auto r = run_faultline({"campaign", "--project", (d / "faultline.toml").string(), "--no-fuzz", "--out", (d / "out").string()}, d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto report = read_report(d / "out" / "report.json");
  int skipped = 0;
  for (const auto& row : report["rows"]) {
    if (row["status"] == "skipped (no libfuzzer binary in the manifest)") {
      skipped++;
    } else {
      EXPECT_EQ(row["status"], "reproduces") << row;
    }
  }
  EXPECT_EQ(skipped, 1);
}

TEST(Campaign, BrokenRegressionIsAnErrorNamingIt) {
  ScratchDir d;
  const fs::path bad = d / "corpora" / "crash_zoo" / "regressions" / "abort-0123456789abcdef";
  fs::create_directories(bad);
  write_file(bad / "repro.json", "{\"faultline_repro\": 1, \"argv\": [");
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora", (d / "corpora").string()}, d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("abort-0123456789abcdef/repro.json: not valid JSON"), std::string::npos) << r.err;
}

// The nightly shape: after regressions and seeds, each target under every
// injector profile it has an engine for (libFuzzer plain and small-stacks,
// AFL++ heap-quarantine), faultline's own parsers among them as a target like
// any other.
TEST(Campaign, FuzzesEveryTargetUnderEveryProfileWithinTheBudget) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  for (const char* target : {"raw_parts", "pool_double_free"}) {
    fs::create_directories(corpora / target);
    fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora" / target, corpora / target, fs::copy_options::recursive);
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_faultline({"campaign", "--budget", "40", "--target", "raw_parts", "--target", "pool_double_free", "--target",
                          "faultline-parsers", "--out", (d / "out").string(), "--corpora", corpora.string()},
                         d);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_LT(seconds, 40 + 30) << "the budget bounds the campaign (plus one slot's wrap-up)";
  auto report = read_report(d / "out" / "report.json");
  std::set<std::string> slots;
  for (const auto& row : report["rows"]) {
    if (row["kind"] == "fuzz" && row["class"] == "none") {
      slots.insert(row["target"].get<std::string>() + " " + row["item"].get<std::string>());
      EXPECT_GT(row["runs"].get<uint64_t>(), 0u) << row;
    }
    // faultline's own parsers: no crash of theirs is acceptable.
    if (row["target"] == "faultline-parsers") {
      EXPECT_EQ(row["class"], "none") << row;
    }
  }
  for (const char* profile : {"libfuzzer plain", "libfuzzer small-stacks", "afl heap-quarantine"})
    EXPECT_TRUE(slots.count(std::string("pool_double_free ") + profile)) << profile << "\n" << r.out;
  for (const char* profile : {"libfuzzer plain", "libfuzzer small-stacks"})
    EXPECT_TRUE(slots.count(std::string("raw_parts ") + profile)) << profile << "\n" << r.out;
  // Under the injector's sentinels every raw_parts input shows its sized-delete
  // bug and aborts, so afl-fuzz cannot start: said, and not an error.
  bool afl_refused = false;
  for (const auto& row : report["rows"])
    afl_refused |= row["target"] == "raw_parts" && row["item"] == "afl heap-quarantine" &&
                   row["status"].get<std::string>().starts_with("skipped (every input crashes");
  EXPECT_TRUE(afl_refused) << r.out;
  EXPECT_TRUE(slots.count("faultline-parsers libfuzzer plain")) << r.out;
  // A finding of the fuzz phase is stored with the target's regressions, where the next night replays it.
  for (const auto& row : report["rows"])
    if (row["kind"] == "fuzz" && row["status"] == "new") {
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_TRUE(fs::exists(corpora / row["target"].get<std::string>() / "regressions" /
                             (row["class"].get<std::string>() + "-" + row["stack_hash"].get<std::string>())))
          << row;
    }
}

// A target's `stack` table: for each shape, the smallest nesting depth that
// exhausts each stack size; a bigger stack always takes a deeper nesting.
TEST(Campaign, StackTableMeasuresACurvePerShape) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "nested_parser");
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora/nested_parser", corpora / "nested_parser", fs::copy_options::recursive);
  auto r = run_faultline({"campaign", "--budget", "30", "--target", "nested_parser", "--out", (d / "out").string(),
                          "--corpora", corpora.string()},
                         d);
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  auto report = read_report(d / "out" / "report.json");
  ASSERT_TRUE(report.contains("stack_curves")) << r.out;
  EXPECT_EQ(report["stack_curves"].size(), 3u) << r.out;
  for (const auto& [shape, points] : report["stack_curves"].items()) {
    ASSERT_EQ(points.size(), 3u) << shape;
    for (size_t i = 1; i < points.size(); i++)
      EXPECT_GT(points[i]["min_crashing_depth"].get<uint64_t>(), points[i - 1]["min_crashing_depth"].get<uint64_t>()) << shape;
  }
  EXPECT_NE(read_file(d / "out" / "report.html").find("stack (KiB) vs nesting depth that exhausts it"), std::string::npos);
  // Each boundary crash is a finding: known, a duplicate, or stored as a regression.
  for (const auto& row : report["rows"])
    if (row["kind"] == "stack") {
      EXPECT_EQ(row["class"], "stack-exhaustion") << row;
      if (row["status"] == "new") {
        EXPECT_TRUE(fs::exists(corpora / "nested_parser/regressions" / ("stack-exhaustion-" + row["stack_hash"].get<std::string>())));
      }
    }
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// A campaign killed with SIGKILL and started again loses no reproducer and
// stores none twice: reproducers are published by a single rename, and
// half-built ones are cleared when the campaign starts.
TEST(Campaign, ResumesAfterSigkillWithoutLosingOrDuplicating) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "crash_zoo" / "seeds");
  for (const char* kind : {"null", "abort", "wild", "ill", "fpe", "double-free"})
    write_file(corpora / "crash_zoo" / "seeds" / kind, std::string(kind) + "\n");
  const std::string faultline = std::string(FAULTLINE_BIN_DIR) + "/faultline";
  const std::string args = " campaign --project " + shell_quote(own_manifest()) + " --target crash_zoo --no-fuzz --out " +
                           shell_quote((d / "out").string()) + " --corpora " + shell_quote(corpora.string()) + " >/dev/null 2>&1";
  const fs::path store = corpora / "crash_zoo" / "regressions";
  // A leftover of an earlier kill, as a crashed writer leaves it.
  fs::create_directories(store / ".incoming-abc123");
  // Killed part-way through.
  const std::string killed = "timeout -s KILL 0.15 " + shell_quote(faultline) + args;
  std::system(killed.c_str());
  auto again = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora",
                              corpora.string()},
                             d);
  EXPECT_NE(again.exit_code, 2) << again.err;
  std::set<std::string> buckets;
  for (const auto& e : fs::directory_iterator(store)) {
    const std::string name = e.path().filename().string();
    EXPECT_NE(name[0], '.') << "half-built reproducer left: " << name;
    EXPECT_TRUE(fs::exists(e.path() / "repro.json")) << name;
    buckets.insert(name);
  }
  EXPECT_EQ(buckets.size(), 6u);  // six crash classes, six buckets, each once
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// The text between the first `open` after `from` and the next `close` ("" when absent).
std::string between(const std::string& text, const std::string& open, const std::string& close, size_t from = 0) {
  const size_t a = text.find(open, from);
  if (a == std::string::npos) return "";
  const size_t b = text.find(close, a + open.size());
  return b == std::string::npos ? "" : text.substr(a + open.size(), b - a - open.size());
}

std::vector<std::string> lines_containing(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

std::string row_bucket(const nlohmann::json& report, const std::string& item) {
  for (const auto& row : report["rows"])
    if (row["item"] == item) return row["class"].get<std::string>() + "-" + row["stack_hash"].get<std::string>();
  return "";
}

// Static: nothing a browser would run or fetch.
void expect_static_page(const std::string& html, const std::string& name) {
  EXPECT_EQ(html.find("<script"), std::string::npos) << name;
  EXPECT_EQ(html.find("src="), std::string::npos) << name;
  EXPECT_EQ(html.find("://"), std::string::npos) << name;
}

// The nightly report people read: each finding has a page next to
// report.html with its class, the blamed frame, the stacks (a reentrancy's
// handler and interrupted code apart), the schedule, the input size and the
// one line that replays it, and that line really replays it.
TEST(Campaign, WritesAPagePerFindingLinkedFromTheReport) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  write_zoo_corpora_with_a_fixed_regression(corpora);
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora/profiler_backtrace", corpora / "profiler_backtrace",
           fs::copy_options::recursive);
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--target", "profiler_backtrace", "--out",
                          (d / "out").string(), "--corpora", corpora.string()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string null_bucket = row_bucket(read_report(d / "out" / "report.json"), "null");
  ASSERT_TRUE(null_bucket.starts_with("null-dereference-")) << r.out;
  const std::string reentrancy_bucket = "signal-unsafe-reentrancy-1b76b1f62557465c";
  std::set<std::string> pages;
  for (const auto& e : fs::directory_iterator(d / "out" / "findings")) pages.insert(e.path().filename().string());
  // One per reproducer: the new crash, the fixed regression, the regression that reproduces.
  EXPECT_EQ(pages, (std::set<std::string>{null_bucket + ".html", "abort-0123456789abcdef.html", reentrancy_bucket + ".html"}));
  const std::string report = read_file(d / "out" / "report.html");
  for (const auto& page : pages) {
    EXPECT_NE(report.find("href=\"findings/" + page + "\""), std::string::npos) << page;
    expect_static_page(read_file(d / "out" / "findings" / page), page);
  }

  const std::string null_page = read_file(d / "out" / "findings" / (null_bucket + ".html"));
  EXPECT_NE(null_page.find("<span id=\"class\">null-dereference</span>"), std::string::npos) << null_page;
  EXPECT_NE(null_page.find("id=\"status\">seed: new<"), std::string::npos);
  EXPECT_NE(null_page.find("id=\"where\">zoo_null_dereference (crash_zoo.cpp:"), std::string::npos);
  EXPECT_NE(null_page.find("<li class=\"hashed blamed\">zoo_null_dereference (crash_zoo.cpp:"), std::string::npos);
  EXPECT_NE(null_page.find("id=\"schedule\"><code>timers off</code>"), std::string::npos);
  EXPECT_NE(null_page.find("id=\"input-size\">5 bytes<"), std::string::npos);
  const std::string replay = between(null_page, "<pre id=\"replay\">", "</pre>");
  EXPECT_EQ(replay, "faultline replay --project " + own_manifest() + " " + (corpora / "crash_zoo/regressions" / null_bucket).string());
  // The line works as printed (the scratch path needs no quoting), with this build's faultline.
  const std::string run_replay = std::string(FAULTLINE_BIN_DIR) + "/" + replay + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(run_replay.c_str()), 0) << run_replay;

  const std::string fixed_page = read_file(d / "out" / "findings" / "abort-0123456789abcdef.html");
  EXPECT_NE(fixed_page.find("<span id=\"class\">abort</span>"), std::string::npos) << fixed_page;
  EXPECT_NE(fixed_page.find("id=\"status\">regression: fixed<"), std::string::npos);
  EXPECT_NE(fixed_page.find("id=\"observed\">none<"), std::string::npos);
  EXPECT_NE(between(fixed_page, "<pre id=\"replay\">", "</pre>").find("regressions/abort-0123456789abcdef"), std::string::npos);

  const std::string reentrancy_page = read_file(d / "out" / "findings" / (reentrancy_bucket + ".html"));
  EXPECT_NE(reentrancy_page.find("id=\"reentrancy\">handler <code>profiler_on_sigprof</code> interrupted <code>malloc</code>"),
            std::string::npos) << reentrancy_page;
  EXPECT_NE(between(reentrancy_page, "id=\"finding-0-handler\">", "</ol>").find("profiler_on_sigprof (profiler.c:"),
            std::string::npos) << reentrancy_page;
  EXPECT_NE(between(reentrancy_page, "id=\"finding-0-interrupted\">", "</ol>").find("workload_make_record (profiler.c:"),
            std::string::npos) << reentrancy_page;
  EXPECT_NE(reentrancy_page.find("id=\"schedule\"><code>malloc-signal sig=SIGPROF thread=0 call=8 insn=1</code>"),
            std::string::npos);
}

// A stack exhaustion has a thousand frames; its page lists 64 and says how many it left out.
TEST(Campaign, FindingPageListsAtMost64FramesOfAStack) {
  ScratchDir d;
  const std::string bucket = "stack-exhaustion-2bb8645fbedf9535";
  const fs::path regressions = d / "corpora" / "crash_zoo" / "regressions";
  fs::create_directories(regressions);
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora/crash_zoo/regressions" / bucket, regressions / bucket);
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora", (d / "corpora").string()}, d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string page = read_file(d / "out" / "findings" / (bucket + ".html"));
  const std::string stack = between(page, "id=\"stack\">", "</ol>");
  size_t frames = 0;
  for (size_t at = stack.find("<li"); at != std::string::npos; at = stack.find("<li", at + 1)) frames++;
  EXPECT_EQ(frames, 64u + 1) << "64 frames and the line saying how many more";
  EXPECT_NE(stack.find(" more frames</li>"), std::string::npos) << stack;
}

std::string html_unescape(std::string s) {
  for (const auto& [entity, c] : {std::pair<std::string, std::string>{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                                  {"&apos;", "'"}, {"&amp;", "&"}})
    for (size_t at = s.find(entity); at != std::string::npos; at = s.find(entity, at + 1)) s.replace(at, entity.size(), c);
  return s;
}

// What a page embeds from outside (here the corpora directory's name, in the
// reproducer path) is escaped for HTML, and the replay line is quoted for
// the shell: copied out of the page, it still runs.
TEST(Campaign, FindingPageEscapesWhatItEmbedsAndItsReplayLineRuns) {
  ScratchDir d;
  const fs::path corpora = d / "o<u>t&'s \"x\"";
  fs::create_directories(corpora / "crash_zoo" / "seeds");
  write_file(corpora / "crash_zoo" / "seeds" / "null", "null\n");
  const fs::path out = d / "out";
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", out.string(), "--corpora", corpora.string()}, d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string bucket = row_bucket(read_report(out / "report.json"), "null");
  const std::string page = read_file(out / "findings" / (bucket + ".html"));
  ASSERT_FALSE(page.empty()) << bucket;
  EXPECT_EQ(page.find("<u>"), std::string::npos);
  EXPECT_NE(page.find("o&lt;u&gt;t&amp;&apos;s &quot;x&quot;"), std::string::npos) << page;
  const std::string replay = html_unescape(between(page, "<pre id=\"replay\">", "</pre>"));
  ASSERT_TRUE(replay.starts_with("faultline replay --project " + own_manifest() + " '")) << replay;
  const std::string run_replay = std::string(FAULTLINE_BIN_DIR) + "/" + replay + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(run_replay.c_str()), 0) << run_replay;
}

// Night after night: the history beside the corpora gains one record per
// run, and report.html draws the trend from it.
TEST(Campaign, HistoryGainsARecordPerRunAndTheReportDrawsTheTrend) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "crash_zoo" / "seeds");
  write_file(corpora / "crash_zoo" / "seeds" / "null", "null\n");
  write_file(corpora / "crash_zoo" / "seeds" / "clean", "clean\n");
  for (int night = 0; night < 2; night++) {
    auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora", corpora.string()}, d);
    // The first night stores the crash with the regressions; the second replays it.
    EXPECT_EQ(r.exit_code, night == 0 ? 1 : 0) << r.out << r.err;
  }
  const auto history = read_report(corpora / ".faultline" / "history.json");
  ASSERT_EQ(history["runs"].size(), 2u) << history;
  const std::string html = read_file(d / "out" / "report.html");
  int night = 0;
  for (const auto& run : history["runs"]) {
    // Night 1: two seeds, one new. Night 2: the regression replayed 3 times and the two seeds, nothing new.
    const nlohmann::json expected = night++ == 0 ? nlohmann::json({{"new", 1}, {"fixed", 0}, {"flaky", 0}, {"execs", 2}})
                                                 : nlohmann::json({{"new", 0}, {"fixed", 0}, {"flaky", 0}, {"execs", 5}});
    EXPECT_EQ(run["targets"]["crash_zoo"], expected) << run;
    EXPECT_EQ(run["totals"], run["targets"]["crash_zoo"]);
    const std::string utc = run["utc"].get<std::string>();
    EXPECT_TRUE(utc.size() == 20 && utc.ends_with("Z")) << utc;
    EXPECT_NE(between(html, "<table id=\"trend-nights\">", "</table>").find("<td>" + utc + "</td>"), std::string::npos) << utc;
  }
  EXPECT_NE(html.find("<p id=\"trend-summary\">2 nights recorded</p>"), std::string::npos) << html.substr(0, 2000);
  EXPECT_NE(html.find("aria-label=\"new, fixed and flaky per night\""), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"executions per target per night\""), std::string::npos);
}

// A history is a trend, not an archive: the last 100 runs are kept.
TEST(Campaign, HistoryKeepsTheLastHundredRuns) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "crash_zoo" / "seeds");
  write_file(corpora / "crash_zoo" / "seeds" / "clean", "clean\n");
  nlohmann::json runs = nlohmann::json::array();
  const nlohmann::json zero = {{"new", 0}, {"fixed", 0}, {"flaky", 0}, {"execs", 1}};
  for (int i = 0; i < 100; i++)
    runs.push_back({{"utc", "night-" + std::to_string(i)}, {"totals", zero}, {"targets", {{"crash_zoo", zero}}}});
  fs::create_directories(corpora / ".faultline");
  write_file(corpora / ".faultline" / "history.json", nlohmann::json({{"faultline_history", 1}, {"runs", runs}}).dump());
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora", corpora.string()}, d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto history = read_report(corpora / ".faultline" / "history.json");
  ASSERT_EQ(history["runs"].size(), 100u);
  EXPECT_EQ(history["runs"][0]["utc"], "night-1");
  EXPECT_TRUE(history["runs"][99]["utc"].get<std::string>().ends_with("Z"));
}

// A history that cannot be read is one line naming the file (exit 2 at the
// end; the night's reports are still written), and it is left as it was for
// someone to look at: never overwritten by a fresh one.
TEST(Campaign, UnreadableHistoryIsAnErrorNamingItAndIsKept) {
  struct Case {
    const char* what;
    std::string text, error;
  };
  const Case cases[] = {
      {"truncated", "{\"faultline_history\": 1, \"runs\": [", ": not valid JSON"},
      {"negative count",
       R"({"faultline_history": 1, "runs": [{"utc": "x", "totals": {"new": -1, "fixed": 0, "flaky": 0, "execs": 0}, "targets": {}}]})",
       ": field 'runs[0].totals.new': not a count"},
      {"oversized", "{\"faultline_history\": 1, \"runs\": []}" + std::string(5 << 20, ' '), ": over 4 MiB"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    ScratchDir d;
    const fs::path corpora = d / "corpora";
    fs::create_directories(corpora / "crash_zoo" / "seeds");
    write_file(corpora / "crash_zoo" / "seeds" / "clean", "clean\n");
    const fs::path history = corpora / ".faultline" / "history.json";
    fs::create_directories(history.parent_path());
    write_file(history, c.text);
    auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora", corpora.string()}, d);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    const auto lines = lines_containing(r.err, "history.json");
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_TRUE(lines[0].starts_with("faultline campaign: " + history.string() + c.error)) << lines[0];
    EXPECT_LT(lines[0].size(), 300u);
    EXPECT_TRUE(read_file(history) == c.text) << "the history was rewritten";
    EXPECT_TRUE(fs::exists(d / "out" / "report.html"));
  }
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// A screenshot Chromium took: a PNG of the window's size, and not blank (a
// blank page compresses to a few KB; plots, tables and stacks do not).
void expect_rendered_png(const fs::path& file, size_t min_bytes) {
  const std::string png = read_file(file);
  ASSERT_GT(png.size(), 24u) << file;
  EXPECT_EQ(png.substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(png[at])) << 24) | (static_cast<uint8_t>(png[at + 1]) << 16) |
           (static_cast<uint8_t>(png[at + 2]) << 8) | static_cast<uint8_t>(png[at + 3]);
  };
  EXPECT_EQ(be32(16), 1200u);
  EXPECT_EQ(be32(20), 900u);
  EXPECT_GT(png.size(), min_bytes) << file;
}

// report.html and a finding page in a real browser: headless Chromium loads
// them from disk, their DOMs have the rows, the trend, the link and the
// finding's facts, and screenshots of them are real, non-blank pictures
// (kept in build/tests/ for people to look at).
TEST(Campaign, HtmlReportRendersInHeadlessChromium) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium); report.html not rendered";
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "crash_zoo" / "seeds");
  for (const char* kind : {"null", "abort", "clean"}) write_file(corpora / "crash_zoo" / "seeds" / kind, std::string(kind) + "\n");
  run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora", corpora.string()}, d);
  const fs::path html = d / "out" / "report.html";
  ASSERT_TRUE(fs::exists(html));
  const std::string null_page = "findings/" + row_bucket(read_report(d / "out" / "report.json"), "null") + ".html";
  ASSERT_TRUE(fs::exists(d / "out" / null_page)) << null_page;
  const std::string chromium =
      "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir=" + shell_quote((d / "profile").string()) + " ";
  auto dom_of = [&](const fs::path& page) {
    const fs::path dom = d / "dom";
    const std::string cmd = chromium + "--dump-dom " + shell_quote("file://" + page.string()) + " > " +
                            shell_quote(dom.string()) + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << page;
    return read_file(dom);
  };
  auto screenshot = [&](const fs::path& page, const std::string& kept_as) {
    const fs::path shot = d / kept_as;
    const std::string cmd = chromium + "--window-size=1200,900 --screenshot=" + shell_quote(shot.string()) + " " +
                            shell_quote("file://" + page.string()) + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << page;
    std::error_code ec;
    fs::copy_file(shot, fs::path(FAULTLINE_TEST_ARTIFACT_DIR) / kept_as, fs::copy_options::overwrite_existing, ec);
    EXPECT_FALSE(ec) << ec.message();
    return shot;
  };

  const std::string dom = dom_of(html);
  EXPECT_NE(dom.find("3 items (3 runs) in"), std::string::npos) << dom.substr(0, 500);
  EXPECT_NE(dom.find("<strong>2</strong> problems"), std::string::npos);
  EXPECT_NE(dom.find("zoo_null_dereference (crash_zoo.cpp:"), std::string::npos);
  EXPECT_NE(dom.find("<p id=\"trend-summary\">1 night recorded</p>"), std::string::npos);
  EXPECT_NE(dom.find("<a href=\"" + null_page + "\">page</a>"), std::string::npos) << null_page;
  expect_rendered_png(screenshot(html, "report-screenshot.png"), 20000);

  const std::string finding = dom_of(d / "out" / null_page);
  EXPECT_NE(finding.find("<span id=\"class\">null-dereference</span>"), std::string::npos) << finding.substr(0, 1500);
  EXPECT_NE(finding.find("id=\"where\">zoo_null_dereference (crash_zoo.cpp:"), std::string::npos);
  EXPECT_NE(finding.find("<pre id=\"replay\">faultline replay "), std::string::npos);
  EXPECT_NE(finding.find("<a href=\"../report.html\">"), std::string::npos);
  expect_rendered_png(screenshot(d / "out" / null_page, "finding-screenshot.png"), 20000);
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// A CI matrix: `--shard K/N` splits the work deterministically; the shards'
// items are disjoint, together they are the whole night, and their
// reproducers merge by name into one corpora/.
TEST(Campaign, ShardsSplitTheWorkDisjointlyAndCoverIt) {
  ScratchDir d;
  auto items = [&](const std::vector<std::string>& extra, const std::string& name) {
    const fs::path corpora = d / ("corpora-" + name);
    fs::create_directories(corpora / "crash_zoo" / "seeds");
    for (const char* kind : {"null", "abort", "wild", "ill", "fpe", "clean", "double-free"})
      write_file(corpora / "crash_zoo" / "seeds" / kind, std::string(kind) + "\n");
    std::vector<std::string> args = {"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / name).string(),
                                     "--corpora", corpora.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_faultline(args, d);
    EXPECT_NE(r.exit_code, 2) << r.err;
    EXPECT_TRUE(fs::exists(d / name / "report.json")) << r.out << r.err;
    std::multiset<std::string> out;
    const auto report = read_report(d / name / "report.json");
    for (const auto& row : report["rows"]) out.insert(row["item"].get<std::string>());
    return out;
  };
  const auto whole = items({}, "whole"), first = items({"--shard", "1/2"}, "first"), second = items({"--shard", "2/2"}, "second");
  EXPECT_FALSE(first.empty());
  EXPECT_FALSE(second.empty());
  std::multiset<std::string> both = first;
  both.insert(second.begin(), second.end());
  EXPECT_EQ(both, whole);
  EXPECT_EQ(items({"--shard", "1/2"}, "first-again"), first) << "the same split every time";
  auto bad = run_faultline({"campaign", "--shard", "3/2", "--out", (d / "x").string()}, d);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--shard must be K/N"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// What `faultline explore -- ./myprog` stores (argv only, no target) and a
// user drops into corpora/myprog/regressions/ is replayed by the campaign of
// the user's manifest through the target's `run` command: not skipped.
TEST(Campaign, AnExploreReproducerOfAUserProgramIsReplayed) {
  ScratchDir d;
  const std::string prog = std::string(FAULTLINE_BIN_DIR) + "/target-profiler_backtrace";
  auto explore = run_faultline_as_given({"explore", "--max-runs", "40", "--out", (d / "found").string(), "--", prog}, d);
  ASSERT_EQ(explore.exit_code, 1) << explore.out << explore.err;
  const fs::path regressions = d / "corpora/myprog/regressions";
  fs::create_directories(regressions);
  int moved = 0;
  for (const auto& e : fs::directory_iterator(d / "found")) {
    EXPECT_FALSE(read_report(e.path() / "repro.json").contains("target")) << "explore -- PROG stores argv only";
    fs::rename(e.path(), regressions / e.path().filename());
    moved++;
  }
  ASSERT_GT(moved, 0);
  write_file(d / "faultline.toml", "[[target]]\nname = \"myprog\"\nrun = [\"" + prog + "\"]\n");
  auto r = run_faultline({"campaign", "--project", (d / "faultline.toml").string(), "--no-fuzz", "--out", (d / "out").string()}, d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto report = read_report(d / "out/report.json");
  int replayed = 0;
  for (const auto& row : report["rows"]) {
    EXPECT_EQ(row["kind"], "regression") << row;
    EXPECT_EQ(row["status"], "reproduces") << row;
    replayed++;
  }
  EXPECT_EQ(replayed, moved) << r.out;
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// A target's `explore` table: the campaign runs a malloc-signal explore of
// its `run` command and stores each new bucket with its regressions.
TEST(Campaign, ExploreTableFindsTheReentrancyAndStoresIt) {
  ScratchDir d;
  write_file(d / "faultline.toml", "[[target]]\nname = \"profiler\"\nrun = [\"" + std::string(FAULTLINE_BIN_DIR) +
                                       "/target-profiler_backtrace\"]\nexplore = { signal = \"SIGPROF\", max_runs = 12 }\n");
  fs::create_directories(d / "corpora");
  auto r = run_faultline({"campaign", "--project", (d / "faultline.toml").string(), "--budget", "60", "--out",
                          (d / "out").string()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto report = read_report(d / "out/report.json");
  bool summary = false, stored = false;
  for (const auto& row : report["rows"]) {
    if (row["kind"] != "explore") continue;
    if (row["class"] == "none") {
      summary = row["status"].get<std::string>().starts_with("12 runs") && row["item"] == "malloc-signal SIGPROF";
    } else if (row["status"] == "new") {
      EXPECT_EQ(row["class"], "signal-unsafe-reentrancy") << row;
      stored = fs::exists(d / "corpora/profiler/regressions" / ("signal-unsafe-reentrancy-" + row["stack_hash"].get<std::string>()));
    }
  }
  EXPECT_TRUE(summary && stored) << r.out;
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// explore's --in and --process as the explore table's `in` and `process`:
// the CVE-2024-6387-shaped target, with the signal raised inside syslog.
TEST(Campaign, ExploreTableTakesInAndProcess) {
  ScratchDir d;
  // Forked by a wrapper shell, as a user's script would run it: only `process` makes it the one interrupted.
  const std::string target = "[[target]]\nname = \"login\"\nrun = [\"sh\", \"-c\", \"" + std::string(FAULTLINE_BIN_DIR) +
                             "/target-login_timeout; true\"]\ntimeout = 2\n";
  write_file(d / "faultline.toml",
             target + "explore = { signal = \"SIGALRM\", in = \"syslog\", process = \"target-login_timeout\", max_runs = 4 }\n");
  fs::create_directories(d / "corpora");
  auto r = run_faultline({"campaign", "--project", (d / "faultline.toml").string(), "--budget", "60", "--out",
                          (d / "out").string()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  bool stored = false;
  const auto report = read_report(d / "out/report.json");
  for (const auto& row : report["rows"])
    if (row["kind"] == "explore" && row["status"] == "new")
      stored = row["class"] == "deadlock-in-signal-handler" &&
               fs::exists(d / "corpora/login/regressions" / ("deadlock-in-signal-handler-" + row["stack_hash"].get<std::string>()));
  EXPECT_TRUE(stored) << r.out;
  write_file(d / "faultline.toml", target + "explore = { signal = \"SIGALRM\", in = \"syslog\", max_runs = 4 }\n");
  auto shell = run_faultline({"campaign", "--project", (d / "faultline.toml").string(), "--budget", "60", "--out",
                              (d / "out3").string()},
                             d);
  EXPECT_NE(shell.out.find("no SIGALRM handler seen"), std::string::npos) << "the wrapper shell was interrupted: " << shell.out;

  for (const auto& [bad, words] : std::vector<std::pair<std::string, std::string>>{
           {"explore = { in = \"nosuch\" }\n", "key 'target.login.explore.in': in='nosuch' is not a signal-unsafe function faultline interposes (syslog"},
           {"explore = { process = \"a/b\" }\n", "key 'target.login.explore.process': bad value 'a/b' (want a name"}}) {
    write_file(d / "faultline.toml", target + bad);
    auto e = run_faultline({"campaign", "--project", (d / "faultline.toml").string(), "--no-fuzz", "--out",
                            (d / "out2").string()},
                           d);
    EXPECT_EQ(e.exit_code, 2) << e.out << e.err;
    EXPECT_NE(e.err.find(words), std::string::npos) << e.err;
  }
}

}  // namespace
}  // namespace faultline::test
