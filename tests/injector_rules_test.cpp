// The injector's rules (injectors/RULES.md, issue 15), seen from the
// behaviour they protect, on real processes. The rules themselves are
// enforced by the InjectorRules.* script tests (imports, poisoned names).
#include "test_support.h"

namespace faultline::test {
namespace {

int count_class(const nlohmann::json& report, const std::string& cls) {
  int n = 0;
  for (const auto& f : report["findings"]) n += f["class"] == cls;
  return n;
}

// The "first finding of each kind" table is per process: a forked child that
// frees with a wrong size after its parent did is a finding of its own (it
// inherited the parent's table and stayed silent).
TEST(InjectorRules, AForkedChildReportsAKindItsParentAlreadyReported) {
  ScratchDir d;
  auto r = run_faultline_as_given({"run", "-q", "--report", (d / "r.json").string(), "--",
                                   std::string(FAULTLINE_BIN_DIR) + "/test-fork_sized_free"},
                                  d);
  ASSERT_TRUE(fs::exists(d / "r.json")) << r.out << r.err;
  auto report = read_report(d / "r.json");
  EXPECT_EQ(report["class"], "heap-size-mismatch") << report.dump(1);
  EXPECT_EQ(count_class(report, "heap-size-mismatch"), 2) << report["findings"].dump(1);
}

// The default thread stack size is read at init, not on the pthread_create
// path (pthread_getattr_default_np takes a lock); a program that changes the
// default keeps it right: its fresh-attr thread is not "chosen", so
// `stack threads=` shrinks it.
TEST(InjectorRules, TheDefaultStackSizeAProgramSetsIsStillTheDefault) {
  ScratchDir d;
  const std::string program = std::string(FAULTLINE_BIN_DIR) + "/test-default_stack_thread";
  auto plain = run_faultline_as_given({"run", "--", program}, d);
  EXPECT_NE(plain.out.find("thread stack 4096 KiB"), std::string::npos) << plain.out << plain.err;
  auto shrunk = run_faultline_as_given({"run", "--schedule", "stack threads=256K", "--", program}, d);
  EXPECT_NE(shrunk.out.find("thread stack 256 KiB"), std::string::npos) << shrunk.out << shrunk.err;
}

}  // namespace
}  // namespace faultline::test
