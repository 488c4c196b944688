// signal-unsafe-call on a target shaped like CVE-2024-6387
// (targets/login_timeout): a SIGALRM login-timeout handler that calls
// syslog(), while the session it interrupts calls syslog and malloc.
#include "base/schedule.hpp"
#include "test_support.h"

namespace faultline::test {
namespace {

std::string login() { return std::string(FAULTLINE_BIN_DIR) + "/target-login_timeout"; }

std::vector<std::string> classes(const nlohmann::json& report) {
  std::vector<std::string> out;
  for (const auto& f : report["findings"]) out.push_back(f["class"]);
  return out;
}

bool mentions(const nlohmann::json& stack, const std::string& function) {
  for (const auto& f : stack)
    if (f.get<std::string>().starts_with(function)) return true;
  return false;
}

fs::path only_reproducer(const fs::path& out) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(out)) found.push_back(e.path());
  return found.size() == 1 ? found[0] : fs::path();
}

nlohmann::json run_login(const ScratchDir& d, const std::string& schedule, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", "-q", "--timeout", "1", "--report", (d / "r.json").string(), "--schedule",
                                   schedule, "--", login()};
  args.insert(args.end(), extra.begin(), extra.end());
  run_faultline(args, d);
  return read_report(d / "r.json");
}

// The signal raised inside malloc (the session's): the handler's syslog is the
// finding, and glibc's syslog then allocates (tzset on first use) while the
// session's malloc is paused: CVE-2024-6387's path, on an unmodified binary.
TEST(UnsafeCall, ExploreInsideMallocNamesTheHandlersSyslog) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--signal", "SIGALRM", "--max-runs", "20", "--timeout", "5", "--out",
                          (d / "out").string(), "--", login()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("-> signal-unsafe-call - syslog() called from grace_alarm_handler, a SIGALRM handler;"),
            std::string::npos)
      << r.out;
  const fs::path repro = only_reproducer(d / "out");
  ASSERT_TRUE(repro.filename().string().starts_with("signal-unsafe-call-")) << repro;
  const std::string schedule = read_report(repro / "repro.json")["schedule"];
  auto rep = run_login(d, schedule);
  EXPECT_EQ(classes(rep), std::vector<std::string>({"signal-unsafe-call", "signal-unsafe-reentrancy"}));
  const auto& call = rep["findings"][0];
  EXPECT_TRUE(mentions(call["handler_stack"], "grace_alarm_handler")) << call;
  EXPECT_TRUE(mentions(call["interrupted_stack"], "malloc")) << call;
  EXPECT_TRUE(mentions(rep["findings"][1]["handler_stack"], "__vsyslog_internal")) << rep["findings"][1];
}

// `--in syslog`: the signal is raised inside the session's syslog; the
// handler's syslog is entered while that one is paused. (explore's first
// breadth point, in the first call, lies inside syslog's lock: the handler's
// syslog waits for it forever, a deadlock in the handler, with the unsafe
// call as the finding before it.)
TEST(UnsafeCall, ExploreInSyslogRaisesInsideSyslogAndReplays) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--in", "syslog", "--signal", "SIGALRM", "--max-runs", "20", "--timeout", "2",
                          "--out", (d / "out").string(), "--", login()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(" in=syslog insn="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inside signal handler grace_alarm_handler, which interrupted syslog"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("handler installed before syslog() call 1 of thread 0"), std::string::npos) << r.out;
  const fs::path repro = only_reproducer(d / "out");
  ASSERT_TRUE(repro.filename().string().starts_with("deadlock-in-signal-handler-")) << repro;
  auto replay = run_faultline({"replay", "--trust-argv", repro.string(), "--times", "3"}, d);
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("3/3 reproduced (deadlock-in-signal-handler"), std::string::npos) << replay.out;
}

// What really happens (glibc 2.36): before syslog takes its lock the
// handler's syslog completes and the handler exits; with the lock held
// (instructions 34 on of the first call, measured) the handler's syslog
// waits for it forever: deadlock-in-signal-handler, after the unsafe call.
TEST(UnsafeCall, InsideSyslogsLockTheHandlersSyslogDeadlocks) {
  ScratchDir d;
  auto before = run_login(d, "malloc-signal sig=SIGALRM call=1 in=syslog insn=1");
  EXPECT_EQ(classes(before), std::vector<std::string>({"signal-unsafe-call"}));
  EXPECT_EQ(before["exit"]["code"], 1) << before["exit"];  // the handler's _exit(1)
  auto held = run_login(d, "malloc-signal sig=SIGALRM call=1 in=syslog insn=300");
  EXPECT_EQ(classes(held), std::vector<std::string>({"deadlock-in-signal-handler", "signal-unsafe-call"}));
  EXPECT_EQ(held["injection"]["call"], 1);
  EXPECT_EQ(held["injection"]["insn"], 300);
  EXPECT_TRUE(mentions(held["findings"][0]["handler_stack"], "grace_alarm_handler")) << held["findings"][0];
  EXPECT_TRUE(mentions(held["findings"][0]["interrupted_stack"], "__vsyslog_internal")) << held["findings"][0];
  const auto& call = held["findings"][1];
  EXPECT_EQ(call["detail"], "syslog() called from grace_alarm_handler, a SIGALRM handler that interrupted syslog(); "
                            "not async-signal-safe");
  EXPECT_TRUE(mentions(call["interrupted_stack"], "__vsyslog_internal")) << call;
}

// The fix's shape: the handler only write(2)s and sets a flag; the session
// logs the timeout itself, outside the handler.
TEST(UnsafeCall, SafeHandlerGivesNoFinding) {
  ScratchDir d;
  for (const std::vector<std::string>& in : {std::vector<std::string>{}, std::vector<std::string>{"--in", "syslog"}}) {
    std::vector<std::string> args = {"explore", "--signal", "SIGALRM", "--max-runs", "30", "--out", (d / "out").string()};
    args.insert(args.end(), in.begin(), in.end());
    args.insert(args.end(), {"--", login(), "--safe"});
    auto r = run_faultline(args, d);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("30 runs"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" 0 findings"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("SIGALRM handler installed before"), std::string::npos) << "no handler ran: " << r.out;
  }
  EXPECT_FALSE(fs::exists(d / "out"));
  auto plain = run_login(d, "");  // printf and syslog in ordinary code, and an alarm that never fires
  EXPECT_EQ(plain["class"], "none");
}

// A handler on an alternate stack left by siglongjmp is left: the printf
// after it is ordinary code, not a signal-unsafe-call.
TEST(UnsafeCall, AHandlerLeftBySiglongjmpFromAnAltstackIsLeft) {
  ScratchDir d;
  auto r = run_faultline({"run", "--report", (d / "r.json").string(), "--", std::string(FAULTLINE_BIN_DIR) + "/test-altstack_longjmp"}, d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("left the handler"), std::string::npos) << r.out;
  EXPECT_EQ(read_report(d / "r.json")["class"], "none");
}

TEST(UnsafeCall, InNamesAnInterposedFunction) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--in", "sylog", "--signal", "SIGALRM", "--", login()}, d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--in: in='sylog' is not a signal-unsafe function faultline interposes (syslog, vsyslog, printf,"),
            std::string::npos)
      << r.err;
  auto ptrace = run_faultline({"explore", "--in", "syslog", "--ptrace", "--", login()}, d);
  EXPECT_EQ(ptrace.exit_code, 2);
}

// in= is a word the shared parser checks against the injector's table, so a
// schedule the harness accepts is one the injector can apply.
TEST(UnsafeCall, InIsParsedAgainstTheTable) {
  auto s = Schedule::parse("malloc-signal in=syslog sig=ALRM call=3 insn=7");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->canonical(), "malloc-signal sig=SIGALRM call=3 in=syslog insn=7");
  EXPECT_EQ(s->word(FL_KEY_MS_IN), "syslog");
  auto unknown = Schedule::parse("malloc-signal sig=ALRM call=3 in=__syslog_chk insn=7");  // a variant, not a family
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("in='__syslog_chk' is not a signal-unsafe function faultline interposes (syslog, vsyslog, printf,"),
            std::string::npos)
      << unknown.error().message;
  EXPECT_NE(unknown.error().message.find("pthread_mutex_lock, pthread_mutex_unlock, pthread_mutex_trylock, pthread_cond_wait,"), std::string::npos) << unknown.error().message;
  EXPECT_NE(unknown.error().message.find("pthread_join, pthread_exit)"), std::string::npos) << unknown.error().message;
  // On the async-signal-safe list: interposed as a sync point, not a place a handler must not be.
  auto safe = Schedule::parse("malloc-signal sig=ALRM call=3 in=sem_post insn=7");
  ASSERT_FALSE(safe);
  EXPECT_NE(safe.error().message.find("in='sem_post' is not a signal-unsafe function"), std::string::npos) << safe.error().message;
  EXPECT_FALSE(Schedule::parse("malloc-signal sig=ALRM call=3 in=syslog insn=7 ptrace"));
}

}  // namespace
}  // namespace faultline::test
