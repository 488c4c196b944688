// Timeouts: every thread's stack, taken before the kill, and a signal
// handler waiting for a lock its own thread holds is deadlock-in-signal-handler.
#include <gtest/gtest.h>

#include <set>

#include "triage/deadlock.h"
#include "test_support.h"

namespace faultline::test {
namespace {

std::string program(const std::string& name) { return std::string(FAULTLINE_BIN_DIR) + "/test-" + name; }

// Measured on glibc 2.36 (Debian 12): the main thread's allocator call 5 is
// the first malloc(2000) after the handler is installed; from instruction 34
// on, _int_malloc holds main_arena's lock (1-33: the signal comes before it
// is taken, and the handler's malloc only re-enters).
const std::string kDeadlockPoint = "malloc-signal sig=SIGPROF thread=0 call=5 insn=40";

nlohmann::json run_report(const ScratchDir& d, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"run", "-q", "--report", (d / "r.json").string()};
  all.insert(all.end(), args.begin(), args.end());
  auto cli = run_faultline(all, d);
  EXPECT_EQ(cli.exit_code, 1) << cli.out << cli.err;
  return fs::exists(d / "r.json") ? read_report(d / "r.json") : nlohmann::json();
}

std::vector<std::string> functions(const nlohmann::json& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f.is_string() ? f.get<std::string>() : f["function"].get<std::string>());
  return out;
}

bool mentions(const nlohmann::json& frames, const std::string& function) {
  for (const auto& f : functions(frames))
    if (f.starts_with(function)) return true;
  return false;
}

TEST(Hang, HandlerWaitingForTheArenaLockItInterruptedIsADeadlock) {
  ScratchDir d;
  auto r = run_report(d, {"--timeout", "3", "--schedule", kDeadlockPoint, "--", program("signal_deadlock"), "idle", "2000"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["class"], "deadlock-in-signal-handler");
  EXPECT_EQ(r["exit"]["kind"], "timeout");
  EXPECT_EQ(r["thread"], 0);
  EXPECT_EQ(r["deadlock"]["handler"], "on_sigprof");
  EXPECT_EQ(r["deadlock"]["waits_in"], "__lll_lock_wait_private");
  EXPECT_NE(r["deadlock"]["lock"].get<std::string>().find("main_arena in libc.so.6 .data"), std::string::npos) << r["deadlock"];
  const auto& finding = r["findings"][0];
  EXPECT_EQ(finding["class"], "deadlock-in-signal-handler");
  EXPECT_NE(finding["detail"].get<std::string>().find("main_arena"), std::string::npos) << finding["detail"];
  EXPECT_TRUE(mentions(finding["handler_stack"], "on_sigprof")) << finding;
  EXPECT_TRUE(mentions(finding["handler_stack"], "__lll_lock_wait_private")) << finding;
  EXPECT_TRUE(mentions(finding["interrupted_stack"], "_int_malloc")) << finding;
  EXPECT_TRUE(mentions(finding["interrupted_stack"], "main")) << finding;
  // The sentinel saw the reentrancy first; it stays a finding, but the hang is the class.
  ASSERT_EQ(r["findings"].size(), 2u);
  EXPECT_EQ(r["findings"][1]["class"], "signal-unsafe-reentrancy");
  // Both threads, each with its stack: the idle one waits in read().
  ASSERT_EQ(r["threads"].size(), 2u) << r["threads"];
  EXPECT_EQ(r["threads"][0]["thread"], 0);
  EXPECT_EQ(r["threads"][0]["blocked_in"], "futex");
  EXPECT_TRUE(mentions(r["threads"][0]["frames"], "__restore_rt"));
  EXPECT_EQ(r["threads"][1]["thread"], 1);
  EXPECT_EQ(r["threads"][1]["blocked_in"], "read");
  EXPECT_TRUE(mentions(r["threads"][1]["frames"], "second_thread")) << r["threads"][1];
  EXPECT_EQ(r["hang_snapshot"]["threads_unstopped"], 0);
  EXPECT_LT(r["hang_snapshot"]["seconds"].get<double>(), 1.5);
  auto blamed = std::find_if(r["frames"].begin(), r["frames"].end(), [](const auto& f) { return f["in_hash"].template get<bool>(); });
  ASSERT_NE(blamed, r["frames"].end());
  EXPECT_EQ((*blamed)["function"], "on_sigprof");
}

TEST(Hang, SameDeadlockAtAnotherInstructionHasTheSameHash) {
  ScratchDir d;
  auto at = [&](int insn) {
    return run_report(d, {"--timeout", "2", "--schedule", "malloc-signal sig=SIGPROF thread=0 call=5 insn=" + std::to_string(insn),
                          "--", program("signal_deadlock"), "idle", "2000"});
  };
  auto a = at(40), b = at(60), reentrant = at(20);
  EXPECT_EQ(a["class"], "deadlock-in-signal-handler");
  EXPECT_EQ(b["class"], "deadlock-in-signal-handler");
  EXPECT_EQ(a["stack_hash"], b["stack_hash"]);
  EXPECT_EQ(reentrant["class"], "signal-unsafe-reentrancy");
  EXPECT_NE(reentrant["stack_hash"], a["stack_hash"]);
}

TEST(Hang, PlainTimeoutStaysTimeoutWithEveryThreadsStack) {
  ScratchDir d;
  auto r = run_report(d, {"--timeout", "1", "--", program("sleepers")});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["class"], "timeout");
  EXPECT_FALSE(r.contains("deadlock"));
  ASSERT_EQ(r["threads"].size(), 2u) << r["threads"];
  std::set<int> indexes;
  for (const auto& t : r["threads"]) {
    indexes.insert(t["thread"].get<int>());
    EXPECT_EQ(t["process"], "main");
    EXPECT_EQ(t["blocked_in"], "pause") << t;
    EXPECT_TRUE(mentions(t["frames"], "pause")) << t;
    EXPECT_TRUE(t["tid"].get<int>() > 0);
  }
  EXPECT_EQ(indexes, (std::set<int>{0, 1}));
  EXPECT_TRUE(mentions(r["threads"][1]["frames"], "sleep_forever")) << r["threads"][1];
}

// The hanging points and the merely reentrant ones are two reproducers.
TEST(Hang, ExploreStoresTheDeadlockAsItsOwnBucket) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--injector", "malloc-signal", "--keep-going", "--max-runs", "38", "--timeout", "1",
                          "--out", (d / "out").string(), "--", program("signal_deadlock"), "idle", "2000"},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  std::set<std::string> buckets;
  for (const auto& e : fs::directory_iterator(d / "out")) {
    const std::string name = e.path().filename().string();  // <class>-<hash>
    buckets.insert(name.substr(0, name.rfind('-')));
  }
  EXPECT_EQ(buckets, (std::set<std::string>{"deadlock-in-signal-handler", "signal-unsafe-reentrancy"})) << r.out;
  for (const auto& e : fs::directory_iterator(d / "out")) {
    if (!e.path().filename().string().starts_with("deadlock-")) continue;
    auto repro = nlohmann::json::parse(read_file(e.path() / "repro.json"));
    EXPECT_EQ(repro["expected"]["class"], "deadlock-in-signal-handler") << repro;
  }
}

}  // namespace
}  // namespace faultline::test

namespace faultline {
namespace {

Frame named(const std::string& fn, const std::string& module = "libc.so.6") {
  Frame f;
  f.function = fn;
  f.module = module;
  return f;
}

ThreadStack handler_thread(long syscall, const std::string& top) {
  ThreadStack t;
  t.pid = 100;
  t.tid = 40101;    // as faultline sees it, outside the run's PID namespace
  t.own_tid = 101;  // as the program sees it: what a mutex's owner word holds
  t.thread_index = 1;
  t.syscall = syscall;
  // The handler's malloc waits for the arena lock the malloc it interrupted holds.
  t.frames = {named(top), named("_int_malloc"), named("malloc"), named("on_sigprof", "app"), named("__restore_rt"),
              named("_int_malloc"), named("malloc"), named("worker", "app")};
  return t;
}

TEST(HandlerDeadlock, LockWaitAboveASignalFrameIsOne) {
  HangSnapshot h;
  h.threads = {handler_thread(kSyscallFutex, "__lll_lock_wait_private")};
  auto d = find_handler_deadlock(h, 100);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pair.handler, "on_sigprof");
  EXPECT_EQ(d->pair.interrupted, "malloc");
  EXPECT_EQ(d->wait_frame, 0u);
}

TEST(HandlerDeadlock, WaitIsTheLockCallTheHandlerMadeNotTheHelperUnderIt) {
  HangSnapshot h;
  h.threads = {handler_thread(kSyscallFutex, "__GI___lll_lock_wait")};
  h.threads[0].frames.insert(h.threads[0].frames.begin() + 1, named("__pthread_mutex_lock"));
  h.threads[0].word_after_futex = 101;  // the mutex's owner: this very thread
  auto d = find_handler_deadlock(h, 100);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->wait_frame, 1u);
  EXPECT_TRUE(is_lock_wait_frame(named("__GI___lll_lock_wait_private")));
  EXPECT_FALSE(is_lock_wait_frame(named("__new_sem_wait_slow64.constprop.0")));  // a post may yet come
  EXPECT_FALSE(is_lock_wait_frame(named("__libc_malloc")));
}

// A lock another thread holds may yet be released: a slow program, not a
// deadlock. Neither is a wait in a call the handler did not interrupt.
TEST(HandlerDeadlock, ALockTheThreadDoesNotHoldIsNone) {
  HangSnapshot h;
  h.threads = {handler_thread(kSyscallFutex, "__GI___lll_lock_wait")};
  h.threads[0].frames.insert(h.threads[0].frames.begin() + 1, named("__pthread_mutex_lock"));
  h.threads[0].word_after_futex = 102;
  EXPECT_FALSE(find_handler_deadlock(h, 100));
  h.threads[0].word_after_futex.reset();
  EXPECT_FALSE(find_handler_deadlock(h, 100));
  h.threads = {handler_thread(kSyscallFutex, "__lll_lock_wait_private")};
  h.threads[0].frames[5] = named("fflush");  // interrupted in stdio, waits in malloc's arena lock
  h.threads[0].frames[6] = named("fflush");
  EXPECT_FALSE(find_handler_deadlock(h, 100));
}

TEST(HandlerDeadlock, NeitherALockWaitNorAFutexIsNone) {
  HangSnapshot h;
  h.threads = {handler_thread(35, "__GI___clock_nanosleep")};
  EXPECT_FALSE(find_handler_deadlock(h, 100));
  ThreadStack no_handler;
  no_handler.syscall = kSyscallFutex;
  no_handler.frames = {named("__lll_lock_wait"), named("___pthread_mutex_lock"), named("main", "app")};
  h.threads = {no_handler};
  EXPECT_FALSE(find_handler_deadlock(h, 100));
}

TEST(HandlerDeadlock, HashIgnoresTheInstructionButNotTheWait) {
  auto a = handler_thread(kSyscallFutex, "__lll_lock_wait_private");
  auto b = a;
  b.frames[5].function = "sysmalloc";  // another point of the same malloc call
  auto c = handler_thread(kSyscallFutex, "___pthread_mutex_lock");
  c.word_after_futex = static_cast<uint32_t>(c.own_tid);
  auto hash = [](ThreadStack t) {
    HangSnapshot h;
    h.threads = {t};
    auto d = find_handler_deadlock(h, 100);
    return deadlock_hash(h.threads[0].frames, *d);
  };
  EXPECT_EQ(hash(a), hash(b));
  EXPECT_NE(hash(a), hash(c));
}

}  // namespace
}  // namespace faultline
