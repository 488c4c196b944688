// The main job's campaign: regressions replayed first, seeds triaged, exit code.
#include "test_support.h"

namespace faultline::test {
namespace {

TEST(Campaign, ShippedCorporaAreCleanAndEverySeedIsKnown) {
  ScratchDir d;
  auto r = run_faultline({"campaign", "--budget", "60", "--out", (d / "out").string(), "--corpora",
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
  auto r = run_faultline({"campaign", "--out", (d / "out").string(), "--corpora", corpora.string()}, d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("fixed"), std::string::npos) << r.out;
  auto report = read_report(d / "out" / "report.json");
  EXPECT_EQ(report["new_crashes"], 1);
  EXPECT_EQ(report["regressions_not_reproducing"], 1);
  size_t stored = 0;
  for (const auto& e : fs::directory_iterator(d / "out" / "crash_zoo")) {
    stored++;
    EXPECT_TRUE(e.path().filename().string().starts_with("null-dereference-"));
  }
  EXPECT_EQ(stored, 1u);
}

TEST(Campaign, BrokenRegressionIsAnErrorNamingIt) {
  ScratchDir d;
  const fs::path bad = d / "corpora" / "crash_zoo" / "regressions" / "abort-0123456789abcdef";
  fs::create_directories(bad);
  write_file(bad / "repro.json", "{\"faultline_repro\": 1, \"argv\": [");
  auto r = run_faultline({"campaign", "--out", (d / "out").string(), "--corpora", (d / "corpora").string()}, d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("abort-0123456789abcdef/repro.json: not valid JSON"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace faultline::test
