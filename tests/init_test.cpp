// Fuzz binary discovery and `faultline init`, on real binaries: faultline's
// own libFuzzer and AFL++ trees, and harnesses compiled here, outside the
// faultline tree, the way a user's project builds them.
#include <sys/stat.h>

#include <toml++/toml.h>

#include "store/corpus.h"
#include "base/engines.h"
#include "search/fuzz_binaries.h"
#include "test_support.h"

namespace faultline::test {
namespace {

const char* const kHarnessSource =
    "#include <stddef.h>\n#include <stdint.h>\n"
    "int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {\n"
    "  if (size > 2 && data[0] == 'l' && data[1] == 'p') return 1;\n  return 0;\n}\n";

bool compile(const std::string& compiler_and_flags, const fs::path& source, const fs::path& out) {
  fs::create_directories(out.parent_path());
  const std::string cmd = "AFL_QUIET=1 " + compiler_and_flags + " " + shell_quote(source.string()) + " -o " +
                          shell_quote(out.string()) + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 && fs::exists(out);
}

// A libFuzzer (clang-14) or AFL++ (afl-clang-fast + libAFLDriver) build of
// the tiny harness at `out`; false when that compiler is not installed.
bool build_harness(const ScratchDir& d, const std::string& engine, const fs::path& out) {
  const fs::path source = d / "harness.c";
  if (!fs::exists(source)) write_file(source, kHarnessSource);
  return compile(engine == "afl" ? "afl-clang-fast -fsanitize=fuzzer" : "clang-14 -g -fsanitize=fuzzer", source, out);
}

#define BUILD_OR_SKIP(d, engine, out)                                                                  \
  if (!build_harness(d, engine, out))                                                                  \
    GTEST_SKIP() << (std::string(engine) == "afl" ? "afl-clang-fast (afl++)" : "clang-14 -fsanitize=fuzzer") \
                 << " cannot build a harness here"

std::string str(const toml::node_view<toml::node>& v) { return v.value_or(std::string("<missing>")); }

void make_executable(const fs::path& p) { fs::permissions(p, fs::perms::owner_exec, fs::perm_options::add); }

std::vector<FuzzBinary> found_under(const fs::path& dir) {
  auto search = find_fuzz_binaries(dir);
  EXPECT_TRUE(search.ok()) << (search.ok() ? "" : search.error().message);
  return search.ok() ? search->binaries : std::vector<FuzzBinary>{};
}


void expect_one_line_error(const CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

// Every fuzz-<stem> in the engine's build tree is found as that engine's, with
// its <stem>.dict; the standalone target-<stem> drivers beside them are not.
void expect_engine_tree_found(const char* engine_name, const char* tree, const char* preset) {
  const fs::path bin = fs::path(FAULTLINE_SOURCE_DIR) / tree / "bin";
  std::vector<fs::path> expected;
  for (const fs::path& p : sorted_entries(bin, true))
    if (p.filename().string().rfind("fuzz-", 0) == 0) expected.push_back(p);
  if (expected.empty())
    GTEST_SKIP() << "no fuzz-* in " << bin << ": build it with `cmake --preset " << preset
                 << " && cmake --build --preset " << preset << "`";
  const auto found = found_under(bin);
  ASSERT_EQ(found.size(), expected.size());
  for (size_t i = 0; i < found.size(); i++) {
    EXPECT_EQ(found[i].path, expected[i]);
    EXPECT_EQ(found[i].engine, engine_name) << found[i].path;
    EXPECT_EQ(found[i].stem, expected[i].filename().string().substr(5));
    EXPECT_EQ(found[i].dict, bin / (found[i].stem + ".dict"));
    EXPECT_EQ(found[i].options, bin / (found[i].stem + ".options"));
  }
}

TEST(FuzzBinaries, FindsFaultlinesOwnLibFuzzerBuilds) { expect_engine_tree_found("libfuzzer", "build-fuzz", "fuzz"); }

TEST(FuzzBinaries, FindsFaultlinesOwnAflBuilds) { expect_engine_tree_found("afl", "build-afl", "afl"); }

TEST(FuzzBinaries, FindsALibFuzzerBinaryFaultlineDidNotBuildWithItsOssFuzzFiles) {
  ScratchDir d;
  ASSERT_NE(d.path().string().rfind(FAULTLINE_SOURCE_DIR, 0), 0u) << "must be outside faultline's tree";
  const fs::path out = d / "out", bin = out / "png_read_fuzzer";
  BUILD_OR_SKIP(d, "libfuzzer", bin);
  for (const char* suffix : {".dict", ".options", "_seed_corpus.zip"}) write_file(out / ("png_read_fuzzer" + std::string(suffix)), "x");
  const auto found = found_under(d.path());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, bin);
  EXPECT_EQ(found[0].engine, "libfuzzer");
  EXPECT_EQ(found[0].stem, "png_read");
  EXPECT_EQ(found[0].dict, out / "png_read_fuzzer.dict");
  EXPECT_EQ(found[0].options, out / "png_read_fuzzer.options");
  EXPECT_EQ(found[0].seed_zip, out / "png_read_fuzzer_seed_corpus.zip");
  EXPECT_EQ(fuzz_binary_engine(bin), "libfuzzer");
}

TEST(FuzzBinaries, AflBuildIsAflThoughItsDriverAlsoDefinesLLVMFuzzerRunDriver) {
  ScratchDir d;
  BUILD_OR_SKIP(d, "afl", d / "fuzz_lp");
  EXPECT_EQ(fuzz_binary_engine(d / "fuzz_lp"), "afl");
}

// Writes a copy of `from` with the bytes [offset, offset + patch.size()) replaced.
void write_patched(const fs::path& from, const fs::path& to, size_t keep, size_t offset = 0, const std::string& patch = "") {
  std::string bytes = read_file(from).substr(0, keep);
  if (offset + patch.size() <= bytes.size()) bytes.replace(offset, patch.size(), patch);
  write_file(to, bytes);
  make_executable(to);
}

TEST(FuzzBinaries, PlainExecutablesBrokenElfFilesFifosAndLoopsAreSkipped) {
  ScratchDir d;
  const fs::path good = d / "good" / "fuzz_lp";
  BUILD_OR_SKIP(d, "libfuzzer", good);
  const fs::path junk = d / "junk";
  fs::create_directories(junk);
  fs::copy_file("/bin/true", junk / "true");
  const size_t size = fs::file_size(good);
  for (size_t keep : {size_t{4}, size_t{64}, size_t{4096}, size / 2, size - 100})
    write_patched(good, junk / ("truncated-" + std::to_string(keep)), keep);
  // Section headers claimed past the end, and a section count of 65535.
  write_patched(good, junk / "bad-shoff", size, 0x28, std::string("\xf0\xff\xff\xff\xff\xff\xff\x7f", 8));
  write_patched(good, junk / "bad-shnum", size, 0x3c, std::string("\xff\xff", 2));
  write_file(junk / "script", "#!/bin/sh\nexit 0\n");
  make_executable(junk / "script");
  ASSERT_EQ(mkfifo((junk / "fifo").c_str(), 0755), 0);
  fs::create_directory_symlink(d.path(), junk / "loop");
  fs::create_symlink(good, junk / "alias-of-good");
  fs::create_symlink(d / "nowhere", junk / "dangling");

  EXPECT_TRUE(found_under(junk / "loop" / "junk" / "loop").size() == 1) << "the loop ends";
  const auto found = found_under(d.path());
  ASSERT_EQ(found.size(), 1u) << "the real binary, once, under its real path";
  EXPECT_EQ(found[0].path, good);
  EXPECT_EQ(fuzz_binary_engine(junk / "true"), std::nullopt);
  EXPECT_EQ(fuzz_binary_engine(junk / "fifo"), std::nullopt);
}

TEST(FuzzBinaries, ASharedLibraryDefiningTheEntryIsNotAnExecutable) {
  ScratchDir d;
  write_file(d / "harness.c", kHarnessSource);
  if (!compile("clang-14 -shared -fPIC", d / "harness.c", d / "libharness.so")) GTEST_SKIP() << "no clang-14";
  make_executable(d / "libharness.so");
  EXPECT_TRUE(found_under(d.path()).empty());
}

TEST(FuzzBinaries, StemsDropTheUsualPrefixesAndSuffixes) {
  EXPECT_EQ(fuzz_binary_stem("fuzz-crash_zoo"), "crash_zoo");
  EXPECT_EQ(fuzz_binary_stem("fuzz_lp"), "lp");
  EXPECT_EQ(fuzz_binary_stem("png_read_fuzzer"), "png_read");
  EXPECT_EQ(fuzz_binary_stem("json-fuzz"), "json");
  EXPECT_EQ(fuzz_binary_stem("fuzz_xml_fuzzer"), "xml");
  EXPECT_EQ(fuzz_binary_stem("fuzz_fuzzer"), "fuzzer") << "one prefix, then one suffix";
  EXPECT_EQ(fuzz_binary_stem("fuzz-"), "fuzz-");
}

TEST(FuzzBinaries, NotADirectoryIsAnErrorNamingIt) {
  auto r = find_fuzz_binaries("/nonexistent/build");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/build"), std::string::npos);
}

// proj/build-fuzz/fuzz_lp (libFuzzer, with fuzz_lp.dict), proj/build-afl/fuzz_lp
// (AFL++), proj/build-fuzz/json_fuzzer (libFuzzer only).
fs::path make_project(const ScratchDir& d) {
  const fs::path proj = d / "proj";
  if (!build_harness(d, "libfuzzer", proj / "build-fuzz" / "fuzz_lp") ||
      !build_harness(d, "afl", proj / "build-afl" / "fuzz_lp") ||
      !build_harness(d, "libfuzzer", proj / "build-fuzz" / "json_fuzzer"))
    return {};
  write_file(proj / "build-fuzz" / "fuzz_lp.dict", "\"lp\"\n");
  return proj;
}

TEST(Init, PairsTheEnginesOfAStemIntoOneTargetWithPathsRelativeToTheManifest) {
  ScratchDir d;
  const fs::path proj = make_project(d);
  if (proj.empty()) GTEST_SKIP() << "needs clang-14 -fsanitize=fuzzer and afl-clang-fast";
  auto r = run_faultline_in(proj, {"init"}, d);  // BUILD_DIR ".", ./faultline.toml
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("found 3 fuzz binaries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrote faultline.toml: 2 targets"), std::string::npos) << r.out;
  const std::string text = read_file(proj / "faultline.toml");
  EXPECT_EQ(text.rfind("# ", 0), 0u) << "starts with its comment header";
  toml::table m = toml::parse(text);
  EXPECT_EQ(str(m["project"]["name"]), "proj");
  EXPECT_EQ(str(m["project"]["corpora"]), "corpora");
  toml::array* targets = m["target"].as_array();
  ASSERT_TRUE(targets && targets->size() == 2) << text;
  toml::node_view<toml::node> json{(*targets)[0]}, lp{(*targets)[1]};
  EXPECT_EQ(str(json["name"]), "json");
  EXPECT_EQ(str(json["run"][0]), "build-fuzz/json_fuzzer");
  EXPECT_EQ(str(json["libfuzzer"]), "build-fuzz/json_fuzzer");
  EXPECT_FALSE(json["afl"]) << "no AFL++ build of json";
  EXPECT_EQ(str(lp["name"]), "lp");
  EXPECT_EQ(str(lp["run"][0]), "build-fuzz/fuzz_lp");
  EXPECT_EQ(str(lp["run"][1]), "@@");
  EXPECT_EQ(str(lp["libfuzzer"]), "build-fuzz/fuzz_lp");
  EXPECT_EQ(str(lp["afl"]), "build-afl/fuzz_lp");
  EXPECT_EQ(str(lp["dict"]), "build-fuzz/fuzz_lp.dict");
  EXPECT_EQ(fs::status(proj / "faultline.toml").permissions() & fs::perms::others_read, fs::perms::others_read);

  // Written elsewhere, the same binaries are named from there.
  fs::create_directories(d / "elsewhere");
  r = run_faultline({"init", proj.string(), "--output", (d / "elsewhere" / "m.toml").string()}, d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  toml::table m2 = toml::parse_file((d / "elsewhere" / "m.toml").string());
  const std::string afl = str(m2["target"][1]["afl"]);
  EXPECT_EQ(afl, "../proj/build-afl/fuzz_lp");
  EXPECT_TRUE(fs::equivalent(d / "elsewhere" / afl, proj / "build-afl" / "fuzz_lp"));
  EXPECT_EQ(str(m2["project"]["name"]), "elsewhere");
}

TEST(Init, RefusesToOverwriteWithoutForce) {
  ScratchDir d;
  const fs::path bin = d / "build" / "fuzz_lp";
  BUILD_OR_SKIP(d, "libfuzzer", bin);
  const fs::path manifest = d / "faultline.toml";
  write_file(manifest, "# mine\n");
  expect_one_line_error(run_faultline({"init", (d / "build").string(), "--output", manifest.string()}, d),
                        "already exists");
  EXPECT_EQ(read_file(manifest), "# mine\n");
  auto r = run_faultline({"init", (d / "build").string(), "--output", manifest.string(), "--force"}, d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(str(toml::parse_file(manifest.string())["target"][0]["run"][0]), "build/fuzz_lp") << read_file(manifest);
}

TEST(Init, ExitsTwoWithOneLineWhenNothingIsFoundOrTheDirectoryIsMissing) {
  ScratchDir d;
  fs::create_directories(d / "build");
  fs::copy_file("/bin/true", d / "build" / "true");
  const fs::path manifest = d / "faultline.toml";
  expect_one_line_error(run_faultline({"init", (d / "build").string(), "--output", manifest.string()}, d),
                        "LLVMFuzzerTestOneInput");
  EXPECT_FALSE(fs::exists(manifest));
  expect_one_line_error(run_faultline({"init", (d / "missing").string(), "--output", manifest.string()}, d),
                        "not a directory");
  expect_one_line_error(run_faultline({"init", "a", "b"}, d), "unexpected argument 'b'");
}

TEST(Init, HasAManualPage) {
  ScratchDir d;
  auto r = run_faultline({"init", "--help"}, d);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"faultline init - ", "LLVMFuzzerTestOneInput", "--output", "--force", "EXIT STATUS"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_NE(run_faultline({"--help"}, d).out.find("    init "), std::string::npos);
}

}  // namespace
}  // namespace faultline::test
