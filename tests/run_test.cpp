// End to end: `faultline run` on children that really crash, one per class.
#include <signal.h>

#include <cerrno>
#include <regex>
#include <set>

#include "test_support.h"

namespace faultline::test {
namespace {

struct ZooRun {
  CliResult cli;
  nlohmann::json report;
};

ZooRun run_zoo(const ScratchDir& d, const std::string& input, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"run", "-q", "--report", (d / "report.json").string(), "--target", "crash_zoo",
                                   "--input", zoo_input(d, input)};
  args.insert(args.end(), extra.begin(), extra.end());
  ZooRun r;
  r.cli = run_faultline(args, d);
  r.report = fs::exists(d / "report.json") ? read_report(d / "report.json") : nlohmann::json();
  fs::remove(d / "report.json");
  return r;
}

bool is_hash(const nlohmann::json& h) { return h.is_string() && std::regex_match(h.get<std::string>(), std::regex("[0-9a-f]{16}")); }

TEST(RunCrashes, NullDereferenceNamesClassThreadAndFrame) {
  ScratchDir d;
  auto r = run_zoo(d, "null");
  EXPECT_EQ(r.cli.exit_code, 1) << r.cli.err;
  EXPECT_EQ(r.report["class"], "null-dereference");
  EXPECT_EQ(r.report["signal"], "SIGSEGV");
  EXPECT_EQ(r.report["fault_address"], "0x0");
  EXPECT_EQ(r.report["thread"], 0);
  EXPECT_EQ(r.report["frames"][0]["function"], "zoo_null_dereference");
  auto f = blamed_frame(r.report);
  EXPECT_EQ(f["function"], "zoo_null_dereference");
  EXPECT_TRUE(f["file"].get<std::string>().ends_with("crash_zoo.cpp"));
  EXPECT_GT(f["line"].get<int>(), 0);
  EXPECT_TRUE(is_hash(r.report["stack_hash"]));
  EXPECT_EQ(r.report["exit"]["kind"], "signaled");
  EXPECT_TRUE(r.cli.err.starts_with("faultline: null-dereference")) << r.cli.err;
}

// Thread numbers come from one side: the injector numbers the program's
// pthread_create calls (what a schedule's thread= means); the tracer also
// sees the threads glibc starts itself (a SIGEV_THREAD timer's) and counts
// them, so its number stands only where no injector runs.
TEST(RunCrashes, AThreadIsNumberedAsTheProgramStartedIt) {
  ScratchDir d;
  const std::string target = std::string(FAULTLINE_BIN_DIR) + "/target-thread_numbers";
  auto injected = run_faultline({"run", "-q", "--report", (d / "r.json").string(), "--", target}, d);
  EXPECT_EQ(injected.exit_code, 1) << injected.err;
  auto rep = nlohmann::json::parse(read_file(d / "r.json"));
  EXPECT_EQ(rep["class"], "null-dereference");
  EXPECT_EQ(rep["thread"], 1) << injected.err;
  auto traced_only = run_faultline({"run", "-q", "--no-inject", "--report", (d / "t.json").string(), "--", target}, d);
  EXPECT_EQ(traced_only.exit_code, 1) << traced_only.err;
  EXPECT_GT(nlohmann::json::parse(read_file(d / "t.json"))["thread"].get<int>(), 1)
      << "the tracer counts glibc's timer threads: the case the injector's numbers are for";
}

TEST(RunCrashes, AbortIsBlamedOnTheCallerNotLibc) {
  ScratchDir d;
  auto r = run_zoo(d, "abort");
  EXPECT_EQ(r.cli.exit_code, 1);
  EXPECT_EQ(r.report["class"], "abort");
  EXPECT_EQ(r.report["signal"], "SIGABRT");
  EXPECT_EQ(r.report["frames"][0]["module"], "libc.so.6");
  EXPECT_FALSE(r.report["frames"][0]["in_hash"]);
  EXPECT_EQ(blamed_frame(r.report)["function"], "zoo_abort");
}

TEST(RunCrashes, GlibcDoubleFreeAbortIsHeapCorruption) {
  ScratchDir d;
  auto r = run_zoo(d, "double-free");
  EXPECT_EQ(r.report["class"], "heap-corruption");
  EXPECT_EQ(r.report["allocator"], "glibc");
  EXPECT_NE(r.report["findings"][0]["detail"].get<std::string>().find("free(): double free detected in tcache 2"),
            std::string::npos);
  EXPECT_EQ(blamed_frame(r.report)["function"], "zoo_double_free");
}

TEST(RunCrashes, WildAccessIllegalInstructionAndArithmetic) {
  ScratchDir d;
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"wild", "wild-access", "zoo_wild_write"},
      {"ill", "illegal-instruction", "zoo_illegal_instruction"},
      {"fpe", "arithmetic", "zoo_divide"}};
  for (const auto& [input, cls, frame] : cases) {
    auto r = run_zoo(d, input);
    EXPECT_EQ(r.cli.exit_code, 1) << input;
    EXPECT_EQ(r.report["class"], cls) << input;
    EXPECT_EQ(blamed_frame(r.report)["function"], frame) << input;
  }
}

TEST(RunCrashes, AllocationFailureUnderTheMemoryLimitIsOom) {
  ScratchDir d;
  auto r = run_zoo(d, "oom", {"--memory-limit-mb", "512"});
  EXPECT_EQ(r.cli.exit_code, 1);
  EXPECT_EQ(r.report["class"], "oom");
  EXPECT_EQ(r.report["signal"], "SIGABRT");
  EXPECT_EQ(blamed_frame(r.report)["function"], "zoo_exhaust_memory");
}

TEST(StackExhaustion, MainThreadCrashesUnderSmallRlimitStackAndNotWithout) {
  ScratchDir d;
  // ~1 KiB per level: 1000 levels need ~1 MiB, far below the default 8 MiB.
  auto small = run_zoo(d, "stack-main 1000", {"--schedule", "stack main=256K"});
  EXPECT_EQ(small.cli.exit_code, 1) << small.cli.err;
  EXPECT_EQ(small.report["class"], "stack-exhaustion");
  EXPECT_EQ(small.report["thread"], 0);
  EXPECT_NE(small.report["fault_region"].get<std::string>().find("the main stack"), std::string::npos);
  EXPECT_EQ(small.report["thread_stack_size"], 256 * 1024);
  EXPECT_EQ(small.report["schedule"], "stack main=256K");
  EXPECT_EQ(small.report["recursion_cycle"]["functions"],
            nlohmann::json({"zoo_parse_block", "zoo_parse_statement"}));
  const auto per_level = small.report["recursion_cycle"]["bytes_per_level"].get<uint64_t>();
  EXPECT_GE(per_level, 1024u);
  EXPECT_LE(per_level, 1200u);

  auto roomy = run_zoo(d, "stack-main 1000");
  EXPECT_EQ(roomy.cli.exit_code, 0) << roomy.cli.err;
  EXPECT_EQ(roomy.report["class"], "none");
}

TEST(StackExhaustion, WorkerThreadHitsTheGuardPageOfItsOwnStack) {
  ScratchDir d;
  // glibc sizes default pthread stacks from RLIMIT_STACK.
  auto r = run_zoo(d, "stack-thread", {"--schedule", "stack main=256K"});
  EXPECT_EQ(r.cli.exit_code, 1);
  EXPECT_EQ(r.report["class"], "stack-exhaustion");
  EXPECT_EQ(r.report["thread"], 1);
  EXPECT_EQ(r.report["fault_region"], "guard page below the pthread stack of thread 1");
  EXPECT_EQ(r.report["thread_stack_size"], 256 * 1024);
  EXPECT_EQ(r.report["findings"][0]["thread"], 1);
}

TEST(StackExhaustion, DedupIsByRecursionCycleWhateverFrameHitTheGuard) {
  ScratchDir d;
  std::set<std::string> hashes;
  for (const char* size : {"stack main=200K", "stack main=256K", "stack main=300K"}) {
    for (const char* input : {"stack-main", "stack-thread"}) {
      auto r = run_zoo(d, input, {"--schedule", size});
      ASSERT_EQ(r.report["class"], "stack-exhaustion") << input << " " << size;
      hashes.insert(r.report["stack_hash"]);
    }
  }
  EXPECT_EQ(hashes.size(), 1u);
}

TEST(Timeout, KillsTheWholeTreeIncludingGrandchildrenThatLeftTheGroup) {
  ScratchDir d;
  const auto pidfile = d / "pids";
  auto r = run_zoo(d, "sleep-tree " + pidfile.string(), {"--timeout", "1"});
  EXPECT_EQ(r.cli.exit_code, 1);
  EXPECT_EQ(r.report["class"], "timeout");
  EXPECT_EQ(r.report["exit"]["kind"], "timeout");
  EXPECT_LT(r.report["wall_time_s"].get<double>(), 5.0);
  std::istringstream pids(read_file(pidfile));
  int count = 0;
  for (pid_t pid; pids >> pid;) count++;
  EXPECT_EQ(count, 2);
  // Their pids are the ones inside the run's PID namespace: found by their command line (the zoo's input, in d).
  const auto left = processes_mentioning(d.path().string());
  EXPECT_TRUE(left.empty()) << left.size() << " of the tree survived";
  for (pid_t p : left) kill(p, SIGKILL);
}

TEST(Run, CleanExitIsNoneAndTheInjectorReportedIn) {
  ScratchDir d;
  auto r = run_faultline({"run", "--report", (d / "r.json").string(), "--", "/bin/true"}, d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rep = read_report(d / "r.json");
  EXPECT_EQ(rep["class"], "none");
  EXPECT_EQ(rep["findings"].size(), 0u);
  EXPECT_EQ(rep["exit"]["kind"], "exited");
  EXPECT_EQ(rep["exit"]["code"], 0);
  EXPECT_EQ(rep["injector"]["processes"], 1);
  EXPECT_EQ(rep["argv"], nlohmann::json({"/bin/true"}));

  auto bare = run_faultline({"run", "--no-inject", "--report", (d / "r2.json").string(), "--", "/bin/true"}, d);
  EXPECT_EQ(read_report(d / "r2.json")["injector"]["processes"], 0);
}

TEST(Run, CrashInAForkedChildIsTheFindingWhenTheParentFails) {
  ScratchDir d;
  const std::string crash = shell_quote(zoo_driver()) + " " + shell_quote(zoo_input(d, "null"));
  auto failed = run_faultline({"run", "-q", "--report", (d / "r.json").string(), "--", "/bin/sh", "-c", crash + "; exit 3"}, d);
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  auto rep = read_report(d / "r.json");
  EXPECT_EQ(rep["class"], "null-dereference");
  EXPECT_TRUE(rep["process"].get<std::string>().starts_with("child ")) << rep["process"];
  EXPECT_NE(rep["findings"][0]["detail"].get<std::string>().find("in child process"), std::string::npos);
  EXPECT_EQ(blamed_frame(rep)["function"], "zoo_null_dereference");

  auto handled = run_faultline({"run", "-q", "--report", (d / "r2.json").string(), "--", "/bin/sh", "-c", crash + "; true"}, d);
  EXPECT_EQ(handled.exit_code, 0) << "a parent that exits 0 has dealt with its child";
  EXPECT_EQ(read_report(d / "r2.json")["class"], "none");
}

TEST(Run, NonZeroExitIsNotACrash) {
  ScratchDir d;
  auto r = run_faultline({"run", "--report", (d / "r.json").string(), "--", "/bin/sh", "-c", "exit 3"}, d);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(read_report(d / "r.json")["exit"]["code"], 3);
}

TEST(Run, ChildHasItsOwnProcessGroupAndRlimits) {
  ScratchDir d;
  auto stat = run_faultline({"run", "--", "/bin/cat", "/proc/self/stat"}, d);
  std::istringstream fields(stat.out.substr(stat.out.rfind(')') + 2));
  std::string state;
  pid_t ppid = 0, pgrp = 0;
  fields >> state >> ppid >> pgrp;
  pid_t pid = std::stoi(stat.out);
  EXPECT_EQ(pgrp, pid) << stat.out;

  auto limits = run_faultline({"run", "--memory-limit-mb", "3000", "--file-size-limit-mb", "5", "--", "/bin/cat",
                               "/proc/self/limits"},
                              d);
  EXPECT_TRUE(std::regex_search(limits.out, std::regex("Max core file size +0 +0 ")));
  EXPECT_TRUE(std::regex_search(limits.out, std::regex("Max file size +5242880 +5242880 ")));
  EXPECT_TRUE(std::regex_search(limits.out, std::regex("Max address space +3145728000 +3145728000 ")));
}

TEST(Run, OutputIsCappedAndTheRestDrained) {
  ScratchDir d;
  // 8 MiB of output against a 64 KiB cap: must neither hang nor keep it all.
  auto r = run_faultline({"run", "--output-limit-kb", "64", "--target", "crash_zoo", "--input",
                          zoo_input(d, "print 8388608")},
                         d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), 64u * 1024);
}

TEST(Run, ProgramThatCannotStartIsBadInput) {
  ScratchDir d;
  auto r = run_faultline({"run", "--", "/nonexistent/program"}, d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot execute '/nonexistent/program'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// faultline adds no loader tunable of its own unless a preloaded allocator
// needs the static TLS room beside the audit module, merges with the user's
// GLIBC_TUNABLES when it does, keeps the user's own value of that tunable,
// and says in the report what it added. (An added 4 KiB of static TLS
// surplus costs every thread ~3.5 KB of stack: it changes the depth at which
// a program's recursion runs out.)
TEST(Run, AddsNoLoaderTunableUnlessAPreloadNeedsItAndKeepsTheUsers) {
  ScratchDir d;
  auto run = [&](const std::string& schedule) {
    auto r = run_faultline({"run", "--report", (d / "r.json").string(), "--schedule", schedule, "--", "sh", "-c",
                            "echo \"T=$GLIBC_TUNABLES\""},
                           d);
    return std::pair{r.out, read_report(d / "r.json")["injector"]};
  };
  const std::string added = "glibc.rtld.optional_static_tls=4096";
  unsetenv("GLIBC_TUNABLES");
  auto [plain, plain_injector] = run("");
  EXPECT_NE(plain.find("T=\n"), std::string::npos) << plain;
  EXPECT_FALSE(plain_injector.contains("glibc_tunables_added")) << plain_injector;
  auto [jemalloc, jemalloc_injector] = run("alloc jemalloc");
  EXPECT_NE(jemalloc.find("T=" + added + "\n"), std::string::npos) << jemalloc;
  EXPECT_EQ(jemalloc_injector["glibc_tunables_added"], added) << jemalloc_injector;
  setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
  EXPECT_NE(run("").first.find("T=glibc.malloc.tcache_count=0\n"), std::string::npos);
  EXPECT_NE(run("alloc jemalloc").first.find("T=glibc.malloc.tcache_count=0:" + added + "\n"), std::string::npos);
  setenv("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=8192", 1);
  auto [own, own_injector] = run("alloc jemalloc");
  EXPECT_NE(own.find("T=glibc.rtld.optional_static_tls=8192\n"), std::string::npos) << own;
  EXPECT_FALSE(own_injector.contains("glibc_tunables_added")) << own_injector;
  unsetenv("GLIBC_TUNABLES");
}

// `faultline run ... | head -1` closes faultline's stdout after one line: the
// report must still be written, and the program must still get SIGPIPE at
// its default (faultline ignores it for itself only).
TEST(Run, AClosedStdoutLosesNoReportAndTheProgramKeepsItsSigpipe) {
  ScratchDir d;
  const std::string cmd = shell_quote(std::string(FAULTLINE_BIN_DIR) + "/faultline") + " run --report " +
                          shell_quote((d / "r.json").string()) +
                          " -- sh -c 'grep SigIgn /proc/self/status; sleep 0.3; for i in 1 2 3 4 5; do echo line $i; done' | head -1 > " +
                          shell_quote((d / "first").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string first = read_file(d / "first");
  ASSERT_TRUE(first.starts_with("SigIgn:")) << first;
  const uint64_t ignored = std::stoull(first.substr(first.find_first_not_of(" \t", 7)), nullptr, 16);
  EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << "the program inherited faultline's SIG_IGN for SIGPIPE: " << first;
  ASSERT_TRUE(fs::exists(d / "r.json")) << "the report was lost with the closed stdout";
  EXPECT_EQ(read_report(d / "r.json")["class"], "none");
}

}  // namespace
}  // namespace faultline::test
