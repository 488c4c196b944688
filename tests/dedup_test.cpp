#include <gtest/gtest.h>

#include <random>

#include "triage/dedup.h"

namespace faultline {
namespace {

Frame frame(const std::string& fn, const std::string& module = "app", uint64_t sp = 0) {
  Frame f;
  f.function = fn;
  f.module = module;
  f.sp = sp;
  return f;
}

// A recursion a -> b -> c -> a ... with `levels` frames, innermost first,
// starting at function index `phase`, 100 bytes per frame.
std::vector<Frame> recursion(size_t levels, size_t phase) {
  const char* names[] = {"parse_expr", "parse_term", "parse_factor"};
  std::vector<Frame> frames;
  for (size_t i = 0; i < levels; i++) frames.push_back(frame(names[(phase + i) % 3], "app", 0x10000 + i * 100));
  frames.push_back(frame("main"));
  return frames;
}

TEST(RecursionCycle, FoundWithItsPeriodAndBytesPerLevel) {
  auto frames = recursion(40, 0);
  auto c = find_recursion_cycle(frames);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->functions.size(), 3u);
  EXPECT_EQ(c->bytes_per_level, 300u);
}

TEST(RecursionCycle, BytesPerLevelFromTheCyclesOwnFramesOnly) {
  // The recursion ran on a sigaltstack (or a stacker segment) far below the
  // frames that lead to it; one level in the middle switched segments.
  auto frames = recursion(60, 0);
  for (size_t i = 30; i < 60; i++) frames[i].sp += 0x200000;  // a switch of segments between two levels
  frames.back().sp = 0x7ffd00000000;                          // main, on the main stack
  frames.push_back(frame("__libc_start_call_main", "libc.so.6", 0x7ffd00000100));
  auto c = find_recursion_cycle(frames);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->bytes_per_level, 300u);
}

TEST(RecursionCycle, HashDoesNotDependOnWhereTheGuardPageWasHit) {
  std::set<std::string> hashes;
  for (size_t phase = 0; phase < 3; phase++) {
    auto frames = recursion(40 + phase, phase);
    auto c = find_recursion_cycle(frames);
    ASSERT_TRUE(c);
    hashes.insert(stack_hash(frames, c));
  }
  EXPECT_EQ(hashes.size(), 1u);
}

TEST(RecursionCycle, SkipsNoiseOnTopAndIgnoresShortStacks) {
  auto frames = recursion(40, 1);
  frames.insert(frames.begin(), {frame("memset", "libc.so.6"), frame("helper")});
  auto c = find_recursion_cycle(frames);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first_frame, 2u);
  std::vector<Frame> plain = {frame("f"), frame("g"), frame("h"), frame("main")};
  EXPECT_FALSE(find_recursion_cycle(plain));
  EXPECT_FALSE(find_recursion_cycle(recursion(5, 0)));  // fewer than four trips round
}

TEST(StackHash, TakesTopThreeMeaningfulFrames) {
  std::vector<Frame> frames = {frame("__pthread_kill_implementation", "libc.so.6"), frame("raise", "libc.so.6"),
                               frame("abort", "libc.so.6"), frame("__restore_rt", "libc.so.6"),
                               frame("faultline_handler", "libfaultline-inject.so"),
                               frame("check"), frame("process"), frame("run"), frame("main")};
  std::string h = stack_hash(frames, std::nullopt);
  for (size_t i = 0; i < frames.size(); i++) EXPECT_EQ(frames[i].in_hash, i >= 5 && i <= 7) << frames[i].function;
  // Same user frames under different runtime frames: same bucket.
  std::vector<Frame> other = {frame("raise", "libc.so.6"), frame("check"), frame("process"), frame("run"),
                              frame("elsewhere")};
  EXPECT_EQ(stack_hash(other, std::nullopt), h);
  std::vector<Frame> different = {frame("check"), frame("process"), frame("other_caller")};
  EXPECT_NE(stack_hash(different, std::nullopt), h);
}

TEST(StackHash, TheSameFunctionNamesInOtherCodeAreAnotherBucket) {
  auto in = [](const std::string& file, const std::string& module) {
    std::vector<Frame> frames = {frame("main", module), frame("__libc_start_call_main", "libc.so.6")};
    frames[0].file = file;
    return stack_hash(frames, std::nullopt);
  };
  // `main` of two programs: two bugs.
  EXPECT_NE(in("/src/a/tool.c", "tool"), in("/src/b/other.c", "other"));
  EXPECT_NE(in("", "tool"), in("", "other"));
  // One source file built twice (the plain target and its fuzzer build, or
  // in two checkouts): one bug.
  EXPECT_EQ(in("/work/main/targets/zoo/zoo.cpp", "target-zoo"), in("/tmp/fresh/targets/zoo/zoo.cpp", "fuzz-zoo"));
}

TEST(StackHash, FallsBackToModuleOffsetsWithoutSymbols) {
  Frame a;
  a.module = "libx.so";
  a.module_offset = 0x1234;
  EXPECT_EQ(frame_key(a), "libx.so+0x1234");
  std::vector<Frame> only_runtime = {frame("raise", "libc.so.6"), frame("abort", "libc.so.6")};
  stack_hash(only_runtime, std::nullopt);
  EXPECT_TRUE(only_runtime[0].in_hash);
}

}  // namespace
}  // namespace faultline

namespace {
faultline::Frame named(const std::string& fn, const std::string& module) {
  faultline::Frame f;
  f.function = fn;
  f.module = module;
  return f;
}
}  // namespace

// The same reentrancy with the signal landing at different depths inside
// malloc is one bucket: (handler, interrupted call), not the top frames.
TEST(Dedup, ReentrancyIsBucketedByHandlerAndInterruptedCall) {
  using faultline::Frame;
  auto stack = [](std::vector<Frame> inner_malloc) {
    std::vector<Frame> s = {named("fl_report_finding", "libfaultline-inject.so"), named("malloc", "libc.so.6"),
                            named("__strdup", "libc.so.6"), named("profiler_on_sigprof", "target-p"),
                            named("handler_wrapper", "libfaultline-inject.so"), named("__restore_rt", "libc.so.6")};
    s.insert(s.end(), inner_malloc.begin(), inner_malloc.end());
    s.push_back(named("workload_run", "target-p"));
    s.push_back(named("main", "target-p"));
    return s;
  };
  auto a = stack({named("_int_malloc", "libc.so.6"), named("malloc", "libc.so.6")});
  auto b = stack({named("tcache_get", "libc.so.6"), named("_int_malloc", "libc.so.6"), named("malloc", "libc.so.6")});
  auto pa = faultline::find_reentrancy_pair(a), pb = faultline::find_reentrancy_pair(b);
  ASSERT_TRUE(pa && pb);
  EXPECT_EQ(pa->handler, "profiler_on_sigprof");
  EXPECT_EQ(pa->interrupted, "malloc");
  EXPECT_EQ(faultline::stack_hash(a, std::nullopt, pa), faultline::stack_hash(b, std::nullopt, pb));
  EXPECT_TRUE(a[3].in_hash);
  // Without the pair, the top frames differ: two buckets for one bug.
  auto c = stack({named("free", "libc.so.6")});
  auto pc = faultline::find_reentrancy_pair(c);
  ASSERT_TRUE(pc);
  EXPECT_EQ(pc->interrupted, "free");
  EXPECT_NE(faultline::stack_hash(a, std::nullopt, pa), faultline::stack_hash(c, std::nullopt, pc));
  EXPECT_FALSE(faultline::find_reentrancy_pair({named("main", "target-p")}));
}

// A fuzzer's input nests constructs irregularly: no exact period, and a
// different mix of constructs every time. Whatever the mix, and wherever the
// guard page is hit, one bucket: the recursion's entry (the outermost
// recurring function).
TEST(Dedup, IrregularRecursionIsBucketedByWhereItIsEntered) {
  using faultline::Frame;
  const std::vector<std::string> group = {"parse_group", "parse_primary", "parse_expr"};
  const std::vector<std::string> array = {"parse_array_literal", "parse_primary", "parse_expr"};
  const std::vector<std::string> unary = {"parse_unary", "parse_primary", "parse_expr"};
  auto stack = [&](const std::string& top, int seed, const std::vector<std::string>& other) {
    std::vector<Frame> s = {named(top, "fuzz-nested_parser")};
    std::mt19937 pick(seed);  // no period: each level picks its construct at random
    for (int level = 0; level < 300; level++)
      for (const auto& fn : pick() % 3 == 0 ? other : group) s.push_back(named(fn, "fuzz-nested_parser"));
    for (const char* fn : {"parse_expr_statement", "parse_statement", "parse_block", "LLVMFuzzerTestOneInput"})
      s.push_back(named(fn, "fuzz-nested_parser"));
    return s;
  };
  auto a = stack("operator new(unsigned long)", 1, array), b = stack("parse_primary", 2, unary);
  auto ca = faultline::find_recursion_cycle(a), cb = faultline::find_recursion_cycle(b);
  ASSERT_TRUE(ca && cb);
  EXPECT_TRUE(ca->irregular);
  EXPECT_EQ(ca->functions, (std::vector<std::string>{"parse_array_literal", "parse_expr", "parse_group", "parse_primary"}));
  EXPECT_NE(ca->functions, cb->functions);
  EXPECT_EQ(ca->entry, "parse_expr");
  EXPECT_EQ(faultline::stack_hash(a, ca), faultline::stack_hash(b, cb));
  // Without it, the top frames differ: two buckets for one recursion.
  EXPECT_NE(faultline::stack_hash(a, std::nullopt), faultline::stack_hash(b, std::nullopt));
}
