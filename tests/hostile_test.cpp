// Hostile programs and files (issue 15), one case per test, on real processes.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "store/corpus.h"
#include "process/event_decode.h"
#include "test_support.h"
#include "triage/triage.h"

namespace faultline::test {
namespace {

// A program whose stderr is not UTF-8 (\377) still gets its report, with the
// byte replaced and the report saying so, and its reproducer.
TEST(Hostile, NonUtf8StderrLosesNeitherReportNorReproducer) {
  ScratchDir d;
  auto r = run_faultline_as_given({"run", "--report", (d / "r.json").string(), "--out", (d / "repros").string(), "--",
                                   "sh", "-c", "printf '\\377\\n' >&2; kill -ABRT $$"},
                                  d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("unexpected error"), std::string::npos) << r.err;
  ASSERT_TRUE(fs::exists(d / "r.json")) << r.err;
  auto report = read_report(d / "r.json");
  EXPECT_EQ(report["class"], "abort");
  EXPECT_EQ(report["invalid_utf8_replaced"], true);
  EXPECT_EQ(report["stderr_tail"], "\xEF\xBF\xBD\n");  // U+FFFD
  EXPECT_EQ(entries(d / "repros").size(), 1u);
}

// Program bytes that are not UTF-8 (\377 in an argv element, in the working
// directory, in a file argv names) are kept, byte for byte, in repro.json
// ({"bytes_hex"}): replaced, the replay would run another command. The
// reproducer is stored (no .incoming-* left), and its replay from elsewhere
// gives the same crash with the same argv bytes.
TEST(Hostile, NonUtf8ArgvAndPathsAreStoredExactlyAndReplayTheSameCrash) {
  ScratchDir d;
  const fs::path odd_dir = d / "dir-\377";
  fs::create_directories(odd_dir);
  write_file(odd_dir / "in-\377.txt", "file bytes\n");
  const std::string odd_arg = "arg-\377\376-x";
  const fs::path seen = d / "seen";
  const std::string script = "printf %s \"$1\" > " + shell_quote(seen.string()) + "; cat \"$2\" >> " +
                             shell_quote(seen.string()) + "; kill -SEGV $$";
  auto found = run_faultline_in(odd_dir, {"run", "--out", (d / "repros").string(), "--", "sh", "-c", script, "sh", odd_arg,
                                          "in-\377.txt"},
                                d);
  EXPECT_EQ(found.exit_code, 1) << found.out << found.err;
  EXPECT_EQ(found.err.find("unexpected error"), std::string::npos) << found.err;
  EXPECT_EQ(read_file(seen), odd_arg + "file bytes\n");
  const auto repros = entries(d / "repros");
  ASSERT_EQ(repros.size(), 1u) << "a reproducer and no .incoming-* left: " << found.err;
  const fs::path repro = repros[0];
  auto j = read_report(repro / "repro.json");  // valid JSON, so valid UTF-8
  EXPECT_EQ(j["argv"][4], nlohmann::json({{"bytes_hex", "6172672dfffe2d78"}})) << j.dump(1);
  EXPECT_EQ(j["argv"][1], "-c");
  EXPECT_TRUE(j["cwd"].contains("bytes_hex")) << j.dump(1);
  EXPECT_TRUE(j["argv_files"][0]["path"].contains("bytes_hex")) << j.dump(1);
  auto loaded = load_reproducer(repro);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->argv[4], odd_arg);
  EXPECT_EQ(loaded->cwd, odd_dir.string());
  // From another directory, with the original input file gone: the stored copy stands in.
  fs::remove(seen);
  fs::remove(odd_dir / "in-\377.txt");
  auto replayed = run_faultline_as_given({"replay", "--trust-argv", repro.string(), "--times", "2"}, d);
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
  EXPECT_NE(replayed.out.find("2/2 reproduced"), std::string::npos) << replayed.out;
  EXPECT_EQ(read_file(seen), odd_arg + "file bytes\n") << "the replay's argv bytes";
}

// Limits are checked before the run: -1 was read as 2^64-1 (no limit at all),
// and an address space of 0 let nothing start, filed as stack exhaustion.
TEST(Hostile, LimitsOutOfRangeAreOneLineErrors) {
  ScratchDir d;
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--output-limit-kb", "-1"}, {"--memory-limit-mb=-1"}, {"--memory-limit-mb", "0"},
           {"--file-size-limit-mb", "18446744073709551615"}, {"--core-limit-mb", "-3"}}) {
    std::vector<std::string> args = {"run", "--report", (d / "r.json").string()};
    args.insert(args.end(), bad.begin(), bad.end());
    args.insert(args.end(), {"--", "/bin/true"});
    auto r = run_faultline_as_given(args, d);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(bad[0].substr(0, bad[0].find('='))), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(d / "r.json"));
  }
  auto fine = run_faultline_as_given({"run", "--memory-limit-mb", "1024", "--output-limit-kb", "0", "--", "/bin/true"}, d);
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
}

// A program the kernel kills inside execve (an address space too small to
// map it) never ran: an error naming it, not a crash of some class.
TEST(Hostile, AProgramKilledDuringExecNeverStartedAndIsNoCrash) {
  RunRequest req;
  req.argv = {"/bin/true"};
  req.limits.address_space_bytes = 4096;
  auto r = run_and_triage(req);
  ASSERT_FALSE(r) << "class " << to_string(r.value().cls);
  EXPECT_NE(r.error().message.find("'/bin/true' never started"), std::string::npos) << r.error().message;
}

// --input must be a regular file: a FIFO hung faultline (nobody writes it)
// and /dev/zero was read without end. Both are one line, exit 2, before any run.
TEST(Hostile, AnInputThatIsNoRegularFileIsRefusedBeforeReading) {
  ScratchDir d;
  const std::string fifo = (d / "fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& input : {fifo, std::string("/dev/zero"), d.path().string()}) {
    auto r = run_faultline({"run", "--target", "crash_zoo", "--input", input}, d);
    EXPECT_EQ(r.exit_code, 2) << input << ": " << r.err;
    EXPECT_NE(r.err.find("--input " + input + ": not a regular file"), std::string::npos) << r.err;
  }
}

// A NUL inside a stored argv (JSON can hold "\u0000", a C string cannot) or
// a control character in the schedule would make the run differ from the
// file: the reproducer is refused, naming the field.
TEST(Hostile, NulInArgvAndControlCharactersInTheScheduleAreFieldErrors) {
  ScratchDir d;
  const std::string head = "{\"faultline_repro\":1,\"expected\":{\"class\":\"none\",\"stack_hash\":\"\"},\"timeout_s\":5,";
  fs::create_directories(d / "nul");
  write_file(d / "nul" / "repro.json", head + "\"argv\":[\"/bin/sh\",\"-c\",\"exit 0\\u0000; kill -SEGV $$\"],\"schedule\":\"\"}");
  auto nul = run_faultline_as_given({"replay", (d / "nul").string()}, d);
  EXPECT_EQ(nul.exit_code, 2) << nul.out << nul.err;
  EXPECT_NE(nul.err.find("field 'argv[2]' holds a NUL byte"), std::string::npos) << nul.err;
  fs::create_directories(d / "ctl");
  write_file(d / "ctl" / "repro.json", head + "\"argv\":[\"/bin/true\"],\"schedule\":\"stack main=256K\\u0001\"}");
  auto ctl = run_faultline_as_given({"replay", (d / "ctl").string()}, d);
  EXPECT_EQ(ctl.exit_code, 2) << ctl.out << ctl.err;
  EXPECT_NE(ctl.err.find("field 'schedule' holds a control character"), std::string::npos) << ctl.err;
}

// A field of the wrong JSON type is a one-line error naming the file and the
// field, exit 2 ("input": 5 was `unexpected error: [json.exception.type_error.302]`).
TEST(Hostile, WrongTypesInReproJsonNameTheFileAndTheField) {
  ScratchDir d;
  const nlohmann::json good = {{"faultline_repro", 1},
                               {"argv", {"/bin/true", "x"}},
                               {"schedule", ""},
                               {"input", "none"},
                               {"timeout_s", 5},
                               {"expected", {{"class", "none"}, {"stack_hash", ""}}}};
  struct Case {
    std::string pointer;
    nlohmann::json value;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"/input", 5, "input"},
      {"/argv", "/bin/true", "argv"},
      {"/argv/1", 5, "argv[1]"},
      {"/argv/1", {{"bytes_hex", "f"}}, "argv[1]"},
      {"/argv/1", {{"bytes_hex", "zz"}}, "argv[1]"},
      {"/argv/1", {{"base64", "eA=="}}, "argv[1]"},
      {"/schedule", 5, "schedule"},
      {"/timeout_s", "5", "timeout_s"},
      {"/expected", nlohmann::json::array(), "expected"},
      {"/expected/class", 5, "expected.class"},
      {"/expected/stack_hash", nullptr, "expected.stack_hash"},
      {"/faultline_repro", "1", "faultline_repro"},
      {"/target", 5, "target"},
      {"/engine", true, "engine"},
      {"/cwd", 5, "cwd"},
      {"/executable", nlohmann::json::array(), "executable"},
      {"/argv_files", nlohmann::json::object(), "argv_files"},
      {"/argv_files", {{{"index", "1"}, {"path", "x"}}}, "argv_files[0].index"},
      {"/argv_files", {{{"index", 1}, {"path", 5}}}, "argv_files[0].path"},
      {"/argv_files", {{{"index", 1}, {"path", "x"}, {"stored", 5}}}, "argv_files[0].stored"},
      {"/core", 5, "core"},
  };
  fs::create_directories(d / "r");
  const std::string file = (d / "r/repro.json").string();
  for (const auto& c : cases) {
    nlohmann::json j = good;
    j[nlohmann::json::json_pointer(c.pointer)] = c.value;
    write_file(file, j.dump());
    auto r = run_faultline_as_given({"replay", "--trust-argv", (d / "r").string()}, d);
    EXPECT_EQ(r.exit_code, 2) << c.pointer << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(file + ": field '" + c.field + "'"), std::string::npos) << c.pointer << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.find("unexpected error"), std::string::npos) << r.err;
  }
}

// The same for faultline.toml: "FILE:LINE: key 'K': ...", exit 2; and a NUL
// ("\u0000" is valid TOML) in a command or a profile's schedule is refused,
// not cut short.
TEST(Hostile, WrongTypesAndNulBytesInTheManifestNameTheFileAndTheKey) {
  ScratchDir d;
  const std::string target = "[[target]]\nname = \"t\"\nrun = [\"/bin/true\", \"@@\"]\n";
  struct Case {
    std::string toml, key;
  };
  const std::vector<Case> cases = {
      {"[project]\nname = 5\n" + target, "project.name"},
      {"project = 5\n" + target, "project"},
      {"[[target]]\nname = 5\nrun = [\"/bin/true\"]\n", "target.name"},
      {"[[target]]\nname = \"t\"\nrun = \"/bin/true\"\n", "target.t.run"},
      {"[[target]]\nname = \"t\"\nrun = [\"/bin/true\", 5]\n", "target.t.run"},
      {target + "timeout = \"5\"\n", "target.t.timeout"},
      {target + "profiles = \"plain\"\n", "target.t.profiles"},
      {target + "seeds = 5\n", "target.t.seeds"},
      {target + "explore = 5\n", "target.t.explore"},
      {target + "explore = { max_runs = \"9\" }\n", "target.t.explore.max_runs"},
      {target + "stack = { open = 1, close = \"]\", sizes = [\"1M\"] }\n", "target.t.stack.open"},
      {target + "stack = { open = \"[\", close = \"]\", sizes = [1] }\n", "target.t.stack.sizes"},
      {"[profile.x]\nengine = 5\n" + target, "profile.x.engine"},
      {"[profile.x]\nengine = \"afl\"\nschedule = [\"timers off\"]\n" + target, "profile.x.schedule"},
      {"[[target]]\nname = \"t\"\nrun = [\"/bin/true\", \"a\\u0000b\"]\n", "target.t.run"},
      {"[profile.x]\nengine = \"afl\"\nschedule = \"timers off\\u0000 ; nonsense\"\n" + target, "profile.x.schedule"},
  };
  const std::string file = (d / "faultline.toml").string();
  for (const auto& c : cases) {
    write_file(file, c.toml);
    auto r = run_faultline_as_given({"run", "--project", file, "--target", "t", "--input", file}, d);
    EXPECT_EQ(r.exit_code, 2) << c.toml << r.out << r.err;
    EXPECT_EQ(r.err.rfind("faultline run: " + file + ":", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(": key '" + c.key + "': "), std::string::npos) << c.toml << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// The trust model: a repro.json supplies an input and a schedule, never a
// command. One that names no target runs its own argv only with
// --trust-argv, or when the project declares a target running exactly that
// command (then the manifest's command runs).
TEST(Hostile, AnArgvOnlyReproducerRunsOnlyWhenTrustedOrListed) {
  ScratchDir d;
  const fs::path pwned = d / "pwned";
  const std::vector<std::string> argv = {"/bin/sh", "-c", "echo x > " + pwned.string()};
  fs::create_directories(d / "evil");
  write_file(d / "evil/repro.json", nlohmann::json({{"faultline_repro", 1},
                                                    {"argv", argv},
                                                    {"schedule", ""},
                                                    {"input", "none"},
                                                    {"expected", {{"class", "none"}, {"stack_hash", ""}}}})
                                        .dump());
  for (const char* command : {"replay", "minimize", "alloc"}) {
    auto refused = run_faultline_as_given({command, (d / "evil").string()}, d);
    EXPECT_EQ(refused.exit_code, 2) << command << ": " << refused.out << refused.err;
    EXPECT_NE(refused.err.find((d / "evil/repro.json").string() + ": names no target, only a command (/bin/sh -c"),
              std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("--trust-argv"), std::string::npos) << refused.err;
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
    EXPECT_FALSE(fs::exists(pwned)) << command << " ran the file's command";
  }
  // A project whose targets run other commands does not make it trusted.
  write_file(d / "faultline.toml", "[project]\nname = \"p\"\n[[target]]\nname = \"t\"\nrun = [\"/bin/true\"]\n");
  auto other = run_faultline_as_given({"replay", "--project", (d / "faultline.toml").string(), (d / "evil").string()}, d);
  EXPECT_EQ(other.exit_code, 2) << other.out << other.err;
  EXPECT_FALSE(fs::exists(pwned));
  // Listed: the project declares a target running exactly that command.
  nlohmann::json run = argv;
  write_file(d / "faultline.toml", "[project]\nname = \"p\"\n[[target]]\nname = \"t\"\nrun = " + run.dump() + "\n");
  auto listed = run_faultline_as_given({"replay", "--project", (d / "faultline.toml").string(), (d / "evil").string()}, d);
  EXPECT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  EXPECT_TRUE(fs::exists(pwned)) << listed.out;
  fs::remove(pwned);
  fs::remove(d / "faultline.toml");
  auto trusted = run_faultline_as_given({"replay", "--trust-argv", (d / "evil").string()}, d);
  EXPECT_EQ(trusted.exit_code, 0) << trusted.out << trusted.err;
  EXPECT_TRUE(fs::exists(pwned)) << "--trust-argv: the user said so";
}

// One regression whose repro.json is empty (or not JSON) is an error row of
// the campaign; the other rows run and the reports are written.
TEST(Hostile, AnEmptyRegressionReproJsonIsAnErrorRowNotTheEndOfTheCampaign) {
  ScratchDir d;
  const fs::path project = d / "proj";
  fs::create_directories(project / "corpora/t/seeds");
  fs::create_directories(project / "corpora/t/regressions/abort-0123456789abcdef");
  write_file(project / "faultline.toml", "[project]\nname = \"p\"\n[[target]]\nname = \"t\"\nrun = [\"/bin/cat\", \"@@\"]\n");
  write_file(project / "corpora/t/seeds/a", "x\n");
  write_file(project / "corpora/t/regressions/abort-0123456789abcdef/repro.json", "");
  auto r = run_faultline_as_given(
      {"campaign", "--project", (project / "faultline.toml").string(), "--out", (d / "out").string(), "--no-fuzz"}, d);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  ASSERT_TRUE(fs::exists(d / "out/report.json")) << r.out << r.err;
  auto report = read_report(d / "out/report.json");
  EXPECT_EQ(report["errors"], 1) << report.dump(1);
  bool seed_ran = false, error_row = false;
  for (const auto& row : report["rows"]) {
    seed_ran |= row["kind"] == "seed" && row["status"] == "clean";
    error_row |= row["status"] == "error" && row.dump().find("repro.json") != std::string::npos;
  }
  EXPECT_TRUE(seed_ran) << report.dump(1);
  EXPECT_TRUE(error_row) << report.dump(1);
}

// A campaign whose rows carry odd bytes (a seed named "odd-\377", a program
// printing \377, a regression directory with \377 in its name and in its
// repro.json's argv) writes all its reports, and stores the new reproducer.
TEST(Hostile, ACampaignWithNonUtf8RowsStillWritesEveryReport) {
  ScratchDir d;
  const fs::path project = d / "proj";
  const fs::path regressions = project / "corpora/t/regressions";
  fs::create_directories(project / "corpora/t/seeds");
  fs::create_directories(regressions / "odd-\377");
  // A literal TOML string: the shell's printf makes the byte.
  write_file(project / "faultline.toml",
             "[project]\nname = \"p\"\n[[target]]\nname = \"t\"\n"
             "run = ['/bin/sh', '-c', 'printf \"x\\377\\n\" >&2; kill -SEGV $$', 'sh', '@@']\n");
  write_file(project / "corpora/t/seeds/odd-\377", "x\n");
  write_file(regressions / "odd-\377/repro.json",
             nlohmann::json({{"faultline_repro", 1},
                             {"argv", {"/bin/sh", {{"bytes_hex", "ff"}}}},
                             {"schedule", ""},
                             {"expected", {{"class", "none"}, {"stack_hash", ""}}}})
                 .dump());
  auto r = run_faultline_as_given(
      {"campaign", "--project", (project / "faultline.toml").string(), "--out", (d / "out").string(), "--no-fuzz"}, d);
  EXPECT_EQ(r.err.find("unexpected error"), std::string::npos) << r.err;
  for (const char* report : {"report.json", "report.sarif", "junit.xml", "report.html"})
    EXPECT_TRUE(fs::exists(d / "out" / report)) << report << ": " << r.out << r.err;
  ASSERT_TRUE(fs::exists(d / "out/report.json"));
  auto report = read_report(d / "out/report.json");
  EXPECT_EQ(report["invalid_utf8_replaced"], true);
  bool seed_row = false, regression_row = false;
  for (const auto& row : report["rows"]) {
    seed_row |= row["kind"] == "seed" && row["status"] == "new";
    regression_row |= row["kind"] == "regression" && row["item"] == "odd-\xEF\xBF\xBD";
  }
  EXPECT_TRUE(seed_row) << report.dump(1);
  EXPECT_TRUE(regression_row) << report.dump(1);
  int stored = 0;
  for (const auto& e : entries(regressions)) {
    EXPECT_EQ(e.filename().string().find(".incoming-"), std::string::npos) << e;
    if (e.filename() == "odd-\377") continue;
    auto loaded = load_reproducer(e);
    EXPECT_TRUE(loaded) << loaded.error().message;
    stored++;
  }
  EXPECT_EQ(stored, 1);
}

// A child that forges injector records as fast as it can write them: kept
// up to the caps, the rest counted, the report bounded (200k forged findings
// gave a 29 MB report, and a flood drove faultline to 885 MB).
TEST(Hostile, AFloodOfForgedEventRecordsIsCappedAndCounted) {
  ScratchDir d;
  auto r = run_faultline_as_given({"run", "-q", "--report", (d / "r.json").string(), "--",
                                   std::string(FAULTLINE_BIN_DIR) + "/test-event_flood", "300000"},
                                  d);
  ASSERT_TRUE(fs::exists(d / "r.json")) << r.out << r.err;
  EXPECT_LT(fs::file_size(d / "r.json"), 1u << 20);
  auto report = read_report(d / "r.json");
  ASSERT_TRUE(report["injector"].contains("events_dropped")) << report["injector"].dump(1);
  EXPECT_GE(report["injector"]["events_dropped"].get<uint64_t>(), 300000u - 65536u);
  EXPECT_LE(report["findings"].size(), 256u);
}

// The decoding of the pipe's bytes itself (event_decode.h, which the parser
// fuzzer feeds too): a record torn between two reads is kept for the next,
// one of another magic or version is skipped, findings stop at their cap,
// ids from inside a PID namespace become faultline's.
TEST(Hostile, EventRecordsAreTakenWholeForgedOnesSkippedFindingsCapped) {
  auto record = [](uint16_t kind, uint32_t magic = FL_EVENT_MAGIC, uint16_t version = FL_EVENT_VERSION) {
    const fl_event e{magic, version, kind, 1, 2, {FL_FINDING_DOUBLE_FREE, 0, 0, 0}};
    return std::string(reinterpret_cast<const char*>(&e), sizeof e);
  };
  const HostIds host = {{1, 4242}, {2, 4243}};
  RunResult r;
  std::string pipe = record(FL_EVENT_HELLO) + record(FL_EVENT_HELLO, 0x12345678) + record(FL_EVENT_HELLO, FL_EVENT_MAGIC, 99);
  const std::string torn = record(FL_EVENT_FINDING);
  pipe += torn.substr(0, 20);
  decode_events(pipe, r, host);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].pid, 4242);
  EXPECT_EQ(r.events[0].tid, 4243);
  EXPECT_EQ(pipe, torn.substr(0, 20));
  pipe += torn.substr(20);
  for (size_t i = 0; i < kFindingCap + 10; i++) pipe += record(FL_EVENT_FINDING);
  decode_events(pipe, r, host);
  EXPECT_TRUE(pipe.empty());
  EXPECT_EQ(r.injector_findings.size(), kFindingCap);
  EXPECT_EQ(r.events_dropped, 11u);
  EXPECT_EQ(r.events.size(), 1 + kFindingCap);
}

// Where faultline will write is checked before the program runs: a crash
// found after an hour must not be lost to a typo in --report.
TEST(Hostile, AnUnwritableReportOrOutIsRefusedBeforeTheRun) {
  ScratchDir d;
  const std::string marker = (d / "ran").string();
  const std::vector<std::string> program = {"--", "sh", "-c", "touch " + marker + "; kill -SEGV $$"};
  write_file(d / "plain-file", "x");
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--report", (d / "missing/r.json").string()}, {"--report", d.path().string()},
           {"--out", (d / "plain-file").string()}, {"--out", (d / "plain-file/below").string()}}) {
    std::vector<std::string> args = {"run", bad[0], bad[1]};
    args.insert(args.end(), program.begin(), program.end());
    auto r = run_faultline_as_given(args, d);
    EXPECT_EQ(r.exit_code, 2) << bad[1] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(bad[0] + " " + bad[1] + ": "), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(marker)) << bad[1] << ": the program ran before the check";
  }
  // An --out that does not exist yet is made; the reproducer and report get
  // the modes a new file gets (umask 022: world-readable), not mkstemp's 0600.
  const mode_t was = umask(022);
  auto ok = run_faultline_as_given({"run", "--report", (d / "r.json").string(), "--out", (d / "new/repros").string(), "--",
                                    "sh", "-c", "kill -SEGV $$"},
                                   d);
  umask(was);
  EXPECT_EQ(ok.exit_code, 1) << ok.err;
  const auto repros = entries(d / "new/repros");
  ASSERT_EQ(repros.size(), 1u) << ok.err;
  EXPECT_EQ(fs::status(d / "r.json").permissions() & fs::perms::others_read, fs::perms::others_read);
  EXPECT_EQ(fs::status(repros[0]).permissions() & fs::perms::others_exec, fs::perms::others_exec);
  EXPECT_EQ(fs::status(repros[0] / "repro.json").permissions() & fs::perms::others_read, fs::perms::others_read);
}

// Two runs on one directory: the second is refused while the first holds it
// (a fuzz run wiped the other's live queue; two campaigns mixed one --out).
TEST(Hostile, ASecondRunOnALiveWorkOrOutDirectoryIsRefused) {
  ScratchDir d;
  auto hold = [](const fs::path& file) {
    const int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
    EXPECT_EQ(write(fd, "4242\n", 5), 5);
    return fd;
  };
  // fuzz works in <--work>/<target>-<engine>: the lock is beside that.
  const fs::path live = d / "work/crash_zoo-libfuzzer";
  fs::create_directories(live / "queue");
  write_file(live / "queue/live-input", "x");
  int fd = hold(d / "work/.crash_zoo-libfuzzer.lock");
  auto fuzz = run_faultline({"fuzz", "--target", "crash_zoo", "--engine", "libfuzzer", "--budget", "2", "--corpora",
                             (d / "corpora").string(), "--work", (d / "work").string(), "--no-minimize"},
                            d);
  EXPECT_EQ(fuzz.exit_code, 2) << fuzz.out << fuzz.err;
  EXPECT_NE(fuzz.err.find("--work " + live.string() + ": in use by another faultline (pid 4242)"), std::string::npos)
      << fuzz.err;
  EXPECT_TRUE(fs::exists(live / "queue/live-input")) << "the live run's queue was wiped";
  close(fd);
  fs::create_directories(d / "out");
  fd = hold(d / "out/.campaign.lock");
  auto night = run_faultline({"campaign", "--target", "crash_zoo", "--no-fuzz", "--out", (d / "out").string(), "--corpora",
                              (d / "corpora").string()},
                             d);
  EXPECT_EQ(night.exit_code, 2) << night.out << night.err;
  EXPECT_NE(night.err.find("--out " + (d / "out").string() + ": in use by another faultline (pid 4242)"), std::string::npos)
      << night.err;
  EXPECT_FALSE(fs::exists(d / "out/report.json"));
  close(fd);
}

// A half-built reproducer is cleaned up only when its writer is dead: another
// run on the same corpora is still writing the live one.
TEST(Hostile, CleanupLeavesTheHalfBuiltReproducersOfLiveWriters) {
  ScratchDir d;
  const std::string live = ".incoming-" + std::to_string(getppid()) + "-abc123";
  const std::string dead = ".incoming-2147483646-abc123";  // above any pid_max
  const std::string dead_core = ".incoming-core-2147483646-abc123";
  for (const auto& name : {live, dead, dead_core, std::string(".incoming-old")}) fs::create_directories(d / name);
  remove_unfinished_reproducers(d.path());
  EXPECT_TRUE(fs::exists(d / live));
  EXPECT_FALSE(fs::exists(d / dead));
  EXPECT_FALSE(fs::exists(d / dead_core));
  EXPECT_FALSE(fs::exists(d / ".incoming-old")) << "a name from an older faultline, with no pid";
}

// `faultline stack`'s scratch directory is named after its pid: one a kill -9
// left behind goes at the next bisection, another live run's stays.
TEST(Hostile, AStackBisectionRemovesTheScratchDirectoriesOfDeadRunsOnly) {
  ScratchDir d;
  const fs::path tmp = d / "tmp";
  fs::create_directories(tmp);
  const std::string live = "faultline-stack-" + std::to_string(getppid()) + "-abc123";
  const std::string dead = "faultline-stack-2147483646-abc123";  // above any pid_max
  for (const auto& name : {live, dead}) fs::create_directories(tmp / name);
  const std::string cmd = "TMPDIR=" + shell_quote(tmp.string()) + " " + shell_quote(std::string(FAULTLINE_BIN_DIR) + "/faultline") +
                          " stack --open '[' --close ']' --max-depth 8 -- /bin/cat @@ >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 2) << "the bisection did not get as far as its scratch directory";
  EXPECT_TRUE(fs::exists(tmp / live));
  EXPECT_FALSE(fs::exists(tmp / dead));
  for (const auto& e : fs::directory_iterator(tmp))
    EXPECT_TRUE(e.path().filename() == live) << "left behind: " << e.path();
}

// A FIFO as a reproducer's repro.json is refused, not waited on.
TEST(Hostile, AFifoAsReproJsonIsAnErrorNotAHang) {
  ScratchDir d;
  fs::create_directories(d / "repro");
  ASSERT_EQ(mkfifo((d / "repro" / "repro.json").c_str(), 0600), 0);
  auto r = run_faultline_as_given({"replay", (d / "repro").string()}, d);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find((d / "repro" / "repro.json").string()), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// libFuzzer's fork mode makes libFuzzerTemp.FuzzWithFork*.dir under $TMPDIR
// and leaves it when killed: the engine's TMPDIR is the work dir's, never the
// user's /tmp.
TEST(Hostile, LibFuzzerForkJobsKeepTheirTempFilesInTheWorkDir) {
  ScratchDir d;
  const fs::path user_tmp = d / "user-tmp";
  fs::create_directories(user_tmp / "crash_zoo");
  fs::create_directories(d / "corpora" / "crash_zoo");
  fs::copy(fs::path(FAULTLINE_SOURCE_DIR) / "corpora" / "crash_zoo" / "seeds", d / "corpora" / "crash_zoo" / "seeds");
  std::string cmd = "cd " + shell_quote(d.path().string()) + " && TMPDIR=" + shell_quote(user_tmp.string()) + " " +
                    shell_quote(std::string(FAULTLINE_BIN_DIR) + "/faultline");
  for (const std::string& a : {std::string("fuzz"), std::string("--project"), own_manifest(), std::string("--engine"),
                               std::string("libfuzzer"), std::string("--target"), std::string("crash_zoo"),
                               std::string("--budget"), std::string("3"), std::string("--jobs"), std::string("2"),
                               std::string("--no-minimize"), std::string("--corpora"), (d / "corpora").string(),
                               std::string("--work"), (d / "work").string()})
    cmd += " " + shell_quote(a);
  const int status = std::system((cmd + " >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 2) << "the fuzz run did not start";
  for (const auto& e : fs::recursive_directory_iterator(user_tmp))
    EXPECT_EQ(e.path().filename().string().find("libFuzzerTemp"), std::string::npos) << e.path();
}

// A FIFO named faultline.toml is refused, not waited on.
TEST(Hostile, AFifoAsTheManifestIsAnErrorNotAHang) {
  ScratchDir d;
  const fs::path fifo = d / "faultline.toml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto r = run_faultline_as_given({"run", "--project", fifo.string(), "--target", "crash_zoo"}, d);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(fifo.string() + ": cannot read the manifest (not a regular file)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace faultline::test
