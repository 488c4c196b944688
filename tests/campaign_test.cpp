// The main job's campaign: regressions replayed first, seeds triaged, exit code.
#include <chrono>
#include <set>

#include "test_support.h"

namespace faultline::test {
namespace {

TEST(Campaign, ShippedCorporaAreCleanAndEverySeedIsKnown) {
  ScratchDir d;
  auto r = run_faultline({"campaign", "--no-fuzz", "--budget", "60", "--out", (d / "out").string(), "--corpora",
                          std::string(FAULTLINE_SOURCE_DIR) + "/corpora"},
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

TEST(Campaign, NewCrashIsStoredAndAFixedRegressionIsReported) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "crash_zoo" / "seeds");
  write_file(corpora / "crash_zoo" / "seeds" / "null", "null\n");
  write_file(corpora / "crash_zoo" / "seeds" / "clean", "clean\n");
  // A regression whose bug has been "fixed": its input no longer crashes.
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
  auto r = run_faultline({"campaign", "--no-fuzz", "--target", "crash_zoo", "--out", (d / "out").string(), "--corpora",
                          corpora.string()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("fixed"), std::string::npos) << r.out;
  auto report = read_report(d / "out" / "report.json");
  EXPECT_EQ(report["new_crashes"], 1);
  EXPECT_EQ(report["regressions_not_reproducing"], 1);
  // Stored beside the regressions, so the next night replays it.
  size_t stored = 0;
  for (const auto& e : fs::directory_iterator(corpora / "crash_zoo" / "regressions")) {
    if (e.path() == fixed) continue;
    stored++;
    EXPECT_TRUE(e.path().filename().string().starts_with("null-dereference-"));
  }
  EXPECT_EQ(stored, 1u);

  // SARIF: one rule per crash class, one result per problem, located at the blamed frame.
  auto sarif = read_report(d / "out" / "report.sarif");
  EXPECT_EQ(sarif["version"], "2.1.0");
  const auto& rules = sarif["runs"][0]["tool"]["driver"]["rules"];
  EXPECT_EQ(rules.size(), 17u);
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
  fs::create_directories(corpora / "raw_parts");
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora/raw_parts", corpora / "raw_parts", fs::copy_options::recursive);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_faultline({"campaign", "--budget", "40", "--target", "raw_parts", "--target", "faultline-parsers", "--out",
                          (d / "out").string(), "--corpora", corpora.string()},
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
    if (row["target"] == "faultline-parsers") EXPECT_EQ(row["class"], "none") << row;
  }
  for (const char* profile : {"libfuzzer plain", "libfuzzer small-stacks", "afl heap-quarantine"})
    EXPECT_TRUE(slots.count(std::string("raw_parts ") + profile)) << profile << "\n" << r.out;
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
      if (row["status"] == "new")
        EXPECT_TRUE(fs::exists(corpora / "nested_parser/regressions" / ("stack-exhaustion-" + row["stack_hash"].get<std::string>())));
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

// report.html in a real browser: headless Chromium loads it from disk, its DOM
// has every row, and a screenshot of it is a real, non-blank picture.
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
  const std::string chromium =
      "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir=" + shell_quote((d / "profile").string()) + " ";
  const std::string url = shell_quote("file://" + html.string());
  ASSERT_EQ(std::system((chromium + "--dump-dom " + url + " > " + shell_quote((d / "dom").string()) + " 2>/dev/null").c_str()), 0);
  const std::string dom = read_file(d / "dom");
  EXPECT_NE(dom.find("3 items (3 runs) in"), std::string::npos) << dom.substr(0, 500);
  EXPECT_NE(dom.find("<strong>2</strong> problems"), std::string::npos);
  EXPECT_NE(dom.find("zoo_null_dereference (crash_zoo.cpp:"), std::string::npos);
  ASSERT_EQ(std::system((chromium + "--window-size=1200,900 --screenshot=" + shell_quote((d / "shot.png").string()) + " " +
                         url + " >/dev/null 2>&1").c_str()),
            0);
  const std::string png = read_file(d / "shot.png");
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(png[at])) << 24) | (static_cast<uint8_t>(png[at + 1]) << 16) |
           (static_cast<uint8_t>(png[at + 2]) << 8) | static_cast<uint8_t>(png[at + 3]);
  };
  EXPECT_EQ(be32(16), 1200u);
  EXPECT_EQ(be32(20), 900u);
  EXPECT_GT(png.size(), 20000u) << "a blank page compresses to a few KB; plots and a table do not";
}

}  // namespace
}  // namespace faultline::test
