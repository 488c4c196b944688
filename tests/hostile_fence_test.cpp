// Hostile programs against the fence (issue 15, point 2): each run's
// processes live in a PID namespace of their own under a small init, so they
// cannot signal, trace or read faultline, and none outlives its run.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test_support.h"
#include "process/runner.h"

namespace faultline::test {
namespace {

// A child that stops and attaches to everything above it (kill(getppid(),
// SIGSTOP) held faultline for over 10 minutes under --timeout 3): the
// timeout still ends the run on time, and every attempt on faultline failed.
TEST(Hostile, AChildCanNeitherStopNorTraceNorReadFaultline) {
  ScratchDir d;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_faultline_in(d.path(), {"run", "--timeout", "3", "--report", (d / "r.json").string(), "--",
                                  std::string(FAULTLINE_BIN_DIR) + "/test-attack_ancestors"},
                                 d, 40);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_LT(seconds, 20) << r.out << r.err;
  ASSERT_TRUE(fs::exists(d / "r.json")) << r.out << r.err;
  auto report = read_report(d / "r.json");
  EXPECT_EQ(report["class"], "timeout");
  EXPECT_EQ(report["fence"]["pid_namespace"], true) << report["fence"].dump();
  EXPECT_NE(r.out.find("attacks done"), std::string::npos) << r.out;
  // The attempts on the init (the program's parent in its namespace) may
  // succeed or not; none on faultline (outside it) may.
  std::istringstream lines(r.out);
  int on_faultline = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" (faultline): ") == std::string::npos) continue;
    on_faultline++;
    EXPECT_EQ(line.find(": ok"), std::string::npos) << line;
  }
  EXPECT_GE(on_faultline, 1) << "the program found no faultline above it to attack:\n" << r.out;
}

// A 150-deep chain of setsid'd processes escaped the process-group kill
// (about 85 stayed alive into the next run): the namespace takes them all.
TEST(Hostile, ADeepSetsidChainDoesNotOutliveItsRun) {
  ScratchDir d;
  auto r = run_faultline_in(d.path(), {"run", "--", std::string(FAULTLINE_BIN_DIR) + "/test-setsid_chain", "150"}, d, 60);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("chain of 150 ready: yes"), std::string::npos) << r.out << r.err;
  const auto left = processes_whose("comm", [](const std::string& comm) { return comm == "flchain\n"; });
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the chain outlived the run";
  for (pid_t p : left) kill(p, SIGKILL);
}

// As root RLIMIT_NPROC binds nothing (7000 of a 10000-process fork bomb
// started): the tracer holds the run to its process limit.
TEST(Hostile, AForkBombStopsAtTheProcessLimitEvenAsRoot) {
  RunRequest req;
  req.argv = {std::string(FAULTLINE_BIN_DIR) + "/test-fork_bomb", "300"};
  req.limits.max_processes = 32;
  req.limits.timeout_seconds = 30;
  auto r = run_program(req);
  ASSERT_TRUE(r) << r.error().message;
  int forked = 0, ran = 0;
  ASSERT_EQ(std::sscanf(r.value().out.head.c_str(), "forked %d ran %d", &forked, &ran), 2) << r.value().out.head;
  EXPECT_LE(ran, 32);
  EXPECT_GT(ran, 0);
  if (geteuid() == 0) {
    EXPECT_GE(r.value().processes_refused, static_cast<uint64_t>(forked - 32));
  }
}

// kill -9 of faultline while AFL++ fuzzes left the persistent target stopped
// for ever (3 of 3 times): the engine runs in the fence, whose init dies with
// faultline and takes afl-fuzz and its forkserver along.
TEST(Hostile, KillingFaultlineMidFuzzLeavesNoEngineProcess) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "crash_zoo");
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora" / "crash_zoo" / "seeds", corpora / "crash_zoo" / "seeds");
  const std::string work = (d / "work-of-this-test").string();
  std::string cmd = "cd " + shell_quote(d.path().string()) + " && " + shell_quote(std::string(FAULTLINE_BIN_DIR) + "/faultline");
  for (const std::string& a : {std::string("fuzz"), std::string("--project"), own_manifest(), std::string("--engine"),
                               std::string("afl"), std::string("--target"), std::string("crash_zoo"), std::string("--budget"),
                               std::string("60"), std::string("--corpora"), corpora.string(), std::string("--work"), work})
    cmd += " " + shell_quote(a);
  cmd += " >/dev/null 2>&1 & echo $!";
  FILE* started = popen(cmd.c_str(), "r");
  ASSERT_TRUE(started);
  int faultline_pid = 0;
  ASSERT_EQ(std::fscanf(started, "%d", &faultline_pid), 1);
  pclose(started);
  // Until afl-fuzz runs the target: its forkserver, a child of afl-fuzz (whose command line need not name the work dir).
  std::vector<pid_t> engine;
  for (int i = 0; i < 300 && engine.size() < 3; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    engine.clear();
    for (pid_t p : processes_mentioning(work)) {
      if (read_file(fs::path("/proc") / std::to_string(p) / "comm") != "afl-fuzz\n") continue;
      engine.push_back(p);
    }
    for (size_t k = 0; k < engine.size(); k++) {  // and every descendant: the forkserver's persistent child stops itself
      const std::string p = std::to_string(engine[k]);
      std::istringstream children(read_file(fs::path("/proc") / p / "task" / p / "children"));
      for (pid_t c; children >> c;) engine.push_back(c);
    }
  }
  kill(faultline_pid, SIGKILL);
  ASSERT_GE(engine.size(), 3u) << "afl-fuzz never ran its target (forkserver and persistent child) under faultline";
  std::vector<pid_t> left;
  for (int i = 0; i < 50; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = processes_mentioning(work);
    for (pid_t p : engine)
      if (kill(p, 0) == 0 && read_file(fs::path("/proc") / std::to_string(p) / "stat").find(") Z") == std::string::npos)
        left.push_back(p);
    if (left.empty()) break;
  }
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the fuzz run outlived faultline";
  for (pid_t p : left) kill(p, SIGKILL);
}

}  // namespace
}  // namespace faultline::test
