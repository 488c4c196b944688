// Reproducers: stored atomically by `run --out`, replayed N/N, and bad ones
// refused with a one-line error that names the file.
#include "test_support.h"

namespace faultline::test {
namespace {

fs::path only_reproducer(const fs::path& out) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(out)) dirs.push_back(e.path());
  EXPECT_EQ(dirs.size(), 1u);
  return dirs.empty() ? fs::path() : dirs[0];
}

fs::path capture(const ScratchDir& d, const std::string& input, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"run", "-q", "--out", (d / "repros").string(), "--target", "crash_zoo", "--input",
                                   zoo_input(d, input)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_faultline(args, d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  return only_reproducer(d / "repros");
}

TEST(Reproducer, StoredByClassAndHashAndReplaysNOfN) {
  ScratchDir d;
  fs::path repro = capture(d, "null");
  EXPECT_TRUE(repro.filename().string().starts_with("null-dereference-")) << repro;
  EXPECT_TRUE(fs::exists(repro / "repro.json"));
  EXPECT_EQ(read_file(repro / "input"), "null\n");
  auto j = read_report(repro / "repro.json");
  EXPECT_EQ(j["target"], "crash_zoo");
  EXPECT_EQ(j["expected"]["class"], "null-dereference");
  EXPECT_EQ(repro.filename().string(), "null-dereference-" + j["expected"]["stack_hash"].get<std::string>());
  EXPECT_TRUE(j["environment"]["libc"].get<std::string>().starts_with("glibc "));

  auto r = run_faultline({"replay", "--trust-argv", repro.string(), "--times", "5"}, d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("5/5 reproduced"), std::string::npos) << r.out;
}

TEST(Reproducer, StackExhaustionWithItsScheduleReplays) {
  ScratchDir d;
  fs::path repro = capture(d, "stack-thread", {"--schedule", "stack main=256K"});
  EXPECT_EQ(read_report(repro / "repro.json")["schedule"], "stack main=256K");
  auto r = run_faultline({"replay", "--trust-argv", repro.string(), "--times", "3"}, d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3/3 reproduced"), std::string::npos) << r.out;
}

TEST(Reproducer, SameBucketIsStoredOnceAndNoTemporariesRemain) {
  ScratchDir d;
  fs::path first = capture(d, "abort");
  auto again = run_faultline({"run", "-q", "--out", (d / "repros").string(), "--target", "crash_zoo", "--input",
                              zoo_input(d, "abort")},
                             d);
  EXPECT_NE(again.err.find("already stored"), std::string::npos) << again.err;
  EXPECT_EQ(only_reproducer(d / "repros"), first);
  for (const auto& e : fs::directory_iterator(first)) EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
}

TEST(Reproducer, MismatchIsReportedWithTheRate) {
  ScratchDir d;
  fs::path repro = capture(d, "null");
  auto j = read_report(repro / "repro.json");
  j["expected"]["stack_hash"] = "0000000000000000";
  write_file(repro / "repro.json", j.dump());
  auto r = run_faultline({"replay", "--trust-argv", repro.string(), "--times", "2"}, d);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("0/2 reproduced"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("run 1: got null-dereference"), std::string::npos) << r.out;
}

// A replay that does not match says how the run ended and what the program
// said, not only the class it got.
TEST(Reproducer, AMismatchSaysHowTheRunEndedAndWhatTheProgramSaid) {
  ScratchDir d;
  auto found = run_faultline({"run", "-q", "--out", (d / "repros").string(), "--", "sh", "-c",
                              "echo 'cannot open null.txt' >&2; kill -SEGV $$"},
                             d);
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const fs::path repro = only_reproducer(d / "repros");
  // The program has changed since: it now fails before it gets anywhere.
  auto j = read_report(repro / "repro.json");
  j["argv"] = {"sh", "-c", "echo first line >&2; echo 'config.toml: no such file' >&2; exit 3"};
  write_file(repro / "repro.json", j.dump());
  auto r = run_faultline({"replay", "--trust-argv", repro.string()}, d);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("run 1: got none (exit 3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  its stderr ended: config.toml: no such file\n"), std::string::npos) << r.out;
}

TEST(Reproducer, BrokenReproJsonIsBadInputNamingFileAndProblem) {
  ScratchDir d;
  fs::path repro = capture(d, "abort");
  const std::string good = read_file(repro / "repro.json");
  const std::string file = (repro / "repro.json").string();
  struct Case {
    std::string content, problem;
  };
  auto set_field = [&](const std::string& ptr, const nlohmann::json& v) {
    auto j = nlohmann::json::parse(good);
    j[nlohmann::json::json_pointer(ptr)] = v;
    return j.dump();
  };
  const std::vector<Case> cases = {
      {"", "empty file"},
      {"  \n", "empty file"},
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {"\x01\x02garbage{", "not valid JSON"},
      {"[1,2,3]", "not a JSON object"},
      {set_field("/expected/class", "banana"), "expected.class"},
      {set_field("/argv", nlohmann::json::array()), "argv"},
      {set_field("/schedule", "stack main=huge"), "schedule"},
      {set_field("/faultline_repro", 99), "faultline_repro"},
      {set_field("/expected/stack_hash", "xyz"), "stack_hash"},
      {set_field("/timeout_s", -3), "timeout_s"},
      {set_field("/target", "../../bin/sh"), "target"},
      {set_field("/input", nlohmann::json::array()), "field 'input'"},  // found by the parser fuzzer: was an uncaught type_error
  };
  for (const auto& c : cases) {
    write_file(repro / "repro.json", c.content);
    auto r = run_faultline({"replay", "--trust-argv", repro.string()}, d);
    EXPECT_EQ(r.exit_code, 2) << c.problem;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.problem), std::string::npos) << r.err;
  }
  write_file(repro / "repro.json", good);
  fs::remove(repro / "input");
  auto missing_input = run_faultline({"replay", "--trust-argv", repro.string()}, d);
  EXPECT_EQ(missing_input.exit_code, 2);
  EXPECT_NE(missing_input.err.find("input: missing"), std::string::npos) << missing_input.err;
  auto missing_dir = run_faultline({"replay", "--trust-argv", (d / "nope").string()}, d);
  EXPECT_EQ(missing_dir.exit_code, 2);
  EXPECT_NE(missing_dir.err.find("nope"), std::string::npos);
}

}  // namespace
}  // namespace faultline::test
