// --core end to end: a real multi-threaded program crashes under faultline,
// and Debian's gdb opens the core faultline wrote (threads, bt, locals).
#include <cstdio>
#include <regex>

#include "process/core_file.h"
#include "store/corpus.h"
#include "test_support.h"

namespace faultline::test {
namespace {

std::string program(const std::string& name) { return std::string(FAULTLINE_BIN_DIR) + "/" + name; }

// gdb in batch mode on PROGRAM CORE, each command in turn; its output and errors.
std::string gdb(const std::string& prog, const fs::path& core, const std::vector<std::string>& commands) {
  std::string cmd = "gdb -nx -batch -iex 'set debuginfod enabled off'";
  for (const auto& c : commands) cmd += " -ex " + shell_quote(c);
  cmd += " " + shell_quote(prog) + " " + shell_quote(core.string()) + " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    pclose(p);
  }
  return out;
}

int count_matches(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

bool no_temporaries(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().rfind(".incoming-", 0) == 0) return false;
  return true;
}

// repro.json names only the file beside it: a reproducer from a pull request
// cannot point faultline (or its user's gdb) at another path.
TEST(CoreUnit, ReproJsonNamesOnlyTheCoreBesideIt) {
  const std::string base = R"({"faultline_repro": 1, "argv": ["/bin/x"], "schedule": "",
                                "expected": {"class": "abort", "stack_hash": ""})";
  auto none = parse_reproducer_json(base + "}");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->core, "");
  EXPECT_FALSE(reproducer_to_json(none.value()).contains("core"));
  auto kept = parse_reproducer_json(base + R"(, "core": "core"})");
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(reproducer_to_json(kept.value())["core"], "core");
  for (const char* bad : {R"("../core")", R"("/etc/passwd")", R"(true)"}) {
    auto r = parse_reproducer_json(base + ", \"core\": " + bad + "}");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("field 'core'"), std::string::npos) << r.error().message;
  }
}

// keep_core moves the temporary file in with one rename and rewrites
// repro.json to name it; a bucket's core is replaced only when asked.
TEST(CoreUnit, KeepCoreRenamesItInAndTheReproducerNamesIt) {
  ScratchDir d;
  Reproducer r;
  r.argv = {"/bin/x"};
  r.expected_class = CrashClass::Abort;
  auto stored = store_reproducer(d / "out", r, std::nullopt);
  ASSERT_TRUE(stored) << stored.error().message;
  auto temporary = [&](const std::string& bytes) {
    const fs::path path = d / "out" / (".incoming-core-" + bytes);
    write_file(path, bytes);
    return path;
  };
  {
    CoreFile first;
    first.path = temporary("first");
    auto kept = keep_core(first, stored->dir, false);
    ASSERT_TRUE(kept) << kept.error().message;
    EXPECT_TRUE(first.kept);
    EXPECT_EQ(*kept, stored->dir / "core");
  }
  EXPECT_EQ(read_file(stored->dir / "core"), "first");
  EXPECT_EQ(load_reproducer(stored->dir)->core, "core");
  {
    CoreFile second;
    second.path = temporary("second");
    ASSERT_TRUE(keep_core(second, stored->dir, false));
    EXPECT_FALSE(second.kept);
  }  // not kept: removed with the last reference
  EXPECT_EQ(read_file(stored->dir / "core"), "first");
  EXPECT_FALSE(fs::exists(d / "out" / ".incoming-core-second"));
  CoreFile third;
  third.path = temporary("third");
  ASSERT_TRUE(keep_core(third, stored->dir, true));
  EXPECT_EQ(read_file(stored->dir / "core"), "third");
}

TEST(Core, RunKeepsACoreGdbOpensWithEveryThreadTheCrashingFrameAndItsLocals) {
  ScratchDir d;
  auto r = run_faultline({"run", "-q", "--core", "--out", (d / "out").string(), "--report", (d / "r.json").string(), "--",
                          program("test-core_threads")},
                         d);
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const auto report = read_report(d / "r.json");
  ASSERT_TRUE(report.contains("core") && report["core"].contains("path")) << report.dump(2);
  const fs::path core = report["core"]["path"].get<std::string>();
  EXPECT_EQ(core.filename(), "core");
  EXPECT_EQ(core.parent_path().parent_path(), d / "out") << "the core lies in the reproducer directory, under --out";
  EXPECT_EQ(report["core"]["threads"], 4);
  EXPECT_TRUE(report["core"]["left_out"].empty());
  EXPECT_EQ(nlohmann::json::parse(read_file(core.parent_path() / "repro.json"))["core"], "core");
  EXPECT_NE(r.err.find("faultline: core " + core.string()), std::string::npos) << r.err;
  EXPECT_TRUE(no_temporaries(d / "out"));

  const std::string out = gdb(program("test-core_threads"), core, {"bt", "info threads", "print doubled", "print answer"});
  EXPECT_NE(out.find("Program terminated with signal SIGSEGV"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(#0 +(0x[0-9a-f]+ in )?core_crash_here \(where=0x0, answer=42\) at .*core_threads\.c:\d+)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(#1 +0x[0-9a-f]+ in main )"))) << out;
  // The crashing thread first and current, then the three parked ones.
  EXPECT_EQ(count_matches(out, R"(\n[ *] +\d+ +(Thread 0x[0-9a-f]+ \(LWP \d+\)|LWP \d+) )"), 4) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(\* 1 +.*core_crash_here)"))) << out;
  EXPECT_EQ(count_matches(out, R"(LWP \d+\) +0x[0-9a-f]+ in (__libc_)?pause )"), 3) << out;
  EXPECT_NE(out.find("$1 = 84"), std::string::npos) << out;
  EXPECT_NE(out.find("$2 = 42"), std::string::npos) << out;
}

TEST(Core, TheSizeLimitLeavesTheLargestMappingOutAndKeepsTheStacks) {
  ScratchDir d;
  auto r = run_faultline({"run", "-q", "--core", "--core-limit-mb", "8", "--out", (d / "out").string(), "--report",
                          (d / "r.json").string(), "--", program("test-core_threads"), "64"},
                         d);
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const auto report = read_report(d / "r.json");
  ASSERT_TRUE(report["core"].contains("path")) << report.dump(2);
  const fs::path core = report["core"]["path"].get<std::string>();
  EXPECT_LE(fs::file_size(core), 8u << 20);
  EXPECT_EQ(report["core"]["bytes"], fs::file_size(core));
  ASSERT_FALSE(report["core"]["left_out"].empty()) << report.dump(2);
  // The 64 MiB block (with malloc's header page), the largest mapping, goes first.
  std::smatch size;
  const std::string largest = report["core"]["left_out"][0];
  ASSERT_TRUE(std::regex_search(largest, size, std::regex(R"(rw-p anonymous \((\d+) MiB\)$)"))) << largest;
  EXPECT_GE(std::stoi(size[1]), 64) << largest;
  EXPECT_NE(r.err.find("left out for the size limit"), std::string::npos) << r.err;
  const std::string out = gdb(program("test-core_threads"), core, {"bt", "print doubled"});
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(#0 +(0x[0-9a-f]+ in )?core_crash_here \(where=0x0, answer=42\))"))) << out;
  EXPECT_NE(out.find("$1 = 84"), std::string::npos) << out;
}

TEST(Core, ReplayReplacesTheReproducersCoreWithOneOfTheReplayedCrash) {
  ScratchDir d;
  auto run = run_faultline({"run", "-q", "--out", (d / "out").string(), "--", program("test-core_threads")}, d);
  ASSERT_EQ(run.exit_code, 1) << run.err;
  const auto repros = entries(d / "out");
  ASSERT_EQ(repros.size(), 1u);
  EXPECT_FALSE(nlohmann::json::parse(read_file(repros[0] / "repro.json")).contains("core"));
  write_file(repros[0] / "core", "an older core");
  auto replay = run_faultline({"replay", "--trust-argv", "--core", repros[0].string(), "--times", "2"}, d);
  ASSERT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("core " + (repros[0] / "core").string()), std::string::npos) << replay.out;
  EXPECT_EQ(read_file(repros[0] / "core").substr(0, 4), "\x7f" "ELF");
  EXPECT_EQ(nlohmann::json::parse(read_file(repros[0] / "repro.json"))["core"], "core");
  EXPECT_TRUE(no_temporaries(d / "out"));
  const std::string out = gdb(program("test-core_threads"), repros[0] / "core", {"bt"});
  EXPECT_NE(out.find("core_crash_here"), std::string::npos) << out;
  // The reproducer still replays, core and all.
  auto again = run_faultline({"replay", "--trust-argv", repros[0].string()}, d);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

TEST(Core, ACrashOfAnExistingBucketKeepsItsFirstCore) {
  ScratchDir d;
  const std::vector<std::string> args = {"run", "-q", "--core", "--out", (d / "out").string(), "--", program("test-core_threads")};
  ASSERT_EQ(run_faultline(args, d).exit_code, 1);
  const auto repros = entries(d / "out");
  ASSERT_EQ(repros.size(), 1u);
  const auto first = fs::last_write_time(repros[0] / "core");
  auto again = run_faultline(args, d);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no core: the reproducer already keeps one"), std::string::npos) << again.err;
  EXPECT_EQ(fs::last_write_time(repros[0] / "core"), first);
  EXPECT_TRUE(no_temporaries(d / "out"));
}

// explore's reproducers keep the core of the finding's own run: the pool's
// double free, which glibc then aborts on.
TEST(Core, ExploreKeepsTheCoreOfItsFindingWithTheReproducer) {
  ScratchDir d;
  const std::string pool = program("target-pool_double_free");
  auto r = run_faultline({"explore", "--injector", "interleave", "--max-runs", "30", "--core", "--out", (d / "out").string(),
                          "--", pool},
                         d);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto repros = entries(d / "out");
  ASSERT_EQ(repros.size(), 1u) << r.out;
  ASSERT_TRUE(fs::exists(repros[0] / "core")) << r.out;
  EXPECT_NE(r.out.find("  core " + (repros[0] / "core").string()), std::string::npos) << r.out;
  EXPECT_EQ(nlohmann::json::parse(read_file(repros[0] / "repro.json"))["core"], "core");
  EXPECT_TRUE(no_temporaries(d / "out"));
  const std::string out = gdb(pool, repros[0] / "core", {"bt"});
  EXPECT_NE(out.find("Program terminated with signal SIGABRT"), std::string::npos) << out;
  EXPECT_NE(out.find("pool_worker"), std::string::npos) << out;
}

// fuzz runs each new bucket's stored reproducer once more for its core.
TEST(Core, FuzzKeepsACoreWithEachNewBucket) {
  ScratchDir d;
  const fs::path corpora = d / "corpora";
  fs::create_directories(corpora / "crash_zoo");
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora/crash_zoo/seeds", corpora / "crash_zoo/seeds");
  auto r = run_faultline({"fuzz", "--engine", "afl", "--target", "crash_zoo", "--budget", "2", "--no-minimize", "--core",
                          "--corpora", corpora.string(), "--work", (d / "work").string()},
                         d);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  fs::path null_bucket;
  for (const auto& s : entries(corpora / "crash_zoo/regressions")) {
    EXPECT_TRUE(fs::exists(s / "core")) << s << "\n" << r.out;
    if (s.filename().string().rfind("null-dereference-", 0) == 0) null_bucket = s;
  }
  ASSERT_FALSE(null_bucket.empty()) << r.out;
  EXPECT_NE(r.out.find(null_bucket.filename().string() + ": core "), std::string::npos) << r.out;
  const std::string binary = nlohmann::json::parse(read_file(null_bucket / "repro.json"))["argv"][0];
  const std::string out = gdb(binary, null_bucket / "core", {"bt"});
  EXPECT_NE(out.find("zoo_null_dereference"), std::string::npos) << out;
  EXPECT_TRUE(no_temporaries(corpora));
}

TEST(Core, NoCoreWithoutOutOrWithABadLimit) {
  ScratchDir d;
  auto r = run_faultline({"run", "--core", "--", program("test-core_threads")}, d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("--core needs --out"), std::string::npos) << r.err;
  auto limit = run_faultline({"run", "--core", "--core-limit-mb", "0", "--out", (d / "out").string(), "--",
                              program("test-core_threads")},
                             d);
  EXPECT_EQ(limit.exit_code, 2);
  EXPECT_NE(limit.err.find("--core-limit-mb"), std::string::npos) << limit.err;
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(Core, ARunThatDoesNotDieOfASignalSaysWhyThereIsNoCore) {
  ScratchDir d;
  // A clean run writes no core and stores nothing; a timeout is a finding without a fatal signal.
  auto clean = run_faultline({"run", "-q", "--core", "--out", (d / "out").string(), "--", "/bin/true"}, d);
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_TRUE(entries(d / "out").empty() || no_temporaries(d / "out"));
  // A program that does not die of its own signal: /bin/sh's child exits by SIGSEGV, not the program.
  auto child = run_faultline({"run", "-q", "--core", "--out", (d / "out").string(), "--report", (d / "c.json").string(),
                              "--", "sh", "-c", program("test-core_threads") + "; exit 3"},
                             d);
  EXPECT_EQ(child.exit_code, 1) << child.err;
  EXPECT_NE(child.err.find("no core: the program's own process did not die of a crash signal"), std::string::npos) << child.err;
  EXPECT_TRUE(read_report(d / "c.json")["core"].contains("error"));
  EXPECT_TRUE(no_temporaries(d / "out"));
}

// A timeout is faultline's own fatal signal: the core holds every thread as
// the hang snapshot stopped them, before the kill.
TEST(Core, ATimeoutsCoreHoldsEveryThreadWhereItHung) {
  ScratchDir d;
  auto r = run_faultline({"run", "-q", "--core", "--timeout", "0.5", "--out", (d / "out").string(), "--report",
                          (d / "t.json").string(), "--", program("test-sleepers")},
                         d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto report = read_report(d / "t.json");
  ASSERT_TRUE(report["core"].contains("path")) << report.dump(2);
  EXPECT_EQ(report["core"]["threads"], 2);
  const std::string out = gdb(program("test-sleepers"), report["core"]["path"].get<std::string>(), {"thread apply all bt"});
  EXPECT_NE(out.find("Program terminated with signal SIGKILL"), std::string::npos) << out;
  EXPECT_EQ(count_matches(out, R"(in sleep_forever \()"), 2) << out;
  EXPECT_TRUE(no_temporaries(d / "out"));
}

}  // namespace
}  // namespace faultline::test
