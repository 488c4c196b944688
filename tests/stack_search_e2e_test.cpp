// `faultline gen` and `faultline stack` end to end, on the nested_parser
// target: generated deep source, shrunk stacks, bisection, reproducers.
#include <cmath>

#include "test_support.h"

namespace faultline::test {
namespace {

std::string parser_driver() { return std::string(FAULTLINE_BIN_DIR) + "/target-nested_parser"; }

std::string generate(const ScratchDir& d, uint64_t depth, const std::string& shape) {
  const auto path = d / ("gen-" + shape + "-" + std::to_string(depth));
  auto r = run_faultline({"gen", "nested", "--depth", std::to_string(depth), "--shape", shape, "--output", path.string()}, d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return path.string();
}

nlohmann::json run_parser(const ScratchDir& d, const std::string& input, const std::string& schedule,
                          bool main_thread = false) {
  std::vector<std::string> args = {"run", "-q", "--report", (d / "r.json").string(), "--schedule", schedule, "--",
                                   parser_driver()};
  if (main_thread) args.push_back("--main-thread");
  args.push_back(input);
  run_faultline(args, d);
  return read_report(d / "r.json");
}

TEST(Gen, EmitsSourceOfExactlyTheRequestedDepth) {
  ScratchDir d;
  for (const char* shape : {"expr", "block", "generic", "array", "mixed"}) {
    const std::string file = generate(d, 123, shape);
    auto r = run_faultline({"run", "--", parser_driver(), file}, d);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.starts_with("ok depth=123 ")) << shape << ": " << r.out;
  }
  auto to_stdout = run_faultline({"gen", "nested", "--depth", "5", "--shape", "block", "--seed", "7"}, d);
  EXPECT_EQ(to_stdout.exit_code, 0);
  EXPECT_EQ(to_stdout.out, run_faultline({"gen", "nested", "--depth", "5", "--shape", "block", "--seed", "7"}, d).out);
  EXPECT_NE(to_stdout.out, run_faultline({"gen", "nested", "--depth", "5", "--shape", "block", "--seed", "8"}, d).out);
}

TEST(Gen, BadArgumentsAreUsageErrors) {
  ScratchDir d;
  EXPECT_EQ(run_faultline({"gen", "nested", "--depth", "5", "--shape", "spiral"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"gen", "nested"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"gen", "json", "--depth", "5"}, d).exit_code, 2);
}

TEST(NestedParser, ShrunkWorkerStackCrashesWhereTheDefaultDoesNot) {
  ScratchDir d;
  const std::string input = generate(d, 2000, "expr");  // ~2.4 MiB of parser stack
  auto small = run_parser(d, input, "stack threads=1M");
  EXPECT_EQ(small["class"], "stack-exhaustion");
  EXPECT_EQ(small["thread"], 1);
  EXPECT_EQ(small["thread_stack_size"], 1 << 20);
  EXPECT_EQ(small["fault_region"], "guard page below the pthread stack of thread 1");
  EXPECT_GE(small["recursion_cycle"]["functions"].size(), 5u);
  auto roomy = run_parser(d, input, "");
  EXPECT_EQ(roomy["class"], "none");
  EXPECT_EQ(roomy["exit"]["code"], 0);
}

TEST(NestedParser, MainThreadModeNeedsTheMainStackShrunk) {
  ScratchDir d;
  const std::string input = generate(d, 2000, "array");
  auto threads_only = run_parser(d, input, "stack threads=1M", true);
  EXPECT_EQ(threads_only["class"], "none");
  auto main_small = run_parser(d, input, "stack main=1M", true);
  EXPECT_EQ(main_small["class"], "stack-exhaustion");
  EXPECT_EQ(main_small["thread"], 0);
}

TEST(StackSearch, SmallestCrashingDepthIsTheBoundaryAndReproducible) {
  ScratchDir d;
  const std::vector<std::string> args = {"--target", "nested_parser", "--shape", "expr", "--stack-size", "256K",
                                         "--max-depth", "4000"};
  auto first = stack_search(d, args);
  ASSERT_EQ(first.cli.exit_code, 0) << first.cli.err;
  const uint64_t depth = first.result["min_crashing_depth"];
  EXPECT_GT(depth, 100u);
  EXPECT_LE(first.result["runs"].get<int>(), std::ceil(std::log2(4000 - 1)) + 2);
  EXPECT_TRUE(first.result["disagreements"].empty()) << first.result;  // nested_parser is monotone
  EXPECT_GT(first.result["monotonicity_runs"].get<int>(), 0);
  EXPECT_GT(first.result["bytes_per_level"].get<uint64_t>(), 500u);
  // Monotone at the boundary: one level less survives, the boundary crashes.
  EXPECT_EQ(run_parser(d, generate(d, depth - 1, "expr"), "stack threads=256K")["class"], "none");
  EXPECT_EQ(run_parser(d, generate(d, depth, "expr"), "stack threads=256K")["class"], "stack-exhaustion");
  // Reproducible: the same search finds the same boundary, and its reproducer replays.
  auto again = stack_search(d, args);
  EXPECT_EQ(again.result["min_crashing_depth"], depth);
  auto replay = run_faultline({"replay", "--trust-argv", first.result["reproducer"], "--times", "3"}, d);
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("3/3 reproduced"), std::string::npos);
}

TEST(StackSearch, SmallestSurvivingStackForAGivenDepth) {
  ScratchDir d;
  auto s = stack_search(d, {"--target", "nested_parser-main", "--shape", "generic", "--depth", "3000"});
  ASSERT_EQ(s.cli.exit_code, 0) << s.cli.err;
  const uint64_t survive = s.result["min_surviving_stack"];
  EXPECT_EQ(survive % 4096, 0u);
  EXPECT_LE(s.result["runs"].get<int>(), std::ceil(std::log2((64 << 20) / 4096 - 4)) + 2);
  const std::string input = generate(d, 3000, "generic");
  EXPECT_EQ(run_parser(d, input, "stack main=" + std::to_string(survive), true)["class"], "none");
  EXPECT_EQ(run_parser(d, input, "stack main=" + std::to_string(survive - 4096), true)["class"], "stack-exhaustion");
  auto repro = read_report(fs::path(s.result["reproducer"].get<std::string>()) / "repro.json");
  EXPECT_EQ(repro["schedule"], "stack main=" + std::to_string((survive - 4096) / 1024) + "K");
  // The reproducer names its target; the command, as the manifest writes it, is only a note.
  EXPECT_EQ(repro["target"], "nested_parser-main");
  EXPECT_EQ(repro["argv"], nlohmann::json({"build/bin/target-nested_parser", "--main-thread", "@@"}));
}

TEST(StackSearch, AnyProgramReadingItsInput) {
  ScratchDir d;
  auto s = stack_search(d, {"--shrink", "threads", "--input", zoo_input(d, "stack-thread 2000"), "--", zoo_driver(), "@@"});
  ASSERT_EQ(s.cli.exit_code, 0) << s.cli.err;
  const uint64_t survive = s.result["min_surviving_stack"];
  EXPECT_GT(survive, 2000u * 1024);  // ~1 KiB per level
  EXPECT_LT(survive, 2000u * 1200);
  EXPECT_TRUE(fs::exists(fs::path(s.result["reproducer"].get<std::string>()) / "input"));
}

TEST(StackSearch, UsageErrors) {
  ScratchDir d;
  EXPECT_EQ(run_faultline({"stack"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"stack", "--target", "nested_parser", "--stack-size", "lots"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"stack", "--target", "crash_zoo"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"stack", "--shrink", "sideways", "--", "/bin/true"}, d).exit_code, 2);
}

// A bisection that cannot lie: the baseline (the most room the search gives)
// must end clean, or the search refuses with its verdict. Before, jq on a
// missing file and a program that cannot start "survived" every probe and
// got an answer (28K, 16K).
TEST(StackSearch, ABaselineThatDoesNotEndCleanStopsTheSearchWithItsVerdict) {
  ScratchDir d;
  auto missing = run_faultline({"stack", "--shrink", "main", "--", "jq", ".", (d / "no-such-file.json").string()}, d);
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.err.find("the baseline run (64M stack) must end clean: with a 64M stack the run ended none (exit 2)"),
            std::string::npos)
      << missing.err;
  EXPECT_EQ(missing.out.find("survives"), std::string::npos) << missing.out;
  auto absent = run_faultline({"stack", "--", (d / "no-such-program").string()}, d);
  EXPECT_EQ(absent.exit_code, 2) << absent.out;
  EXPECT_NE(absent.err.find("the baseline run (64M stack) must end clean: cannot execute"), std::string::npos) << absent.err;
}

// test-stack_band dies again with a main stack of 1 to 2 MiB: survival is not
// monotone. The bisection lands at 2M; the probes below it see 1020K and
// 508K survive, and say so.
TEST(StackSearch, SurvivalThatIsNotMonotoneIsReported) {
  ScratchDir d;
  auto s = stack_search(d, {"--shrink", "main", "--", std::string(FAULTLINE_BIN_DIR) + "/test-stack_band"});
  ASSERT_EQ(s.cli.exit_code, 0) << s.cli.err;
  EXPECT_EQ(s.result["min_surviving_stack"], 2u << 20) << s.result;
  EXPECT_NE(s.cli.out.find("warning: not monotone: a 1020K stack survives, below the answer"), std::string::npos)
      << s.cli.out;
  EXPECT_GE(s.result["disagreements"].size(), 1u) << s.result;
}

}  // namespace
}  // namespace faultline::test
