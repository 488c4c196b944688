// Fuzz binary discovery, on real binaries: faultline's
// own libFuzzer and AFL++ trees, and harnesses compiled here, outside the
// faultline tree, the way a user's project builds them.
#include <sys/stat.h>

#include "corpus.h"
#include "engines.h"
#include "fuzz_binaries.h"
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

void make_executable(const fs::path& p) { fs::permissions(p, fs::perms::owner_exec, fs::perm_options::add); }

std::vector<FuzzBinary> found_under(const fs::path& dir) {
  auto search = find_fuzz_binaries(dir);
  EXPECT_TRUE(search.ok()) << (search.ok() ? "" : search.error().message);
  return search.ok() ? search->binaries : std::vector<FuzzBinary>{};
}

// Every fuzz-<stem> in the engine's build tree is found as that engine's, with
// its <stem>.dict; the standalone target-<stem> drivers beside them are not.
void expect_engine_tree_found(const char* engine_name) {
  const FuzzEngine* engine = fuzz_engine_by_name(engine_name);
  const fs::path bin = engine_bin_dir(*engine);
  std::vector<fs::path> expected;
  for (const fs::path& p : sorted_entries(bin, true))
    if (p.filename().string().rfind("fuzz-", 0) == 0) expected.push_back(p);
  if (expected.empty())
    GTEST_SKIP() << "no fuzz-* in " << bin << ": build it with `cmake --preset " << engine->preset
                 << " && cmake --build --preset " << engine->preset << "`";
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

TEST(FuzzBinaries, FindsFaultlinesOwnLibFuzzerBuilds) { expect_engine_tree_found("libfuzzer"); }

TEST(FuzzBinaries, FindsFaultlinesOwnAflBuilds) { expect_engine_tree_found("afl"); }

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

}  // namespace
}  // namespace faultline::test
