// Reproducers of `run -- PROG ARGS` replay from any directory: repro.json
// records the working directory and the resolved executable, the files argv
// names are stored beside it (argv-<i>-<name>), and a replay that cannot find
// an input says which one, in one line, exit 2. A repro.json is untrusted: the
// names it gives cannot reach outside its directory.
#include "store/reproducer_json.h"
#include "test_support.h"

namespace faultline::test {
namespace {

fs::path only_reproducer(const fs::path& out) {
  auto dirs = entries(out);
  EXPECT_EQ(dirs.size(), 1u) << out;
  return dirs.empty() ? fs::path() : dirs[0];
}

// A directory A holding a real crashing program (crash_zoo's driver, copied
// in as ./zoo) and its input in.txt, which it is given by a relative name, not @@.
struct Workspace {
  ScratchDir d;
  fs::path a = d / "a", b = d / "b";
  Workspace() {
    fs::create_directories(a);
    fs::create_directories(b);
    fs::copy_file(zoo_driver(), a / "zoo");
    write_file(a / "in.txt", "null\n");
  }
  // `faultline run --out repros -- ARGV` in A; the reproducer it stored.
  fs::path capture(const std::vector<std::string>& argv, CliResult* result = nullptr) {
    std::vector<std::string> args = {"run", "-q", "--out", "repros", "--"};
    args.insert(args.end(), argv.begin(), argv.end());
    auto r = run_faultline_in(a, args, d);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    if (result) *result = r;
    return only_reproducer(a / "repros");
  }
  CliResult replay_from_b(const fs::path& repro, int times = 1) {
    return run_faultline_in(b, {"replay", "--trust-argv", repro.string(), "--times", std::to_string(times)}, d);
  }
};

TEST(ReplayAnywhere, ARelativeProgramAndInputReplayFromAnotherDirectoryAndWithoutTheOriginal) {
  Workspace w;
  const fs::path repro = w.capture({"./zoo", "in.txt"});
  auto j = read_report(repro / "repro.json");
  const fs::path a = fs::canonical(w.a);
  EXPECT_EQ(j["argv"], nlohmann::json({"./zoo", "in.txt"}));  // as the user gave it
  EXPECT_EQ(j["cwd"], a.string());
  EXPECT_EQ(j["executable"], (a / "zoo").string());
  ASSERT_EQ(j["argv_files"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["argv_files"][0], nlohmann::json({{"index", 1}, {"path", "in.txt"}, {"stored", "argv-1-in.txt"}}));
  EXPECT_EQ(read_file(repro / "argv-1-in.txt"), "null\n");
  EXPECT_FALSE(fs::exists(repro / "argv-0-zoo")) << "the program itself is not stored";

  auto r = w.replay_from_b(repro, 5);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("5/5 reproduced (null-dereference"), std::string::npos) << r.out << r.err;

  // The original input is gone: the stored copy is what the program reads.
  fs::remove(w.a / "in.txt");
  r = w.replay_from_b(repro, 3);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3/3 reproduced"), std::string::npos) << r.out << r.err;

  // The recorded directory is gone too: it runs in the reproducer's own
  // directory, with the recorded executable (moved back here for that).
  const fs::path moved = w.b / "moved";
  fs::rename(repro, moved);
  fs::rename(w.a, w.d / "a-gone");
  r = w.replay_from_b(moved);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("the program is gone: no " + (a / "zoo").string()), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  fs::rename(w.d / "a-gone", w.a);
  fs::remove_all(w.a / "repros");
  r = w.replay_from_b(moved, 2);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2/2 reproduced"), std::string::npos) << r.out << r.err;
}

// A script run by a program from PATH, with its data given as --data=FILE:
// both stored; a file over the 16 MiB cap is listed as not stored, and a
// replay without it says so and exits 2.
TEST(ReplayAnywhere, OptionFilesAreStoredAndOneOverTheCapIsNamedWhenMissing) {
  Workspace w;
  write_file(w.a / "crash.sh", "f=${1#--data=}\ngrep -q crash \"$f\" && kill -SEGV $$\necho \"$f: no crash\" >&2\n");
  write_file(w.a / "conf.txt", "crash\n");
  { std::ofstream(w.a / "big.bin").put('x'); }
  fs::resize_file(w.a / "big.bin", (16u << 20) + 1);  // sparse: the cap is checked before anything is read
  CliResult captured;
  const fs::path repro = w.capture({"sh", "crash.sh", "--data=conf.txt", "big.bin"}, &captured);
  EXPECT_NE(captured.err.find("not stored with the reproducer"), std::string::npos) << captured.err;
  EXPECT_NE(captured.err.find("argv[3] big.bin: larger than 16 MiB"), std::string::npos) << captured.err;
  auto j = read_report(repro / "repro.json");
  EXPECT_EQ(j["executable"].get<std::string>().front(), '/') << j.dump(2);
  ASSERT_EQ(j["argv_files"].size(), 3u) << j.dump(2);
  EXPECT_EQ(j["argv_files"][1], nlohmann::json({{"index", 2}, {"path", "conf.txt"}, {"stored", "argv-2-conf.txt"}}));
  EXPECT_EQ(j["argv_files"][2]["not_stored"], "larger than 16 MiB");
  EXPECT_EQ(read_file(repro / "argv-1-crash.sh"), read_file(w.a / "crash.sh"));
  EXPECT_EQ(read_file(repro / "argv-2-conf.txt"), "crash\n");
  EXPECT_FALSE(fs::exists(repro / "argv-3-big.bin"));

  fs::remove(w.a / "crash.sh");
  fs::remove(w.a / "conf.txt");
  auto r = w.replay_from_b(repro, 3);  // big.bin is still where argv names it
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3/3 reproduced"), std::string::npos) << r.out << r.err;

  fs::remove(w.a / "big.bin");
  r = w.replay_from_b(repro);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("input files missing: argv[3] big.bin (not stored: larger than 16 MiB, and no " +
                       (fs::canonical(w.a) / "big.bin").string() + ")"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("conf.txt"), std::string::npos) << "stored, so not missing: " << r.err;
}

TEST(ReplayAnywhere, HostileArgvFilesAndPathsAreRefusedNamingTheField) {
  Workspace w;
  const fs::path repro = w.capture({"./zoo", "in.txt"});
  const std::string good = read_file(repro / "repro.json");
  write_file(w.d / "x", "null\n");  // what "../x" would reach from a reproducer one level down
  auto with = [&](const std::string& ptr, const nlohmann::json& v) {
    auto j = nlohmann::json::parse(good);
    j[nlohmann::json::json_pointer(ptr)] = v;
    return j.dump();
  };
  struct Case {
    std::string content, field;
  };
  const std::vector<Case> cases = {
      {with("/argv_files/0/stored", "../x"), "argv_files[0].stored"},
      {with("/argv_files/0/stored", "/etc/passwd"), "argv_files[0].stored"},
      {with("/argv_files/0/stored", "argv-1-../../x"), "argv_files[0].stored"},
      {with("/argv_files/0/stored", "argv-1-.."), "argv_files[0].stored"},
      {with("/argv_files/0/stored", "argv-2-in.txt"), "argv_files[0].stored"},  // another element's name
      {with("/argv_files/0/stored", "input"), "argv_files[0].stored"},
      {with("/argv_files/0/path", "/etc/passwd"), "argv_files[0].path"},  // not what argv[1] says
      {with("/argv_files/0/index", 0), "argv_files[0].index"},           // the program
      {with("/argv_files/0/index", 7), "argv_files[0].index"},
      {with("/argv_files", "argv-1-in.txt"), "argv_files"},
      {with("/argv_files/0", {{"index", 1}, {"path", "in.txt"}, {"not_stored", "a\nsecond line"}}), "argv_files[0]"},
      {with("/cwd", "relative/dir"), "cwd"},
      {with("/executable", "zoo"), "executable"},
  };
  const std::string file = (repro / "repro.json").string();
  for (const auto& c : cases) {
    write_file(repro / "repro.json", c.content);
    auto r = w.replay_from_b(repro);
    EXPECT_EQ(r.exit_code, 2) << c.content;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("field '" + c.field), std::string::npos) << c.field << ": " << r.err;
  }
  // A stored name that is well formed but a symbolic link is not followed:
  // with the original gone, the input is missing.
  write_file(repro / "repro.json", good);
  fs::remove(repro / "argv-1-in.txt");
  fs::create_symlink(w.d / "x", repro / "argv-1-in.txt");
  fs::remove(w.a / "in.txt");
  auto linked = w.replay_from_b(repro);
  EXPECT_EQ(linked.exit_code, 2) << linked.out << linked.err;
  EXPECT_NE(linked.err.find("input files missing: argv[1] in.txt (argv-1-in.txt is gone"), std::string::npos) << linked.err;
}

// Reproducers from before these fields replay as they did (in faultline's
// directory); a reproducer of a target ignores them (its manifest says how it runs).
TEST(ReplayAnywhere, OlderReproducersAndTargetReproducersIgnoreTheFields) {
  Workspace w;
  const fs::path repro = w.capture({"./zoo", "in.txt"});
  auto j = read_report(repro / "repro.json");
  for (const char* key : {"cwd", "executable", "argv_files"}) j.erase(key);
  write_file(repro / "repro.json", j.dump());
  auto here = run_faultline_in(w.a, {"replay", "--trust-argv", repro.string()}, w.d);
  EXPECT_EQ(here.exit_code, 0) << here.out << here.err;
  auto elsewhere = w.replay_from_b(repro);  // still its argv as given, where it is replayed
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.out << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("cannot execute './zoo'"), std::string::npos) << elsewhere.err;

  const fs::path out = w.d / "target-repros";
  auto found = run_faultline({"run", "-q", "--out", out.string(), "--target", "crash_zoo", "--input", zoo_input(w.d, "null")}, w.d);
  ASSERT_EQ(found.exit_code, 1) << found.err;
  const fs::path target_repro = only_reproducer(out);
  auto t = read_report(target_repro / "repro.json");
  EXPECT_FALSE(t.contains("cwd") || t.contains("executable") || t.contains("argv_files")) << t.dump(2);
  t["cwd"] = "/nonexistent";
  t["executable"] = "/bin/false";
  write_file(target_repro / "repro.json", t.dump());
  auto r = run_faultline({"replay", "--trust-argv", target_repro.string()}, w.d);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ArgvFileName, SanitizedToOneNameInTheDirectory) {
  EXPECT_EQ(argv_file_name(2, "data/in.txt"), "argv-2-in.txt");
  EXPECT_EQ(argv_file_name(1, "/tmp/a b/..x..y.json"), "argv-1-._x._y.json");
  EXPECT_EQ(argv_file_name(3, "dir/"), "argv-3-file");
  EXPECT_EQ(argv_file_name(4, std::string(100, 'n') + ".bz2"), "argv-4-" + std::string(60, 'n') + ".bz2");
  EXPECT_TRUE(valid_argv_file_name(2, "argv-2-in.txt"));
  for (const std::string bad : {"argv-2-", "argv-2-../x", "argv-2-a/b", "argv-1-in.txt", "../argv-2-x", "argv-2-.."})
    EXPECT_FALSE(valid_argv_file_name(2, bad)) << bad;
}

}  // namespace
}  // namespace faultline::test
