// The CLI contract: manual pages, and one-line errors with exit code 2.
#include <regex>

#include "test_support.h"

namespace faultline::test {
namespace {

void expect_one_line_error(const CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind("faultline", 0), 0u) << r.err;
}

TEST(Cli, MainHelpListsCommandsAndScheduleItems) {
  ScratchDir d;
  auto r = run_faultline({"--help"}, d);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"NAME", "SYNOPSIS", "COMMANDS", "run ", "replay ", "campaign ", "stack ", "explore ",
                        "minimize ", "alloc ", "gen ", "SCHEDULE", "stack main=SIZE", "malloc-signal sig=SIG",
                        "malloc-signal trace ", "lazy-handler on ", "EXIT STATUS"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_EQ(r.out.find("trace=N"), std::string::npos) << "bare words take no value";
}

TEST(Cli, CommandHelpReadsLikeAManPage) {
  ScratchDir d;
  auto r = run_faultline({"run", "--help"}, d);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"NAME\n    faultline run - ", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "--timeout", "--schedule",
                        "--report", "EXIT STATUS", "EXAMPLES"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_EQ(run_faultline({"replay", "--help"}, d).exit_code, 0);
}

// The version a CI log shows, and what every report and reproducer records;
// a reproducer of another major version replays with a warning saying so.
TEST(Cli, TheVersionIsInLogsReportsAndReproducers) {
  ScratchDir d;
  auto v = run_faultline({"--version"}, d);
  EXPECT_EQ(v.exit_code, 0);
  // Built from a checkout: git describe too.
  const bool checkout = fs::exists(fs::path(FAULTLINE_SOURCE_DIR) / ".git");
  EXPECT_TRUE(std::regex_search(v.out, std::regex(checkout ? "^faultline [0-9]+\\.[0-9]+\\.[0-9]+ \\(git [^)]+\\)\n"
                                                           : "^faultline [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << v.out;
  auto run = run_faultline({"run", "-q", "--target", "crash_zoo", "--input", zoo_input(d, "null"), "--out", (d / "out").string(),
                            "--report", (d / "r.json").string()},
                           d);
  ASSERT_EQ(run.exit_code, 1) << run.err;
  const std::string ours = read_report(d / "r.json")["faultline_version"];
  EXPECT_EQ(v.out.substr(10, ours.size()), ours);
  const fs::path repro = entries(d / "out").at(0);
  auto stored = read_report(repro / "repro.json");
  EXPECT_EQ(stored["environment"]["faultline_version"], ours);
  auto same = run_faultline({"replay", repro.string()}, d);
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_EQ(same.err.find("another major version"), std::string::npos) << same.err;
  stored["environment"]["faultline_version"] = "97.1.0";
  write_file(repro / "repro.json", stored.dump(2));
  auto older = run_faultline({"replay", repro.string()}, d);
  EXPECT_EQ(older.exit_code, 0) << older.out << older.err;
  EXPECT_NE(older.err.find("was made by faultline 97.1.0, this is " + ours + " (another major version"), std::string::npos) << older.err;
  // Below 1.0 a minor version is a major one.
  stored["environment"]["faultline_version"] = "0.97.0";
  write_file(repro / "repro.json", stored.dump(2));
  EXPECT_NE(run_faultline({"replay", repro.string()}, d).err.find("was made by faultline 0.97.0"), std::string::npos);
  // What a hostile file puts there never reaches the terminal.
  stored["environment"]["faultline_version"] = "9.0\x1b[2J\nfaultline: 20/20 reproduced";
  write_file(repro / "repro.json", stored.dump(2));
  auto hostile = run_faultline({"replay", repro.string()}, d);
  EXPECT_EQ(hostile.exit_code, 0) << hostile.err;
  EXPECT_EQ(hostile.err.find('\x1b'), std::string::npos) << hostile.err;
  EXPECT_EQ(hostile.err.find("was made by"), std::string::npos) << hostile.err;
}

TEST(Cli, UsageErrorsAreOneLineAndExitTwo) {
  ScratchDir d;
  expect_one_line_error(run_faultline({}, d), "no command");
  expect_one_line_error(run_faultline({"frobnicate"}, d), "unknown command 'frobnicate'");
  expect_one_line_error(run_faultline({"run", "--frobnicate", "--", "/bin/true"}, d), "frobnicate");
  expect_one_line_error(run_faultline({"run", "--timeout", "soon", "--", "/bin/true"}, d), "timeout");
  expect_one_line_error(run_faultline({"run", "--timeout", "-1", "--", "/bin/true"}, d), "--timeout");
  expect_one_line_error(run_faultline({"run", "--timeout"}, d), "timeout");
  expect_one_line_error(run_faultline({"run"}, d), "no program");
  expect_one_line_error(run_faultline({"run", "/bin/true"}, d), "after `--`");
  expect_one_line_error(run_faultline({"run", "--input", (d / "missing").string(), "--", "cat"}, d), "missing");
  expect_one_line_error(run_faultline({"run", "--target", "no_such_target", "--input", "/dev/null"}, d),
                        "no_such_target");
  expect_one_line_error(run_faultline({"replay"}, d), "no reproducer");
  expect_one_line_error(run_faultline({"replay", "--times", "0", d.path().string()}, d), "--times");
  expect_one_line_error(run_faultline({"replay", "--", "x"}, d), "does not take");
}

TEST(Cli, BadSchedulesAreRejectedBeforeAnythingRuns) {
  ScratchDir d;
  expect_one_line_error(run_faultline({"run", "--schedule", "stack main=12Q", "--", "/bin/true"}, d), "'12Q'");
  expect_one_line_error(run_faultline({"run", "--schedule", "teleport now=1", "--", "/bin/true"}, d),
                        "unknown schedule item 'teleport'");
  expect_one_line_error(run_faultline({"run", "--schedule", "stack depth=1", "--", "/bin/true"}, d),
                        "unknown key 'depth'");
  expect_one_line_error(run_faultline({"run", "--schedule", "stack main=1M main=2M", "--", "/bin/true"}, d),
                        "given twice");
}

}  // namespace
}  // namespace faultline::test
