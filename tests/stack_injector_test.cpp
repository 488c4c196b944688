// The stack injector: thread stacks, sigaltstack and RLIMIT_STACK shrunk on
// demand, in real children, for the crash to appear with them and not without.
#include "test_support.h"

namespace faultline::test {
namespace {

struct Outcome {
  CliResult cli;
  nlohmann::json report;
};

Outcome run_with(const ScratchDir& d, const std::vector<std::string>& target_or_program, const std::string& schedule) {
  std::vector<std::string> args = {"run", "--report", (d / "r.json").string(), "--schedule", schedule};
  args.insert(args.end(), target_or_program.begin(), target_or_program.end());
  Outcome o;
  o.cli = run_faultline(args, d);
  o.report = read_report(d / "r.json");
  return o;
}

std::vector<std::string> zoo(const ScratchDir& d, const std::string& input) {
  return {"--target", "crash_zoo", "--input", zoo_input(d, input)};
}

TEST(StackInjector, DefaultThreadsShrinkThreadsThatChoseTheirSizeKeepIt) {
  ScratchDir d;
  auto o = run_with(d, zoo(d, "thread-sizes"), "stack threads=128K");
  EXPECT_EQ(o.cli.exit_code, 0) << o.cli.err;
  // A size the program set is kept even when it is the default's (8 MiB).
  EXPECT_EQ(o.cli.out, "default=131072 own=4194304 own_8m=8388608 attr_after=4194304\n");
  EXPECT_EQ(o.report["injector"]["thread_stacks_shrunk"], 1);
  EXPECT_EQ(o.report["injector"]["thread_stacks_kept"], 2);
}

TEST(StackInjector, ForceShrinksEveryThreadAndGivesTheAttrBack) {
  ScratchDir d;
  auto o = run_with(d, zoo(d, "thread-sizes"), "stack threads=128K force");
  EXPECT_EQ(o.cli.out, "default=131072 own=131072 own_8m=131072 attr_after=4194304\n");
  EXPECT_EQ(o.report["injector"]["thread_stacks_shrunk"], 3);
}

TEST(StackInjector, WithoutScheduleThreadsAreUntouched) {
  ScratchDir d;
  auto o = run_with(d, zoo(d, "thread-sizes"), "");
  EXPECT_EQ(o.cli.out, "default=8388608 own=4194304 own_8m=8388608 attr_after=4194304\n");
  EXPECT_EQ(o.report["injector"]["thread_stacks_shrunk"], 0);
}

TEST(StackInjector, OneMiBWorkerThreadOverflowsWhereEightMiBDoesNot) {
  ScratchDir d;
  // ~1 KiB per level: 2000 levels need ~2 MiB; only the worker thread is shrunk.
  auto small = run_with(d, zoo(d, "stack-thread 2000"), "stack threads=1M");
  EXPECT_EQ(small.cli.exit_code, 1);
  EXPECT_EQ(small.report["class"], "stack-exhaustion");
  EXPECT_EQ(small.report["thread"], 1);
  EXPECT_EQ(small.report["fault_region"], "guard page below the pthread stack of thread 1");
  EXPECT_EQ(small.report["thread_stack_size"], 1 << 20);
  auto fine = run_with(d, zoo(d, "stack-thread 2000"), "");
  EXPECT_EQ(fine.cli.exit_code, 0);
  EXPECT_EQ(fine.report["class"], "none");
}

TEST(StackInjector, ShrunkAltstackTurnsARecoveredFaultIntoAStackOverflow) {
  ScratchDir d;
  auto roomy = run_with(d, zoo(d, "altstack-handler"), "");
  EXPECT_EQ(roomy.cli.exit_code, 0) << "the handler recovers on its own 64 KiB stack";
  auto small = run_with(d, zoo(d, "altstack-handler"), "stack altstack=8K");
  EXPECT_EQ(small.cli.exit_code, 1);
  EXPECT_EQ(small.report["injector"]["altstacks_shrunk"], 1);
  ASSERT_EQ(small.report["findings"].size(), 2u);
  EXPECT_EQ(small.report["findings"][0]["class"], "null-dereference");  // the root cause comes first
  EXPECT_EQ(small.report["findings"][1]["class"], "stack-exhaustion");  // then the handler's overflow
}

TEST(StackInjector, AnyDynamicallyLinkedProgramPython) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 is not installed";
  ScratchDir d;
  const std::vector<std::string> py = {
      "--", "python3", "-c", "import sys, json; sys.setrecursionlimit(10**6); json.loads('[' * 10000 + ']' * 10000)"};
  auto small = run_with(d, py, "stack main=256K");
  EXPECT_EQ(small.cli.exit_code, 1) << small.cli.err;
  EXPECT_EQ(small.report["class"], "stack-exhaustion");
  EXPECT_EQ(small.report["thread"], 0);
  EXPECT_FALSE(small.report["recursion_cycle"]["functions"].empty());
  auto roomy = run_with(d, py, "");
  EXPECT_EQ(roomy.cli.exit_code, 0) << roomy.cli.err;
}

}  // namespace
}  // namespace faultline::test
