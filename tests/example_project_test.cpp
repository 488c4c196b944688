// A user's own project, end to end: examples/listparse is a separate CMake
// project (no faultline code in it) with two real bugs, a libFuzzer harness,
// an AFL++ build, a standalone driver and its faultline.toml. Copied and
// built outside faultline's tree, the way a user has it.
#include <regex>
#include <set>

#include "test_support.h"

namespace faultline::test {
namespace {

// The example copied into the scratch directory and built (build.sh [--fixed]).
fs::path built_example(const ScratchDir& d, bool fixed = false) {
  const fs::path project = d / "listparse";
  if (!fs::exists(project))
    fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "examples/listparse", project, fs::copy_options::recursive);
  const std::string build = shell_quote((project / "build.sh").string()) + (fixed ? " --fixed" : "") + " >" +
                            shell_quote((d / "build.log").string()) + " 2>&1";
  EXPECT_EQ(std::system(build.c_str()), 0) << read_file(d / "build.log");
  return project;
}

std::vector<std::string> campaign(const fs::path& project, const ScratchDir& d, std::vector<std::string> extra) {
  std::vector<std::string> args = {"campaign", "--project", (project / "faultline.toml").string(), "--out",
                                   (d / "out").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::set<std::string> regressions(const fs::path& project) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(project / "corpora/listparse/regressions", ec))
    out.insert(e.path().filename().string());
  return out;
}

// Night 1 finds and stores both bugs (exit 1); night 2 replays them
// (`reproduces`, exit 0); the fixed build makes them `fixed` (exit 1).
TEST(ExampleProject, FirstCampaignFindsTheBugsTheNextReplaysThemTheFixMakesThemFixed) {
  ScratchDir d;
  const fs::path project = built_example(d);
  auto first = run_faultline(campaign(project, d, {"--budget", "40"}), d);
  ASSERT_EQ(first.exit_code, 1) << first.out << first.err;
  const auto stored = regressions(project);
  bool stack = false, heap = false;
  for (const auto& name : stored) {
    stack |= name.starts_with("stack-exhaustion-");
    heap |= name.starts_with("heap-corruption-");  // ASan's heap-buffer-overflow on the long key
  }
  EXPECT_TRUE(stack && heap) << first.out;

  auto second = run_faultline(campaign(project, d, {"--no-fuzz"}), d);
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  auto report = read_report(d / "out/report.json");
  size_t replayed = 0;
  for (const auto& row : report["rows"])
    if (row["kind"] == "regression") {
      replayed++;
      EXPECT_EQ(row["status"], "reproduces") << row;
    }
  EXPECT_EQ(replayed, stored.size());

  built_example(d, /*fixed=*/true);
  auto fixed = run_faultline(campaign(project, d, {"--no-fuzz"}), d);
  EXPECT_EQ(fixed.exit_code, 1) << fixed.out << fixed.err;
  report = read_report(d / "out/report.json");
  EXPECT_EQ(report["regressions_not_reproducing"], stored.size());
  for (const auto& row : report["rows"])
    if (row["kind"] == "regression") {
      EXPECT_EQ(row["status"], "fixed") << row;
    }
}

// `fuzz --project --target` fuzzes the manifest's engine binary, and the
// one-off `fuzz --fuzzer BINARY` a binary no manifest names: both store a
// reproducer that replays.
TEST(ExampleProject, FuzzesTheUsersOwnBinaries) {
  ScratchDir d;
  const fs::path project = built_example(d);
  auto by_manifest = run_faultline({"fuzz", "--project", (project / "faultline.toml").string(), "--engine", "libfuzzer",
                                    "--target", "listparse", "--budget", "5", "--minimize-time", "3", "--work", (d / "work").string()},
                                   d);
  EXPECT_EQ(by_manifest.exit_code, 1) << by_manifest.out << by_manifest.err;
  const auto stored = regressions(project);
  ASSERT_FALSE(stored.empty()) << by_manifest.out;
  auto replayed = run_faultline({"replay", "--project", (project / "faultline.toml").string(),
                                 (project / "corpora/listparse/regressions" / *stored.begin()).string()},
                                d);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
  // Without the manifest, a reproducer that names its target cannot say what to run.
  auto orphan = run_faultline_as_given({"replay", (project / "corpora/listparse/regressions" / *stored.begin()).string()}, d);
  EXPECT_EQ(orphan.exit_code, 2);
  EXPECT_NE(orphan.err.find("names target 'listparse'"), std::string::npos) << orphan.err;

  const fs::path corpora = d / "one-off";
  fs::create_directories(corpora / "lp/seeds");
  fs::copy(project / "corpora/listparse/seeds", corpora / "lp/seeds", fs::copy_options::recursive);
  // From a directory below the project, as cargo finds Cargo.toml: the nearest faultline.toml above.
  auto below = run_faultline_in(project / "build", {"replay", "../corpora/listparse/regressions/" + *stored.begin()}, d);
  EXPECT_EQ(below.exit_code, 0) << below.out << below.err;

  auto one_off = run_faultline({"fuzz", "--engine", "libfuzzer", "--fuzzer", (project / "build-fuzz/fuzz_listparse").string(),
                                "--name", "lp", "--budget", "5", "--no-minimize", "--corpora", corpora.string(), "--work", (d / "work").string()},
                               d);
  EXPECT_EQ(one_off.exit_code, 1) << one_off.out << one_off.err;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(corpora / "lp/regressions")) found.push_back(e.path());
  ASSERT_FALSE(found.empty());
  auto again = run_faultline_as_given({"replay", "--trust-argv", found[0].string()}, d);  // its argv is the binary: run when trusted
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

// `faultline init` on the example's build trees proposes the target, with
// its libFuzzer and AFL++ builds paired, and the manifest it writes runs.
TEST(ExampleProject, InitFindsTheFuzzBinariesAndItsManifestRuns) {
  ScratchDir d;
  const fs::path project = built_example(d);
  const fs::path manifest = project / "starter.toml";
  auto init = run_faultline({"init", project.string(), "--output", manifest.string()}, d);
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  const std::string text = read_file(manifest);
  EXPECT_NE(text.find("build-fuzz/fuzz_listparse"), std::string::npos) << text;
  EXPECT_NE(text.find("build-afl/fuzz_listparse"), std::string::npos) << text;
  auto run = run_faultline({"campaign", "--project", manifest.string(), "--no-fuzz", "--out", (d / "out").string(),
                            "--corpora", (project / "corpora").string()},
                           d);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;  // the seeds are clean
}

// Bad manifests: one line naming the file, the line and the key; exit 2.
TEST(ExampleProject, BadManifestsAreOneLineErrorsNamingFileLineAndKey) {
  ScratchDir d;
  const fs::path project = built_example(d);
  const std::string good = read_file(project / "faultline.toml");
  struct Case {
    std::string what, text, expected;
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const Case cases[] = {
      {"unknown key", good + "\n[[target]]\nname = \"x\"\nrun = [\"build/listparse\"]\nrunn = 1\n", "key 'target.x.runn': unknown key"},
      {"wrong type", replaced("timeout = 10", "timeout = \"ten\""), "key 'target.listparse.timeout': must be a number"},
      {"duplicate target", good + "\n[[target]]\nname = \"listparse\"\nrun = [\"build/listparse\"]\n", "duplicate target name 'listparse'"},
      {"missing run", replaced("run = [\"build/listparse\", \"@@\"]", ""), "key 'target.listparse.run': missing"},
      {"no such binary", replaced("build-fuzz/fuzz_listparse", "build-fuzz/nope"), "'build-fuzz/nope' does not exist"},
      {"not executable", replaced("build-fuzz/fuzz_listparse", "fuzz/listparse.dict"), "is not an executable file"},
      {"not TOML", "[project\n", "faultline.toml:1:"},
      {"unknown profile", replaced("\"small-stacks\"]", "\"tiny\"]"), "no profile named 'tiny'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    write_file(project / "faultline.toml", c.text);
    auto r = run_faultline(campaign(project, d, {"--no-fuzz"}), d);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(std::regex_search(r.err, std::regex("faultline\\.toml:[0-9]+: "))) << r.err;
    EXPECT_NE(r.err.find((project / "faultline.toml").string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  }
  // No manifest at all: say how to write one; never a hidden built-in list.
  fs::remove(project / "faultline.toml");
  auto none = run_faultline_as_given({"campaign", "--no-fuzz", "--out", (d / "out").string()}, d);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("faultline init"), std::string::npos) << none.err;
}

// A corpora directory no target declares is an error row naming it, never
// skipped: a CI gate must not pass on nothing.
TEST(ExampleProject, UndeclaredCorporaDirectoryIsAnErrorRow) {
  ScratchDir d;
  const fs::path project = built_example(d);
  fs::create_directories(project / "corpora/myprog/regressions/abort-0123456789abcdef");
  auto r = run_faultline(campaign(project, d, {"--no-fuzz"}), d);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("corpora/myprog: no target in"), std::string::npos) << r.err;
  auto report = read_report(d / "out/report.json");
  EXPECT_EQ(report["errors"], 1);
}

// A reproducer `faultline explore -- PROG` stored (argv only) in a target's
// regressions is replayed through the target's command from the manifest.
TEST(ExampleProject, AnArgvReproducerInTheRegressionsRunsThroughTheManifestCommand) {
  ScratchDir d;
  const fs::path project = built_example(d);
  const std::string deep = std::string(200000, '[') + "1" + std::string(200000, ']');
  write_file(d / "deep", deep);
  auto run = run_faultline_as_given({"run", "-q", "--input", (d / "deep").string(), "--out", (d / "found").string(), "--",
                                     (project / "build/listparse").string(), "@@"},
                                    d);
  ASSERT_EQ(run.exit_code, 1) << run.err;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(d / "found")) found.push_back(e.path());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].filename().string().starts_with("stack-exhaustion-"));
  // Its argv is rewritten to a command nobody should run: the manifest's wins.
  auto repro = read_report(found[0] / "repro.json");
  repro["argv"] = {"/bin/false", "@@"};
  write_file(found[0] / "repro.json", repro.dump());
  fs::create_directories(project / "corpora/listparse/regressions");
  fs::rename(found[0], project / "corpora/listparse/regressions" / found[0].filename());
  auto r = run_faultline(campaign(project, d, {"--no-fuzz"}), d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto report = read_report(d / "out/report.json");
  bool replayed = false;
  for (const auto& row : report["rows"])
    if (row["kind"] == "regression") replayed = row["status"] == "reproduces";
  EXPECT_TRUE(replayed) << r.out;
}

}  // namespace
}  // namespace faultline::test

namespace faultline::test {
namespace {

// A corpora directory from a pull request adds inputs, never commands, and
// cannot point faultline's writes outside it.
TEST(ExampleProject, HostileCorporaCannotRunCommandsOrWriteOutside) {
  ScratchDir d;
  const fs::path project = built_example(d);
  const fs::path manifest = project / "faultline.toml";
  // An argv-only reproducer whose argv would write a file: the campaign and
  // the replay line it prints run the target's command instead.
  const fs::path evil = project / "corpora/listparse/regressions/none-0123456789abcdef";
  fs::create_directories(evil);
  write_file(evil / "input", "[1]\n");
  const fs::path pwned = d / "pwned";
  write_file(evil / "repro.json", nlohmann::json({{"faultline_repro", 1},
                                                  {"argv", {"/bin/sh", "-c", "echo x > " + pwned.string()}},
                                                  {"schedule", ""},
                                                  {"input", "file"},
                                                  {"expected", {{"class", "none"}, {"stack_hash", ""}}}})
                                      .dump());
  auto night = run_faultline(campaign(project, d, {"--no-fuzz"}), d);
  EXPECT_EQ(night.exit_code, 0) << night.out << night.err;
  auto replay = run_faultline({"replay", "--project", manifest.string(), evil.string()}, d);
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_FALSE(fs::exists(pwned)) << "a reproducer's argv ran";

  // A regressions directory that is a symbolic link: an error row, nothing written through it.
  fs::remove_all(project / "corpora/listparse/regressions");
  fs::create_directories(d / "elsewhere");
  fs::create_directory_symlink(d / "elsewhere", project / "corpora/listparse/regressions");
  write_file(project / "corpora/listparse/seeds/deep", std::string(100000, '[') + "1" + std::string(100000, ']'));
  auto linked = run_faultline(campaign(project, d, {"--no-fuzz"}), d);
  EXPECT_EQ(linked.exit_code, 2) << linked.out << linked.err;
  EXPECT_NE(linked.err.find("regressions: a symbolic link"), std::string::npos) << linked.err;
  EXPECT_TRUE(fs::is_empty(d / "elsewhere"));

  // A repro.json that is huge is a one-line error, not an allocation of it.
  fs::remove(project / "corpora/listparse/regressions");
  fs::create_directories(project / "corpora/listparse/regressions/abort-0123456789abcdef");
  write_file(project / "corpora/listparse/regressions/abort-0123456789abcdef/repro.json", std::string(2 << 20, ' '));
  auto huge = run_faultline({"replay", "--project", manifest.string(),
                             (project / "corpora/listparse/regressions/abort-0123456789abcdef").string()},
                            d);
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_NE(huge.err.find("larger than 1 MiB"), std::string::npos) << huge.err;
}

}  // namespace
}  // namespace faultline::test
