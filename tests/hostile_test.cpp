// Hostile programs and files (issue 15), one case per test, on real processes.
#include <sys/stat.h>

#include <algorithm>

#include "test_support.h"
#include "triage.h"

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

// Limits are checked before the run: -1 was read as 2^64-1 (no limit at all),
// and an address space of 0 let nothing start, filed as stack exhaustion.
TEST(Hostile, LimitsOutOfRangeAreOneLineErrors) {
  ScratchDir d;
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--output-limit-kb", "-1"}, {"--memory-limit-mb=-1"}, {"--memory-limit-mb", "0"},
           {"--file-size-limit-mb", "18446744073709551615"}, {"--core-limit-mb", "-3"}}) {
    std::vector<std::string> args = {"run", "--report", (d / "r.json").string()};
    args.insert(args.end(), bad.begin(), bad.end());
    args.insert(args.end(), {"--", "/bin/true"});
    auto r = run_faultline_as_given(args, d);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(bad[0].substr(0, bad[0].find('='))), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(d / "r.json"));
  }
  auto fine = run_faultline_as_given({"run", "--memory-limit-mb", "1024", "--output-limit-kb", "0", "--", "/bin/true"}, d);
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
}

// A program the kernel kills inside execve (an address space too small to
// map it) never ran: an error naming it, not a crash of some class.
TEST(Hostile, AProgramKilledDuringExecNeverStartedAndIsNoCrash) {
  RunRequest req;
  req.argv = {"/bin/true"};
  req.limits.address_space_bytes = 4096;
  auto r = run_and_triage(req);
  ASSERT_FALSE(r) << "class " << to_string(r.value().cls);
  EXPECT_NE(r.error().message.find("'/bin/true' never started"), std::string::npos) << r.error().message;
}

// --input must be a regular file: a FIFO hung faultline (nobody writes it)
// and /dev/zero was read without end. Both are one line, exit 2, before any run.
TEST(Hostile, AnInputThatIsNoRegularFileIsRefusedBeforeReading) {
  ScratchDir d;
  const std::string fifo = (d / "fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& input : {fifo, std::string("/dev/zero"), d.path().string()}) {
    auto r = run_faultline({"run", "--target", "crash_zoo", "--input", input}, d);
    EXPECT_EQ(r.exit_code, 2) << input << ": " << r.err;
    EXPECT_NE(r.err.find("--input " + input + ": not a regular file"), std::string::npos) << r.err;
  }
}

// A NUL inside a stored argv (JSON can hold "\u0000", a C string cannot) or
// a control character in the schedule would make the run differ from the
// file: the reproducer is refused, naming the field.
TEST(Hostile, NulInArgvAndControlCharactersInTheScheduleAreFieldErrors) {
  ScratchDir d;
  const std::string head = "{\"faultline_repro\":1,\"expected\":{\"class\":\"none\",\"stack_hash\":\"\"},\"timeout_s\":5,";
  fs::create_directories(d / "nul");
  write_file(d / "nul" / "repro.json", head + "\"argv\":[\"/bin/sh\",\"-c\",\"exit 0\\u0000; kill -SEGV $$\"],\"schedule\":\"\"}");
  auto nul = run_faultline_as_given({"replay", (d / "nul").string()}, d);
  EXPECT_EQ(nul.exit_code, 2) << nul.out << nul.err;
  EXPECT_NE(nul.err.find("field 'argv[2]' holds a NUL byte"), std::string::npos) << nul.err;
  fs::create_directories(d / "ctl");
  write_file(d / "ctl" / "repro.json", head + "\"argv\":[\"/bin/true\"],\"schedule\":\"stack main=256K\\u0001\"}");
  auto ctl = run_faultline_as_given({"replay", (d / "ctl").string()}, d);
  EXPECT_EQ(ctl.exit_code, 2) << ctl.out << ctl.err;
  EXPECT_NE(ctl.err.find("field 'schedule' holds a control character"), std::string::npos) << ctl.err;
}

}  // namespace
}  // namespace faultline::test
