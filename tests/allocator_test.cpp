// Allocator-dependent heap corruption: the raw_parts target (sized delete with
// the wrong size) under every allocator, the heap-size-mismatch sentinel, the
// `alloc` table, and static allocators that no swap can reach.
#include <regex>

#include "test_support.h"

namespace faultline::test {
namespace {

const std::vector<std::string> kAllocators = {"glibc", "jemalloc", "tcmalloc", "mimalloc"};

std::string raw_parts() { return std::string(FAULTLINE_BIN_DIR) + "/target-raw_parts"; }

std::string raw_input(const ScratchDir& d, uint8_t claimed, bool aligned) {
  const auto p = d / ("raw-" + std::to_string(claimed) + (aligned ? "-aligned" : ""));
  write_file(p, std::string{static_cast<char>(claimed), static_cast<char>(aligned ? 1 : 0)} + "payload");
  return p.string();
}

nlohmann::json run_report(const ScratchDir& d, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"run", "-q", "--timeout", "5", "--report", (d / "r.json").string()};
  all.insert(all.end(), args.begin(), args.end());
  run_faultline(all, d);
  return read_report(d / "r.json");
}

TEST(HeapSizeMismatch, SizedDeleteWithTheClaimedSizeIsCaughtAtTheDelete) {
  ScratchDir d;
  auto rep = run_report(d, {"--schedule", "alloc glibc", "--", raw_parts(), raw_input(d, 80, false)});
  EXPECT_EQ(rep["class"], "heap-size-mismatch");
  EXPECT_EQ(rep["findings"][0]["detail"], "sized delete or free of 44800 bytes on a block of 568 usable bytes");
  EXPECT_EQ(rep["exit"]["code"], 0) << "glibc ignores the size: the program itself survives";
  for (const auto& f : rep["frames"])
    if (f["in_hash"]) {
      EXPECT_EQ(f["function"], "raw_parts_release");
      break;
    }
}

TEST(HeapSizeMismatch, C23FreeSizedIsCheckedToo) {
  ScratchDir d;
  // glibc 2.36 has no free_sized; under the injector the program finds ours.
  auto rep = run_report(d, {"--target", "crash_zoo", "--input", zoo_input(d, "free-sized")});
  EXPECT_EQ(rep["class"], "heap-size-mismatch") << rep["findings"];
}

TEST(HeapSizeMismatch, AlignedDeleteIsCheckedToo) {
  ScratchDir d;
  auto rep = run_report(d, {"--", raw_parts(), raw_input(d, 4, true)});
  EXPECT_EQ(rep["class"], "heap-size-mismatch");
}

TEST(HeapSizeMismatch, FixedVariantIsCleanUnderEveryAllocator) {
  ScratchDir d;
  for (const auto& a : kAllocators) {
    for (bool aligned : {false, true}) {
      auto rep = run_report(d, {"--schedule", "alloc " + a, "--", raw_parts(), "--fixed", raw_input(d, 80, aligned)});
      EXPECT_EQ(rep["class"], "none") << a << (aligned ? " aligned" : "") << ": " << rep["findings"];
    }
  }
}

TEST(AllocCommand, SameReproducerDiffersByAllocator) {
  ScratchDir d;
  auto run = run_faultline({"run", "-q", "--out", (d / "out").string(), "--target", "raw_parts", "--input",
                            raw_input(d, 80, false)},
                           d);
  ASSERT_EQ(run.exit_code, 1) << run.err;
  fs::path repro;
  for (const auto& e : fs::directory_iterator(d / "out")) repro = e.path();
  auto table = run_faultline({"alloc", "--trust-argv", repro.string()}, d);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  std::map<std::string, std::string> outcome, sentinels;
  std::istringstream lines(table.out);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream cols(line);
    std::string name, out, sent;
    cols >> name >> out >> sent;
    outcome[name] = out;
    sentinels[name] = sent;
  }
  EXPECT_EQ(outcome["glibc"], "none") << table.out;
  EXPECT_TRUE(outcome["jemalloc"] == "heap-corruption" || outcome["jemalloc"] == "timeout") << table.out;
  for (const auto& a : kAllocators) EXPECT_EQ(sentinels[a], "heap-size-mismatch") << a << "\n" << table.out;
}

TEST(AllocCommand, StaticallyLinkedAllocatorCannotBeSwapped) {
  ScratchDir d;
  const std::string static_binary = std::string(FAULTLINE_BIN_DIR) + "/target-static_profiler";
  auto run = run_faultline({"run", "-q", "--out", (d / "out").string(), "--schedule",
                            "malloc-signal sig=SIGPROF call=200 insn=5 ptrace", "--", static_binary, "quiet"},
                           d);
  ASSERT_EQ(run.exit_code, 1) << run.err;
  fs::path repro;
  for (const auto& e : fs::directory_iterator(d / "out")) repro = e.path();
  auto table = run_faultline({"alloc", "--trust-argv", repro.string()}, d);
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("swap impossible"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("defines calloc, free, malloc, realloc itself"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("built-in"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("jemalloc "), std::string::npos) << "no pretend swap rows";
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

std::string pool() { return std::string(FAULTLINE_BIN_DIR) + "/target-pool_double_free"; }

// The worker marks its job done, then logs (its first allocator call), then
// checks whether the submitter gave up. Pausing it in that malloc past the
// submitter's 5 ms timeout lets the submitter give up and free the job first;
// the worker then frees it again. Every time, not once in a million. Nobody
// hands the test that window: explore --injector interleave finds it.
std::string found_window(const ScratchDir& d) {
  auto r = run_faultline({"explore", "--injector", "interleave", "--max-runs", "40", "--out", (d / "window").string(), "--",
                          pool()},
                         d);
  for (const auto& e : fs::directory_iterator(d / "window")) {
    const std::string schedule = read_report(e.path() / "repro.json")["schedule"];
    return schedule.substr(0, schedule.find(" ; quarantine"));
  }
  ADD_FAILURE() << "the search found no window: " << r.out;
  return "delay thread=1 call=1 us=20000";
}

TEST(DoubleFree, DelayMakesTheRareInterleavingHappenAndTheQuarantineCatchesIt) {
  ScratchDir d;
  const std::string kWindow = found_window(d);
  auto caught = run_report(d, {"--schedule", kWindow + " ; quarantine=64", "--", pool()});
  EXPECT_EQ(caught["class"], "double-free");
  EXPECT_EQ(caught["injector"]["delays"], 1);
  EXPECT_NE(caught["findings"][0]["detail"].get<std::string>().find("still in quarantine"), std::string::npos);
  EXPECT_EQ(caught["findings"][0]["thread"], 1) << "the worker frees second";
  EXPECT_TRUE(caught["stack_hash"].is_string());
  for (const auto& a : kAllocators) {
    auto on = run_report(d, {"--schedule", kWindow + " ; quarantine=64 ; alloc " + a, "--", pool()});
    EXPECT_EQ(on["class"], "double-free") << a;
  }
  // Without the window there is no double free, and the quarantine stays quiet.
  EXPECT_EQ(run_report(d, {"--schedule", "quarantine=64", "--", pool()})["class"], "none");
  // Without the quarantine it is silent: glibc's tcache check looks only in the freeing thread's cache.
  EXPECT_EQ(run_report(d, {"--schedule", kWindow, "--", pool()})["class"], "none");
}

TEST(DoubleFree, FixedPoolIsCleanUnderEveryAllocator) {
  ScratchDir d;
  const std::string kWindow = found_window(d);
  for (const auto& a : kAllocators) {
    auto rep = run_report(d, {"--schedule", kWindow + " ; quarantine=64 ; alloc " + a, "--", pool(), "--fixed"});
    EXPECT_EQ(rep["class"], "none") << a << ": " << rep["findings"];
  }
}

TEST(UseAfterFree, AWriteToAQuarantinedBlockIsCaught) {
  ScratchDir d;
  auto caught = run_report(d, {"--schedule", "quarantine=16", "--target", "crash_zoo", "--input",
                               zoo_input(d, "use-after-free")});
  EXPECT_EQ(caught["class"], "use-after-free");
  EXPECT_NE(caught["findings"][0]["detail"].get<std::string>().find("written after it was freed"), std::string::npos);
  auto silent = run_report(d, {"--target", "crash_zoo", "--input", zoo_input(d, "use-after-free")});
  EXPECT_EQ(silent["class"], "none");
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// explore --injector interleave finds the window nobody pointed it at: the
// census counts each thread's allocator calls, then one thread at a time is
// held at one call (long holds first), with the quarantine on.
TEST(Interleave, FindsThePoolDoubleFreeWithoutBeingToldWhereAndItReplays) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--injector", "interleave", "--max-runs", "40", "--out", (d / "out").string(), "--",
                          pool()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("-> double-free"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("thread 1 passes"), std::string::npos) << "the census did not count the worker: " << r.out;
  const auto repros = entries(d / "out");
  ASSERT_EQ(repros.size(), 1u) << r.out;
  const auto repro = read_report(repros[0] / "repro.json");
  EXPECT_TRUE(repro["schedule"].get<std::string>().starts_with("delay thread=1 ")) << repro;
  auto replay = run_faultline({"replay", "--trust-argv", repros[0].string(), "--times", "10"}, d);
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("10/10 reproduced"), std::string::npos) << replay.out;
  // The hold is named where the program made the call: the worker's logging malloc.
  EXPECT_NE(r.out.find("thread 1 held 20000 us at its 1st allocator call (malloc) in pool_worker_finish (pool.c:"),
            std::string::npos)
      << r.out;
  auto m = run_faultline({"minimize", "--trust-argv", repros[0].string()}, d);
  EXPECT_NE(m.out.find("the delay that matters: thread 1 held 20000 us at its 1st allocator call (malloc) in "
                       "pool_worker_finish"),
            std::string::npos)
      << m.out;
  // ... and what the hold let the other side do: the submitter (main thread) freed the job first.
  EXPECT_NE(m.out.find("what it lets happen: double-free - free of 0x"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("already freed by the main thread and still in quarantine"), std::string::npos) << m.out;
}

TEST(Interleave, FixedPoolIsCleanOverTheSameBudgetAndOptionsOfTheOtherInjectorAreRefused) {
  ScratchDir d;
  auto r = run_faultline({"explore", "--injector", "interleave", "--max-runs", "40", "--out", (d / "out").string(), "--",
                          pool(), "--fixed"},
                         d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("40 runs, 39 delays and 0 pct schedules tried, 0 findings"), std::string::npos) << r.out;
  auto in = run_faultline({"explore", "--injector", "interleave", "--in", "syslog", "--", pool()}, d);
  EXPECT_EQ(in.exit_code, 2);
  EXPECT_NE(in.err.find("--in is for --injector malloc-signal"), std::string::npos) << in.err;
  auto unknown = run_faultline({"explore", "--injector", "warp", "--", pool()}, d);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("explore knows malloc-signal and interleave"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

std::string bank() { return std::string(FAULTLINE_BIN_DIR) + "/target-check_then_act"; }

// A race with no allocation near it: a check and an act in two critical
// sections. Held at a sync point (its pthread_mutex_lock/_unlock calls), one
// teller lets the other debit between its check and its act.
TEST(Interleave, FindsACheckThenActRaceThroughTheSyncPoints) {
  ScratchDir d;
  int plain = 0;
  for (int i = 0; i < 20; i++) plain += run_report(d, {"--", bank()})["class"] != "none";
  EXPECT_LE(plain, 2) << "the race shows without faultline: the test would not show the search finds it";
  auto r = run_faultline({"explore", "--injector", "interleave", "--max-runs", "40", "--out", (d / "out").string(), "--",
                          bank()},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(" sync="), std::string::npos) << "found at an allocator call, not a sync point: " << r.out;
  EXPECT_NE(r.out.find("-> abort"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("thread 1 passes 0 allocator calls and 4 sync points"), std::string::npos) << r.out;
  const auto repros = entries(d / "out");
  ASSERT_EQ(repros.size(), 1u) << r.out;
  // The hold makes the interleaving; on a loaded machine the kernel may still
  // keep the other teller off the CPU for the whole hold, once in a while.
  auto replay = run_faultline({"replay", "--trust-argv", repros[0].string(), "--times", "10"}, d);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(replay.out, m, std::regex("([0-9]+)/10 reproduced"))) << replay.out;
  EXPECT_GE(std::stoi(m[1]), 9) << replay.out;
  auto fixed = run_faultline({"explore", "--injector", "interleave", "--max-runs", "40", "--out", (d / "fixed").string(),
                              "--", bank(), "--fixed"},
                             d);
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
}

}  // namespace
}  // namespace faultline::test
