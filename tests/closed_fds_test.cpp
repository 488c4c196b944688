// Programs that close their inherited descriptors (issue 16): varnishd, sshd
// and anything calling closefrom(3) took faultline's event pipe with them,
// and every injector finding after that was lost ("none"), while the
// injector wrote its records into whatever file the program opened there.
#include "test_support.h"

namespace faultline::test {
namespace {

struct ClosedFdsRun {
  nlohmann::json report;
  std::string own_file;  // what the program's own file holds afterwards
};

ClosedFdsRun run_closing_program(const ScratchDir& d, const std::string& mode) {
  const fs::path own = d / ("own-" + mode);
  auto r = run_faultline_as_given({"run", "-q", "--schedule", "quarantine=64", "--report", (d / "r.json").string(), "--",
                                   std::string(FAULTLINE_BIN_DIR) + "/test-closefrom_double_free", own.string(), mode},
                                  d);
  EXPECT_TRUE(fs::exists(d / "r.json")) << r.out << r.err;
  return {fs::exists(d / "r.json") ? read_report(d / "r.json") : nlohmann::json(), read_file(own)};
}

// The double free after closefrom: the quarantine's finding, with its stack,
// reaches faultline in the checkpoint itself.
TEST(ClosedFds, ADoubleFreeAfterClosefromIsStillFound) {
  ScratchDir d;
  auto r = run_closing_program(d, "double-free");
  ASSERT_FALSE(r.report.is_null());
  EXPECT_EQ(r.report["class"], "double-free") << r.report["findings"].dump(1);
  EXPECT_EQ(blamed_frame(r.report)["function"], "main") << r.report["findings"].dump(1);
  EXPECT_EQ(r.own_file, "ok\n");
}

// A finding that ends nothing (a wrong-size free, then exit 0) was "none";
// the program's own file at the pipe's old number got 96 bytes of records.
// Now: the finding, the file untouched, and the report says the pipe went.
TEST(ClosedFds, TheProgramsOwnFileAtThePipesNumberGetsNoRecordsAndTheReportSaysSo) {
  ScratchDir d;
  auto r = run_closing_program(d, "wrong-size");
  ASSERT_FALSE(r.report.is_null());
  EXPECT_EQ(r.report["class"], "heap-size-mismatch") << r.report.dump(1);
  EXPECT_EQ(r.own_file, "ok\n") << r.own_file.size() << " bytes";
  ASSERT_TRUE(r.report["injector"].contains("event_pipe_lost")) << r.report["injector"].dump(1);
  EXPECT_NE(r.report["injector"]["event_pipe_lost"].get<std::string>().find("closed faultline's event pipe"), std::string::npos);
}

}  // namespace
}  // namespace faultline::test
