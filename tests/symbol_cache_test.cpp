// faultline keeps each module's symbols for the life of its process (issue
// 14: debug information is read once, not per crash). A program rebuilt at
// the same path loads at the same address (ASLR is off in children), so only
// the build-id tells the two apart: the second must get its own names.
#include "test_support.h"
#include "triage/triage.h"

namespace faultline::test {
namespace {

CrashReport crash_of(const std::vector<std::string>& argv) {
  RunRequest req;
  req.argv = argv;
  auto r = run_and_triage(req);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : CrashReport{};
}

TEST(SymbolCache, AProgramReplacedAtTheSamePathIsReadAgain) {
  ScratchDir d;
  const fs::path prog = d / "parser";
  fs::copy_file(std::string(FAULTLINE_BIN_DIR) + "/test-other_stacks", prog);
  auto first = crash_of({prog.string(), "thread"});
  ASSERT_FALSE(first.frames.empty());
  EXPECT_EQ(first.frames[0].function, "descend.isra.0");
  EXPECT_EQ(first.frames[0].module, "parser");

  write_file(d / "brackets", std::string(5000, '[') + "\n");
  fs::copy_file(std::string(FAULTLINE_BIN_DIR) + "/test-rust_stacker", prog, fs::copy_options::overwrite_existing);
  auto second = crash_of({prog.string(), (d / "brackets").string()});
  ASSERT_FALSE(second.frames.empty());
  EXPECT_EQ(second.frames[0].function, "stacker_parser::brackets");
  EXPECT_EQ(second.frames[0].module, "parser");

  // And the first again: its names come back, from the cache or not.
  fs::copy_file(std::string(FAULTLINE_BIN_DIR) + "/test-other_stacks", prog, fs::copy_options::overwrite_existing);
  EXPECT_EQ(crash_of({prog.string(), "thread"}).frames.at(0).function, "descend.isra.0");
}

}  // namespace
}  // namespace faultline::test
