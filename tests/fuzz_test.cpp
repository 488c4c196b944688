// faultline fuzz end to end: the real engines on the real fuzzing builds
// (build-fuzz/, build-afl/), their crashes triaged into reproducers.
#include <algorithm>
#include <set>

#include "test_support.h"

namespace faultline::test {
namespace {

// A scratch corpora root holding a copy of one target's seeds.
fs::path corpora_with_seeds(const ScratchDir& d, const std::string& target) {
  const fs::path root = d / "corpora";
  fs::create_directories(root / target);
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora" / target / "seeds", root / target / "seeds");
  return root;
}

// Rows of `faultline fuzz`'s table whose STATUS is `status`.
int count_rows(const std::string& text, const std::string& status) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    n += line.size() > 9 && line[8] == 's' && line.find(" " + status + " ") != std::string::npos;
  return n;
}

int count_lines_with(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(what) != std::string::npos;
  return n;
}

std::vector<std::string> fuzz_args(const ScratchDir& d, const fs::path& corpora, const std::string& engine,
                                   const std::string& target, const std::string& budget) {
  return {"fuzz", "--engine", engine, "--target", target, "--budget", budget, "--corpora", corpora.string(),
          "--work", (d / "work").string()};
}

// raw_parts' sized delete of the wrong size: ASan (in the libFuzzer build)
// reports it on the first input. Many crashing inputs, one bucket, one
// reproducer, which replays; a second run knows it and stores nothing.
TEST(Fuzz, LibFuzzerFindsTheSizedDeleteBugAndStoresOneDedupedReproducer) {
  ScratchDir d;
  const fs::path corpora = corpora_with_seeds(d, "raw_parts");
  auto args = fuzz_args(d, corpora, "libfuzzer", "raw_parts", "3");
  args.insert(args.end(), {"--jobs", "2"});
  auto r = run_faultline(args, d);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(count_rows(r.out, "new"), 1) << r.out;
  EXPECT_GE(count_lines_with(r.out, "heap-corruption"), 2) << "the engine saved one crash only: dedup untested\n" << r.out;
  const auto stored = entries(corpora / "raw_parts" / "regressions");
  ASSERT_EQ(stored.size(), 1u) << r.out;
  EXPECT_EQ(stored[0].filename().string().rfind("heap-corruption-", 0), 0u);
  auto repro = nlohmann::json::parse(read_file(stored[0] / "repro.json"));
  EXPECT_EQ(repro["engine"], "libfuzzer");
  EXPECT_EQ(repro["target"], "raw_parts");
  EXPECT_EQ(repro["expected"]["class"], "heap-corruption");
  EXPECT_EQ(repro["environment"]["allocator"], "asan");
  // Minimized by libFuzzer: the bug needs one byte (the claimed record count).
  EXPECT_LE(fs::file_size(stored[0] / "input"), 2u);

  auto replayed = run_faultline({"replay", "--trust-argv", stored[0].string(), "--times", "2"}, d);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
  EXPECT_NE(replayed.out.find("2/2 reproduced"), std::string::npos) << replayed.out;

  auto again = run_faultline(fuzz_args(d, corpora, "libfuzzer", "raw_parts", "2"), d);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_GE(count_rows(again.out, "known"), 1) << again.out;
  EXPECT_EQ(entries(corpora / "raw_parts" / "regressions").size(), 1u);
}

// nested_parser under a 160 KiB main stack (the ASan build's seeds need
// 130-190 KiB): the deeper inputs hit the guard gap. The bucket is the
// recursion cycle, whatever frame the guard gap happened to hit.
TEST(Fuzz, LibFuzzerUnderAStackScheduleFindsStackExhaustionAndMergesItsCorpus) {
  ScratchDir d;
  const fs::path corpora = corpora_with_seeds(d, "nested_parser");
  auto args = fuzz_args(d, corpora, "libfuzzer", "nested_parser", "4");
  // `timers off` is not needed for the crash: minimizing drops it from the stored schedule.
  args.insert(args.end(), {"--schedule", "stack main=160K ; timers off", "--minimize-time", "2"});
  auto r = run_faultline(args, d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_GE(count_rows(r.out, "new"), 1) << r.out;
  for (const auto& s : entries(corpora / "nested_parser/regressions")) {
    auto repro = nlohmann::json::parse(read_file(s / "repro.json"));
    EXPECT_EQ(repro["expected"]["class"], "stack-exhaustion");
    EXPECT_EQ(repro["schedule"], "stack main=160K");
  }
  // The merge keeps only inputs that add coverage: fewer than the engine's queue.
  const size_t kept = entries(corpora / "nested_parser/corpus").size();
  const size_t queued = entries(d / "work/nested_parser-libfuzzer/queue").size();
  EXPECT_GT(kept, 0u);
  EXPECT_LE(kept, queued);
}

// AFL++ on the crash zoo: its seeds and the dictionary's kinds crash at once.
// Every bucket is stored once, however many inputs AFL++ saved for it.
TEST(Fuzz, AflTriagesEveryCrashAndStoresEachBucketOnce) {
  ScratchDir d;
  const fs::path corpora = corpora_with_seeds(d, "crash_zoo");
  auto args = fuzz_args(d, corpora, "afl", "crash_zoo", "3");
  args.insert(args.end(), {"--jobs", "2", "--no-minimize"});
  auto r = run_faultline(args, d);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto stored = entries(corpora / "crash_zoo" / "regressions");
  ASSERT_FALSE(stored.empty()) << r.out;
  EXPECT_EQ(static_cast<int>(stored.size()), count_rows(r.out, "new")) << r.out;
  EXPECT_GT(count_rows(r.out, "duplicate"), 0) << r.out;
  std::set<std::string> classes;
  for (const auto& s : stored) classes.insert(nlohmann::json::parse(read_file(s / "repro.json"))["expected"]["class"]);
  EXPECT_TRUE(classes.count("null-dereference")) << r.out;
  EXPECT_TRUE(classes.count("stack-exhaustion")) << r.out;
  auto replayed = run_faultline({"replay", "--trust-argv", stored[0].string()}, d);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
}

// Two inputs crash through different callers below the three hashed frames:
// one bucket, and `fuzz` says it holds another stack ("similar"). The fuzzer
// has no sanitizer, so libFuzzer's handler catches the SIGSEGV and exits 1:
// still the crash, by its DEADLYSIGNAL report.
TEST(Fuzz, ABucketReachedThroughTwoCallersShowsASimilarStack) {
  ScratchDir d;
  const std::string fuzzer = (d / "two_callers").string();
  const std::string build = "clang-14 -g -gdwarf-4 -O0 -fno-optimize-sibling-calls -fsanitize=fuzzer " +
                            shell_quote(std::string(FAULTLINE_SOURCE_DIR) + "/tests/programs/two_callers_fuzzer.c") +
                            " -o " + shell_quote(fuzzer);
  ASSERT_EQ(std::system(build.c_str()), 0) << build;
  const fs::path seeds = d / "corpora" / "two_callers" / "seeds";
  fs::create_directories(seeds);
  write_file(seeds / "a", "CA");
  write_file(seeds / "b", "CB");
  write_file(seeds / "c", "xx");
  auto one = run_faultline({"run", "--report", (d / "r.json").string(), "--", fuzzer, (seeds / "b").string()}, d);
  EXPECT_EQ(one.exit_code, 1) << one.err;
  EXPECT_EQ(read_report(d / "r.json")["class"], "null-dereference");
  auto r = run_faultline({"fuzz", "--engine", "libfuzzer", "--fuzzer", fuzzer, "--budget", "3", "--corpora",
                          (d / "corpora").string(), "--work", (d / "work").string(), "--no-minimize"},
                         d);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(count_rows(r.out, "new"), 1) << r.out;
  EXPECT_GE(count_lines_with(r.out, "null-dereference"), 2) << r.out;
  // STATUS then SIMILAR: every row of the one bucket says 1.
  EXPECT_NE(r.out.find(" new                   1 "), std::string::npos) << r.out;
  EXPECT_EQ(entries(d / "corpora" / "two_callers" / "regressions").size(), 1u) << r.out;
}

// An engine build that runs nothing (here a stand-in that fails at once) is
// an error, exit 2, naming the engine's log; not "0 new buckets".
TEST(Fuzz, AnEngineThatRunsNothingIsAnError) {
  ScratchDir d;
  const fs::path corpora = corpora_with_seeds(d, "raw_parts");
  const fs::path fake = d / "fuzz-raw_parts";
  write_file(fake, "#!/bin/sh\necho 'ERROR: cannot map shadow memory' >&2\nexit 1\n");
  fs::permissions(fake, fs::perms::owner_all);
  auto r = run_faultline({"fuzz", "--engine", "libfuzzer", "--fuzzer", fake.string(), "--name", "raw_parts", "--budget", "2",
                          "--corpora", corpora.string(), "--work", (d / "work").string()},
                         d);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("libfuzzer ran nothing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot map shadow memory"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Fuzz, MissingBuildOrBadArgumentsAreOneLineErrors) {
  ScratchDir d;
  const fs::path corpora = corpora_with_seeds(d, "raw_parts");
  auto engine = run_faultline({"fuzz", "--engine", "honggfuzz", "--target", "raw_parts"}, d);
  EXPECT_EQ(engine.exit_code, 2);
  EXPECT_NE(engine.err.find("libfuzzer|afl"), std::string::npos) << engine.err;
  auto target = run_faultline(fuzz_args(d, corpora, "libfuzzer", "no_such_target", "1"), d);
  EXPECT_EQ(target.exit_code, 2);
  EXPECT_NE(target.err.find("declares no target 'no_such_target'"), std::string::npos) << target.err;
  EXPECT_EQ(std::count(target.err.begin(), target.err.end(), '\n'), 1) << target.err;
  auto jobs = run_faultline({"fuzz", "--engine", "afl", "--target", "raw_parts", "--jobs", "0"}, d);
  EXPECT_EQ(jobs.exit_code, 2);
  for (const char* budget : {"inf", "nan", "-1", "1e12"}) {
    auto b = run_faultline({"fuzz", "--engine", "afl", "--target", "raw_parts", "--budget", budget}, d);
    EXPECT_EQ(b.exit_code, 2) << budget;
    EXPECT_NE(b.err.find("--budget"), std::string::npos) << budget << ": " << b.err;
  }
  auto escape = run_faultline({"fuzz", "--engine", "libfuzzer", "--fuzzer", "/bin/true", "--name", "../../etc"}, d);
  EXPECT_EQ(escape.exit_code, 2);
  EXPECT_NE(escape.err.find("--name must match"), std::string::npos) << escape.err;
  auto no_build = run_faultline({"fuzz", "--engine", "afl", "--target", "nested_parser-main"}, d);
  EXPECT_EQ(no_build.exit_code, 2);
  EXPECT_NE(no_build.err.find("'nested_parser-main' has no afl binary"), std::string::npos) << no_build.err;
}

}  // namespace
}  // namespace faultline::test
