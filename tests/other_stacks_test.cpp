// Stack exhaustion on stacks that are neither the main stack nor a pthread
// stack, in real children: each report names the stack that held the stack
// pointer, with that stack's own size, and bytes per level from the
// recursion's own frames. The last ones run a parser built from the real
// `stacker` crate, rustc's own mechanism, whose symbols are Rust-mangled.
#include "test_support.h"

namespace faultline::test {
namespace {

nlohmann::json run_program(const ScratchDir& d, const std::vector<std::string>& argv) {
  std::vector<std::string> args = {"run", "--report", (d / "r.json").string(), "--"};
  args.insert(args.end(), argv.begin(), argv.end());
  auto cli = run_faultline_as_given(args, d);
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  return read_report(d / "r.json");
}

std::string program(const std::string& name) { return std::string(FAULTLINE_BIN_DIR) + "/" + name; }

// 512-byte frames (480 bytes of locals, the rest call overhead).
void expect_512_byte_levels(const nlohmann::json& r) {
  EXPECT_EQ(r["recursion_cycle"]["functions"], nlohmann::json({"descend.isra.0"}));
  EXPECT_EQ(r["recursion_cycle"]["bytes_per_level"], 512);
}

TEST(OtherStacks, SigaltstackIsNamedWithItsOwnSize) {
  ScratchDir d;
  auto r = run_program(d, {program("test-other_stacks"), "altstack"});
  EXPECT_EQ(r["class"], "stack-exhaustion");
  EXPECT_EQ(r["fault_region"], "guard page below the sigaltstack of the main thread");
  EXPECT_EQ(r["stack"]["kind"], "sigaltstack");
  EXPECT_EQ(r["thread_stack_size"], 64 * 1024);
  EXPECT_EQ(r["stack"]["size"], 64 * 1024);
  expect_512_byte_levels(r);
  EXPECT_EQ(r["recursion_cycle"]["levels_that_fit"], 128);
}

TEST(OtherStacks, SigaltstackDeeperThanTheNamedFramesIsStillOne) {
  // 32768 levels: the signal frame lies below the frames the report keeps;
  // the stack-pointer walk past them reaches it.
  ScratchDir d;
  auto r = run_program(d, {program("test-other_stacks"), "deep-altstack"});
  EXPECT_EQ(r["fault_region"], "guard page below the sigaltstack of the main thread");
  EXPECT_TRUE(r["frames_truncated"].get<bool>());
  EXPECT_EQ(r["thread_stack_size"], 16 << 20);
  expect_512_byte_levels(r);
}

TEST(OtherStacks, MakecontextSegmentIsSplitFromTheMemoryMergedAboveIt) {
  ScratchDir d;
  auto r = run_program(d, {program("test-other_stacks"), "context"});
  EXPECT_EQ(r["class"], "stack-exhaustion");
  EXPECT_EQ(r["fault_region"],
            "guard page below a 256K stack segment of thread 1 \"ctx-worker\" (an anonymous mapping, not its pthread "
            "stack, started in __start_context)");
  EXPECT_EQ(r["thread_name"], "ctx-worker");
  EXPECT_EQ(r["stack"]["kind"], "segment");
  EXPECT_EQ(r["stack"]["base_function"], "__start_context");
  EXPECT_EQ(r["thread_stack_size"], 256 * 1024);  // not the 1.25 MiB mapping
  expect_512_byte_levels(r);
}

TEST(OtherStacks, PthreadStackNamesTheThread) {
  ScratchDir d;
  auto r = run_program(d, {program("test-other_stacks"), "thread"});
  EXPECT_EQ(r["fault_region"], "guard page below the pthread stack of thread 1 \"parser\"");
  EXPECT_EQ(r["stack"]["kind"], "pthread");
  EXPECT_EQ(r["thread"], 1);
  EXPECT_EQ(r["thread_stack_size"], 512 * 1024);
  expect_512_byte_levels(r);
}

// stacker::grow(1 MiB) maps 1 MiB + 2 pages and protects one: 1028 KiB usable,
// merged by the kernel with the main thread's TLS block above it.
void expect_stacker_segment(const std::string& binary) {
  ScratchDir d;
  write_file(d / "brackets", std::string(5000, '[') + "\n");
  auto r = run_program(d, {program(binary), (d / "brackets").string()});
  EXPECT_EQ(r["class"], "stack-exhaustion");
  EXPECT_EQ(r["fault_region"],
            "guard page below a 1028K stack segment of the main thread (an anonymous mapping, not its pthread stack, "
            "started in rust_psm_on_stack)");
  EXPECT_EQ(r["stack"]["kind"], "segment");
  EXPECT_EQ(r["thread_stack_size"], 1028 * 1024);
  // Demangled by libiberty, without legacy mangling's ::h<hash>.
  EXPECT_EQ(r["recursion_cycle"]["functions"],
            nlohmann::json({"stacker_parser::brackets", "stacker_parser::expression"}));
  EXPECT_EQ(r["frames"][0]["function"], "stacker_parser::brackets");
  const auto per_level = r["recursion_cycle"]["bytes_per_level"].get<uint64_t>();
  EXPECT_GE(per_level, 400u);  // brackets' 400-byte pad and expression's frame
  EXPECT_LE(per_level, 600u);
}

TEST(OtherStacks, StackerSegmentWithLegacyRustSymbols) { expect_stacker_segment("test-rust_stacker"); }
TEST(OtherStacks, StackerSegmentWithV0RustSymbols) { expect_stacker_segment("test-rust_stacker_v0"); }

TEST(OtherStacks, StackerGrowsNewSegmentsWhereTheParserAsksForThem) {
  ScratchDir d;
  write_file(d / "parens", std::string(50000, '(') + "\n");  // maybe_grow at every level
  auto cli = run_faultline_as_given({"run", "--report", (d / "r.json").string(), "--", program("test-rust_stacker"),
                                     (d / "parens").string()},
                                    d);
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(read_report(d / "r.json")["class"], "none");
}

}  // namespace
}  // namespace faultline::test
