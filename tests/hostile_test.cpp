// Hostile programs and files (issue 15), one case per test, on real processes.
#include "test_support.h"

namespace faultline::test {
namespace {

// A program whose stderr is not UTF-8 (\377) still gets its report, with the
// byte replaced and the report saying so, and its reproducer.
TEST(Hostile, NonUtf8StderrLosesNeitherReportNorReproducer) {
  ScratchDir d;
  auto r = run_faultline_as_given({"run", "--report", (d / "r.json").string(), "--out", (d / "repros").string(), "--",
                                   "sh", "-c", "printf '\\377\\n' >&2; kill -ABRT $$"},
                                  d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("unexpected error"), std::string::npos) << r.err;
  ASSERT_TRUE(fs::exists(d / "r.json")) << r.err;
  auto report = read_report(d / "r.json");
  EXPECT_EQ(report["class"], "abort");
  EXPECT_EQ(report["invalid_utf8_replaced"], true);
  EXPECT_EQ(report["stderr_tail"], "\xEF\xBF\xBD\n");  // U+FFFD
  EXPECT_EQ(entries(d / "repros").size(), 1u);
}

}  // namespace
}  // namespace faultline::test
