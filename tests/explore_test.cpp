// explore on programs nobody here wrote (Debian's gzip, make, bzip2,
// gperftools' profiler) and on handlers set up before the injector starts:
// no false findings, the right process's handler, a search that covers the
// program, and no internal error when processes churn on the machine.
#include <signal.h>

#include <regex>

#include "test_support.h"

namespace faultline::test {
namespace {

std::string bin(const std::string& name) { return std::string(FAULTLINE_BIN_DIR) + "/" + name; }

// A file worth compressing, in the scratch directory.
std::string some_file(const ScratchDir& d, size_t bytes) {
  std::string text;
  for (size_t i = 0; text.size() < bytes; i++) text += "line " + std::to_string(i * 7919 % 10007) + " of some text\n";
  write_file(d / "data.txt", text);
  return (d / "data.txt").string();
}

uint64_t number_after(const std::string& text, const std::string& words) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(words + " ([0-9]+)"))) return 0;
  return std::stoull(m[1]);
}

// The call= of every schedule explore printed (its findings).
std::vector<uint64_t> calls_tried(const std::string& out) {
  static const std::regex call("call=([0-9]+)");
  std::vector<uint64_t> calls;
  for (std::sregex_iterator it(out.begin(), out.end(), call), end; it != end; ++it) calls.push_back(std::stoull((*it)[1]));
  return calls;
}

// gzip removes its half-written output and re-raises SIGINT: the
// conventional end, and the expected one when faultline raised the signal.
TEST(ExploreReal, GzipReRaisingTheInjectedSigintIsNoFinding) {
  ScratchDir d;
  const std::string file = some_file(d, 200000);
  auto run = run_faultline({"run", "--report", (d / "r.json").string(), "--schedule",
                            "malloc-signal sig=SIGINT call=4 insn=20", "--", "gzip", "-f", "-k", file},
                           d);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_report(d / "r.json");
  EXPECT_EQ(report["class"], "none");
  EXPECT_EQ(report["exit"]["signal"], "SIGINT") << report.dump(2);
  EXPECT_NE(report["note"].get<std::string>().find("re-raised"), std::string::npos) << report["note"];
  ASSERT_TRUE(report.contains("injection")) << "the signal was not raised at all: the test proves nothing";

  auto explore = run_faultline({"explore", "--signal", "SIGINT", "--keep-going", "--max-runs", "25", "--out",
                                (d / "out").string(), "--", "gzip", "-f", "-k", file},
                               d);
  EXPECT_EQ(explore.exit_code, 0) << explore.out << explore.err;
  EXPECT_NE(explore.out.find(" 0 findings"), std::string::npos) << explore.out;
  EXPECT_GT(number_after(explore.out, "explore:"), 10u) << "explore stopped early: " << explore.out;
  EXPECT_FALSE(fs::exists(d / "out")) << "a reproducer was stored for a run that did not crash";
}

// Any other death by a signal that is not a crash signal is not `abort`.
TEST(ExploreReal, AProgramKilledBySigtermIsNotFiledAsAbort) {
  ScratchDir d;
  auto run = run_faultline({"run", "--report", (d / "r.json").string(), "--", "sh", "-c", "kill -TERM $$"}, d);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_report(d / "r.json");
  EXPECT_EQ(report["class"], "none");
  EXPECT_NE(report["note"].get<std::string>().find("terminated by SIGTERM raised by the program itself"),
            std::string::npos)
      << report["note"];
  auto abrt = run_faultline({"run", "--report", (d / "a.json").string(), "--", "sh", "-c", "kill -ABRT $$"}, d);
  EXPECT_EQ(read_report(d / "a.json")["class"], "abort") << abrt.out << abrt.err;
}

// make's own SIGINT handler is installed late (allocator call 266 in
// Debian's make 4.3), after the shells it will run have installed theirs in
// other processes: the census takes make's, and --process picks a child.
TEST(ExploreReal, MakesOwnHandlerIsTakenNotItsShellChilds) {
  ScratchDir d;
  write_file(d / "Makefile", "all:\n\t@sh -c 'echo one > /dev/null'\n\t@sh -c 'true'\n");
  auto own = run_faultline_as_given({"explore", "--signal", "SIGINT", "--max-runs", "2", "--", "make"}, d);
  const uint64_t make_call = number_after(own.out, "installed before allocator call");
  EXPECT_GT(make_call, 150u) << own.out << own.err;
  auto shell = run_faultline_as_given({"explore", "--signal", "SIGINT", "--max-runs", "2", "--process", "sh", "--", "make"}, d);
  const uint64_t shell_call = number_after(shell.out, "installed before allocator call");
  EXPECT_GT(shell_call, 0u) << shell.out << shell.err;
  EXPECT_LT(shell_call, make_call) << shell.out;
  auto nobody = run_faultline_as_given({"explore", "--signal", "SIGINT", "--max-runs", "2", "--process", "nosuch", "--", "make"}, d);
  EXPECT_EQ(nobody.exit_code, 0) << nobody.out << nobody.err;
  EXPECT_NE(nobody.out.find("no SIGINT handler seen in process nosuch"), std::string::npos) << nobody.out;
}

// gperftools installs its SIGPROF handler and arms the timer in a library
// constructor, before the injector's: the census still sees it, and points are tried.
TEST(ExploreReal, GperftoolsProfilerSetUpInALibraryConstructorIsExplored) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--max-runs", "20", "--out", (d / "out").string(), "--", "env",
                          "CPUPROFILE=" + (d / "cpu.prof").string(), "CPUPROFILE_FREQUENCY=1000", bin("test-profiled-loop")},
                         d);
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out.find("no SIGPROF handler seen"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("([0-9]+) points tried"))) << r.out;
  EXPECT_GT(std::stoi(m[1]), 10) << r.out;
}

// A handler installed past sigaction and a timer armed by the system call,
// both before the injector started: adopted (wrapped, so the reentrancy
// sentinel sees the handler) and taken over (the schedule is the only signal).
TEST(ExploreReal, AHandlerAndTimerSetUpBeforeTheInjectorAreAdopted) {
  ScratchDir d;
  auto census = run_faultline({"run", "--report", (d / "c.json").string(), "--schedule",
                               "malloc-signal sig=SIGPROF call=1000000 trace", "--", bin("test-early-handler")},
                              d);
  auto report = read_report(d / "c.json");
  ASSERT_TRUE(report["injector"].contains("handlers_installed")) << report.dump(2);
  EXPECT_EQ(report["injector"]["handlers_installed"][0]["signal"], "SIGPROF");
  EXPECT_TRUE(report["injector"]["handlers_installed"][0]["found_at_start"]);
  EXPECT_GE(report["injector"]["timers_suppressed"].get<int>(), 1) << report.dump(2);

  auto r = run_faultline({"explore", "--max-runs", "40", "--out", (d / "out").string(), "--", bin("test-early-handler")}, d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("-> signal-unsafe-reentrancy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("already installed when the injector started"), std::string::npos) << r.out;
}

// Breadth first: the budget reaches many calls, not one call's every
// instruction; and the points lie in the allocator, not faultline's wrapper.
TEST(ExploreReal, TheBudgetIsSpreadOverCallsAndPointsLieInTheAllocator) {
  ScratchDir d;
  const std::string file = some_file(d, 100000);
  auto r = run_faultline({"explore", "--signal", "SIGINT", "--keep-going", "--max-runs", "60", "--out",
                          (d / "out").string(), "--", "bzip2", "-f", "-k", file},
                         d);
  ASSERT_NE(r.exit_code, 2) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("([0-9]+) calls got their breadth-first points"))) << r.out;
  EXPECT_GE(std::stoi(m[1]), 10) << r.out;
  // bzip2's handler is unsafe (it calls fprintf and exit): a finding, whose
  // stored point is inside glibc's allocator.
  ASSERT_EQ(r.exit_code, 1) << r.out;
  for (const auto& e : fs::directory_iterator(d / "out")) {
    const std::string schedule = read_report(e.path() / "repro.json")["schedule"];
    run_faultline({"run", "--report", (d / "rr.json").string(), "--schedule", schedule, "--", "bzip2", "-f", "-k", file}, d);
    auto rep = read_report(d / "rr.json");
    ASSERT_TRUE(rep.contains("injection")) << rep.dump(2);
    ASSERT_TRUE(rep["injection"].contains("where")) << rep.dump(2);
    const std::string where = rep["injection"]["where"];
    EXPECT_EQ(where.find("faultline"), std::string::npos) << where;
    EXPECT_NE(where.find("libc.so.6"), std::string::npos) << where;
    EXPECT_NE(where.find("malloc"), std::string::npos) << where;
  }
}

// --seed draws calls over what the census counted (bzip2 makes a few dozen),
// not over a fixed 2000.
TEST(ExploreReal, SeededPointsAreDrawnOverTheCallsTheProgramMakes) {
  ScratchDir d;
  const std::string file = some_file(d, 100000);
  auto r = run_faultline({"explore", "--signal", "SIGINT", "--seed", "3", "--keep-going", "--max-runs", "15", "--out",
                          (d / "out").string(), "--", "bzip2", "-f", "-k", file},
                         d);
  ASSERT_NE(r.exit_code, 2) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("points sampled over calls ([0-9]+)-([0-9]+)"))) << r.out;
  const uint64_t last = std::stoull(m[2]);
  EXPECT_LT(last, 200u) << r.out;
  // bzip2's handler calls fprintf: findings, whose calls show where samples fell.
  ASSERT_FALSE(calls_tried(r.out).empty()) << r.out;
  for (uint64_t call : calls_tried(r.out)) EXPECT_LE(call, last) << r.out;
}

TEST(ExploreReal, BadOptionsAreOneLineErrors) {
  ScratchDir d;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--signal", "SIGKILL"}, "cannot be caught"},
      {{"--signal", "SIGSTOP"}, "cannot be caught"},
      {{"--calls", "9-3"}, "--calls"},
      {{"--calls", "x"}, "--calls"},
      {{"--process", "a/b"}, "--process"},
      {{"--thread", "4"}, "never started that thread"},
  };
  for (const auto& [extra, words] : cases) {
    std::vector<std::string> args = {"explore", "--max-runs", "5"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--", bin("target-profiler_backtrace")});
    auto r = run_faultline(args, d);
    EXPECT_EQ(r.exit_code, 2) << extra[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// --calls A-B: nothing outside the range is tried.
TEST(ExploreReal, CallsRangeBoundsTheSearch) {
  ScratchDir d;
  const std::string file = some_file(d, 100000);
  auto r = run_faultline({"explore", "--signal", "SIGINT", "--calls", "20-21", "--keep-going", "--max-runs", "40",
                          "--out", (d / "out").string(), "--", "bzip2", "-f", "-k", file},
                         d);
  ASSERT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find(" 2 calls got their breadth-first points"), std::string::npos) << r.out;
  for (uint64_t call : calls_tried(r.out)) {
    EXPECT_GE(call, 20u) << r.out;
    EXPECT_LE(call, 21u) << r.out;
  }
}

// Processes starting and exiting all the time on the machine (a build, a CI
// neighbour): the runner's /proc reads must take a process that vanishes
// mid-read in their stride.
TEST(ExploreReal, ProcessChurnOnTheMachineIsNotAnError) {
  ScratchDir d;
  const pid_t churn = fork();
  ASSERT_GE(churn, 0);
  if (churn == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", "while :; do /bin/true & /bin/true & /bin/true; done", (char*)nullptr);
    _exit(127);
  }
  setpgid(churn, churn);
  int failures = 0;
  std::string failed;
  for (int i = 0; i < 40; i++) {
    auto r = run_faultline_as_given({"run", "--", "/bin/true"}, d);
    if (r.exit_code != 0) failures++, failed = r.err;
  }
  auto e = run_faultline({"explore", "--max-runs", "30", "--keep-going", "--out", (d / "out").string(), "--",
                          bin("target-profiler_backtrace")},
                         d);
  kill(-churn, SIGKILL);
  waitpid(churn, nullptr, 0);
  EXPECT_EQ(failures, 0) << failed;
  EXPECT_NE(e.exit_code, 2) << e.err;
  EXPECT_EQ(e.err.find("unexpected error"), std::string::npos) << e.err;
}

}  // namespace
}  // namespace faultline::test
