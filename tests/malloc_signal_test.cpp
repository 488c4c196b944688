// The malloc-signal injector and its sentinels on the seed bug: a SIGPROF
// profiler calling backtrace() in its handler (targets/profiler_backtrace).
#include <regex>

#include "test_support.h"

namespace faultline::test {
namespace {

std::string profiler() { return std::string(FAULTLINE_BIN_DIR) + "/target-profiler_backtrace"; }

struct Run {
  CliResult cli;
  nlohmann::json report;
};

Run run_profiler(const ScratchDir& d, const std::string& schedule, bool fixed = false) {
  std::vector<std::string> args = {"run", "--report", (d / "r.json").string(), "--schedule", schedule, "--", profiler()};
  if (fixed) args.push_back("--fixed");
  Run r;
  r.cli = run_faultline(args, d);
  r.report = read_report(d / "r.json");
  return r;
}

std::vector<std::string> classes(const nlohmann::json& report) {
  std::vector<std::string> out;
  for (const auto& f : report["findings"]) out.push_back(f["class"]);
  return out;
}

std::string blamed(const nlohmann::json& report) {
  for (const auto& f : report["frames"])
    if (f["in_hash"]) return f["function"];
  return "";
}

bool stack_mentions(const nlohmann::json& stack, const std::string& function) {
  for (const auto& f : stack)
    if (f.get<std::string>().starts_with(function)) return true;
  return false;
}

TEST(MallocSignal, ExploreFindsTheSeedBugAtItsCauseAndItReplays) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--injector", "malloc-signal", "--target", "profiler_backtrace", "--max-runs",
                          "100", "--out", (d / "out").string()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("-> signal-unsafe-reentrancy"), std::string::npos) << r.out;
  std::vector<fs::path> repros;
  for (const auto& e : fs::directory_iterator(d / "out")) repros.push_back(e.path());
  ASSERT_EQ(repros.size(), 1u);
  EXPECT_TRUE(repros[0].filename().string().starts_with("signal-unsafe-reentrancy-"));
  auto replay = run_faultline({"replay", "--trust-argv", repros[0].string(), "--times", "20"}, d);
  EXPECT_EQ(replay.exit_code, 0) << replay.out;
  EXPECT_NE(replay.out.find("20/20 reproduced"), std::string::npos) << replay.out;
}

TEST(MallocSignal, SeededRandomPointsAreReproducible) {
  ScratchDir d;
  auto explore = [&](const std::string& seed) {
    return run_faultline({"explore", "--target", "profiler_backtrace", "--seed", seed, "--max-runs", "40", "--out",
                          (d / ("out-" + seed)).string()},
                         d);
  };
  auto first = explore("7"), again = explore("7");
  EXPECT_EQ(first.exit_code, 1) << first.out;
  const std::string hit = first.out.substr(0, first.out.find(" -> "));
  EXPECT_NE(hit.find("malloc-signal sig=SIGPROF thread=0 call="), std::string::npos) << first.out;
  EXPECT_EQ(again.out.substr(0, again.out.find(" -> ")), hit) << "the same seed samples the same points";
}

// `explore --shard K/N` on N machines: shard K takes the allocator calls K-1
// mod N after the handler's installation, so the shards never repeat a point.
TEST(MallocSignal, ShardsTakeDisjointAllocatorCalls) {
  ScratchDir d;
  for (int k = 1; k <= 2; k++) {
    auto r = run_faultline({"explore", "--target", "profiler_backtrace", "--keep-going", "--max-runs", "20", "--shard",
                            std::to_string(k) + "/2", "--out", (d / ("out-" + std::to_string(k))).string()},
                           d);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::regex first_re("before allocator call ([0-9]+)"), call_re(" call=([0-9]+) insn=");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, first_re)) << r.out;
    const uint64_t first = std::stoull(m[1]);
    int hits = 0;
    for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), call_re); it != std::sregex_iterator(); ++it, hits++)
      EXPECT_EQ((std::stoull((*it)[1]) - first) % 2, static_cast<uint64_t>(k - 1)) << (*it)[0];
    EXPECT_GT(hits, 0) << r.out;
  }
}

TEST(MallocSignal, FixedVariantGivesNoFindingOverTheSameBudget) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--injector", "malloc-signal", "--max-runs", "100", "--out",
                          (d / "out").string(), "--", profiler(), "--fixed"},
                         d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("100 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 0 findings"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(MallocSignal, TcachePointGivesTheSamePointerTwiceWithBothStacks) {
  ScratchDir d;
  // Call 46 is a tcache hit of the size the handler's first malloc asks for;
  // instruction 32 lies between reading the tcache head and storing the new one.
  auto r = run_profiler(d, "malloc-signal sig=SIGPROF call=46 insn=32");
  EXPECT_EQ(r.cli.exit_code, 1);
  ASSERT_GE(r.report["findings"].size(), 2u) << r.report["findings"];
  EXPECT_EQ(r.report["class"], "signal-unsafe-reentrancy");
  // Then the handler's dlopen loads libgcc_s, and the interrupted malloc returns
  // the pointer the handler already got.
  const auto found = classes(r.report);
  EXPECT_EQ(found, std::vector<std::string>({"signal-unsafe-reentrancy", "lazy-binding-in-signal-handler",
                                             "duplicate-allocation"}));
  const auto& first = r.report["findings"][0];
  EXPECT_TRUE(stack_mentions(first["handler_stack"], "profiler_on_sigprof")) << first["handler_stack"];
  EXPECT_TRUE(stack_mentions(first["interrupted_stack"], "workload_make_record")) << first["interrupted_stack"];
  EXPECT_TRUE(stack_mentions(first["interrupted_stack"], "malloc")) << first["interrupted_stack"];
  EXPECT_EQ(r.report["injection"]["call"], 46);
  EXPECT_EQ(r.report["injection"]["insn"], 32);
  EXPECT_EQ(r.report["injection"]["signal"], "SIGPROF");
  // Replayable exactly: the same pointer is handed out twice every time.
  auto again = run_profiler(d, "malloc-signal sig=SIGPROF call=46 insn=32");
  EXPECT_EQ(again.report["findings"][2]["detail"], r.report["findings"][2]["detail"]);
}

TEST(MallocSignal, ProgramTimersAreTakenOverSoTheScheduleIsTheOnlySignal) {
  ScratchDir d;
  auto r = run_profiler(d, "malloc-signal sig=SIGPROF call=46 insn=32", true);
  EXPECT_EQ(r.cli.exit_code, 0) << r.cli.err;
  EXPECT_EQ(r.report["class"], "none");
  EXPECT_GE(r.report["injector"]["timers_suppressed"].get<int>(), 1);
  EXPECT_TRUE(r.cli.out.starts_with("samples=1 ")) << r.cli.out;  // exactly the scheduled one
  auto never = run_profiler(d, "malloc-signal sig=SIGPROF call=999999999 insn=1", true);
  EXPECT_TRUE(never.cli.out.starts_with("samples=0 ")) << never.cli.out;
}

TEST(MallocSignal, ACallBeforeTheHandlerExistsRaisesNothing) {
  ScratchDir d;
  auto r = run_profiler(d, "malloc-signal sig=SIGPROF call=5 insn=5", true);
  EXPECT_EQ(r.report["class"], "none");
  EXPECT_TRUE(r.report.contains("injection_missed"));
  EXPECT_FALSE(r.report.contains("injection"));
}

TEST(LazyHandler, ExposesTheBugInAHandlerThatWouldNotLoadAnythingItself) {
  ScratchDir d;
  auto plain = run_profiler(d, "malloc-signal sig=SIGPROF call=46 insn=32", true);
  EXPECT_EQ(plain.report["class"], "none");
  auto what_if = run_profiler(d, "malloc-signal sig=SIGPROF call=46 insn=32 ; lazy-handler on", true);
  EXPECT_EQ(what_if.report["class"], "signal-unsafe-reentrancy");
}

TEST(Sentinels, DlopenInAHandlerIsLazyBinding) {
  ScratchDir d;
  auto r = run_faultline({"run", "--report", (d / "r.json").string(), "--target", "crash_zoo", "--input",
                          zoo_input(d, "dlopen-in-handler")},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto rep = read_report(d / "r.json");
  EXPECT_EQ(rep["class"], "lazy-binding-in-signal-handler");
  EXPECT_TRUE(stack_mentions(rep["findings"][0]["handler_stack"], "zoo_loading_handler")) << rep["findings"][0];
}

TEST(Sentinels, WrappedHandlersLookUnchangedToTheProgram) {
  ScratchDir d;
  auto r = run_faultline({"run", "--target", "crash_zoo", "--input", zoo_input(d, "sigaction-roundtrip")}, d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "same same\nhandled\n");
}

TEST(Sentinels, IgnoredSignalWithSaSiginfoStaysIgnored) {
  ScratchDir d;
  auto r = run_faultline({"run", "--target", "crash_zoo", "--input", zoo_input(d, "siginfo-ignore")}, d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "survived SIGPIPE\n");
}

TEST(Sentinels, LeavingAHandlerBySiglongjmpLeavesTheHandler) {
  ScratchDir d;
  auto r = run_faultline({"run", "--report", (d / "r.json").string(), "--target", "crash_zoo", "--input",
                          zoo_input(d, "longjmp-out-of-handler")},
                         d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "recovered\n");
  EXPECT_EQ(read_report(d / "r.json")["class"], "none") << "the later dlopen is not in a handler";
}

TEST(Minimize, DropsExtrasAndFindsTheEarliestCall) {
  ScratchDir d;
  auto run = run_faultline({"run", "-q", "--out", (d / "out").string(), "--target", "profiler_backtrace",
                            "--schedule", "malloc-signal sig=SIGPROF call=64 insn=32 ; stack threads=1M ; seed=0x5eed"},
                           d);
  ASSERT_EQ(run.exit_code, 1);
  fs::path repro;
  for (const auto& e : fs::directory_iterator(d / "out")) repro = e.path();
  auto m = run_faultline({"minimize", "--trust-argv", repro.string()}, d);
  EXPECT_EQ(m.exit_code, 0) << m.out << m.err;
  // No extras left, and the first allocator call after the handler exists.
  const std::string minimized = read_report(repro / "repro.json")["schedule"];
  const std::string prefix = "malloc-signal sig=SIGPROF thread=0 call=";
  ASSERT_TRUE(minimized.starts_with(prefix)) << minimized;
  EXPECT_EQ(minimized.find(" ; "), std::string::npos) << minimized;
  EXPECT_LE(std::stoi(minimized.substr(prefix.size())), 10) << minimized;
  auto replay = run_faultline({"replay", "--trust-argv", repro.string(), "--times", "3"}, d);
  EXPECT_EQ(replay.exit_code, 0) << replay.out;
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

std::string static_profiler() { return std::string(FAULTLINE_BIN_DIR) + "/target-static_profiler"; }

TEST(PtraceMode, StaticBinaryGetsTheSignalInsideItsOwnMalloc) {
  ScratchDir d;
  const std::string schedule = "malloc-signal sig=SIGPROF call=200 insn=5 ptrace";
  // "quiet": no natural profiler timer, so only the schedule raises SIGPROF.
  auto r = run_faultline({"run", "-q", "--report", (d / "r.json").string(), "--schedule", schedule, "--out",
                          (d / "out").string(), "--", static_profiler(), "quiet"},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto rep = read_report(d / "r.json");
  EXPECT_EQ(rep["class"], "signal-unsafe-reentrancy");
  EXPECT_EQ(rep["ptrace_allocator_breakpoints"], 4);
  EXPECT_EQ(rep["injection"]["call"], 200);
  EXPECT_EQ(rep["injector"]["processes"], 0) << "a static binary cannot load the injector";
  EXPECT_TRUE(stack_mentions(rep["findings"][0]["handler_stack"], "static_profiler_on_sigprof"))
      << rep["findings"][0];
  EXPECT_EQ(blamed(rep), "static_profiler_on_sigprof");
  fs::path repro;
  for (const auto& e : fs::directory_iterator(d / "out")) repro = e.path();
  auto replay = run_faultline({"replay", "--trust-argv", repro.string(), "--times", "10"}, d);
  EXPECT_EQ(replay.exit_code, 0) << replay.out;

  // The in-process injector cannot reach it: the same point without `ptrace` does nothing.
  auto in_process = run_faultline({"run", "-q", "--report", (d / "r2.json").string(), "--schedule",
                                   "malloc-signal sig=SIGPROF call=20 insn=5", "--", static_profiler(), "quiet"},
                                  d);
  EXPECT_EQ(in_process.exit_code, 0);
  EXPECT_FALSE(read_report(d / "r2.json").contains("injection"));
}

TEST(PtraceMode, AWorkerThreadOfAStaticBinaryWhileMainIsBlocked) {
  ScratchDir d;
  // Breakpoints are written through the stopped worker: main sits in pthread_join, not stopped.
  auto r = run_faultline({"run", "-q", "--report", (d / "r.json").string(), "--schedule",
                          "malloc-signal sig=SIGPROF thread=1 call=500 insn=5 ptrace", "--", static_profiler(),
                          "threaded"},
                         d);
  auto rep = read_report(d / "r.json");
  EXPECT_EQ(rep["class"], "signal-unsafe-reentrancy") << rep["findings"];
  EXPECT_EQ(rep["thread"], 1);
}

// fork copies the tracer's int3 bytes into the child: they are taken out
// of it, so the child's calls are its own and the scheduled call is the
// program's, not the child's (which runs first here).
TEST(PtraceMode, AForkedChildKeepsNoBreakpointsOfItsParent) {
  ScratchDir d;
  auto r = run_faultline({"run", "-q", "--report", (d / "r.json").string(), "--schedule",
                          "malloc-signal sig=SIGPROF call=200 insn=5 ptrace", "--", static_profiler(), "forked"},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto rep = read_report(d / "r.json");
  EXPECT_EQ(rep["class"], "signal-unsafe-reentrancy") << rep["findings"];
  // Before, the child took the injection, then died of a stale int3 (SIGTRAP).
  ASSERT_EQ(rep["findings"].size(), 1u) << rep["findings"];
  EXPECT_EQ(rep["findings"][0]["process"], "main") << rep["findings"];
}

TEST(PtraceMode, AnInstructionPastTheEndOfTheCallRaisesNothing) {
  ScratchDir d;
  // Stepping stops when the call returns (and the other breakpoints are not stepped into).
  auto r = run_faultline({"run", "-q", "--timeout", "5", "--report", (d / "r.json").string(), "--schedule",
                          "malloc-signal sig=SIGPROF call=200 insn=100000000 ptrace", "--", static_profiler(), "quiet"},
                         d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rep = read_report(d / "r.json");
  EXPECT_EQ(rep["class"], "none") << rep["findings"];
  EXPECT_TRUE(rep.contains("injection_missed"));
  EXPECT_LT(rep["wall_time_s"].get<double>(), 4.0);
}

TEST(PtraceMode, ExploreFindsItInAStaticBinary) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--ptrace", "--max-runs", "100", "--out", (d / "out").string(), "--",
                          static_profiler(), "quiet"},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("-> signal-unsafe-reentrancy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ptrace"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace faultline::test
