// Fuzz binaries a user already built, found by reading ELF symbol tables
// (libelf), never by running them: an executable that defines
// LLVMFuzzerTestOneInput is a fuzz target; AFL++'s runtime (__afl_*) or
// libFuzzer's own code (fuzzer::, LLVMFuzzerRunDriver) says which engine.
// Beside each binary, OSS-Fuzz's $OUT convention gives its dictionary,
// options and seed corpus. For `init`, and for a campaign over an $OUT.
#pragma once
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace faultline {

namespace fs = std::filesystem;

struct FuzzBinary {
  fs::path path;       // as found under the searched directory
  std::string engine;  // "libfuzzer", "afl" or "unknown" (defines the entry, links neither)
  std::string stem;    // file name without fuzz-/fuzz_ prefix and _fuzzer/_fuzz/-fuzzer/-fuzz suffix
  // Beside the binary when present (else empty): <name>.dict, <name>.options,
  // <name>_seed_corpus.zip, where <name> is the file name, or else the stem
  // (faultline's own trees put fuzz-<stem> beside <stem>.dict).
  fs::path dict, options, seed_zip;
};

// How far a search goes: a build tree can be huge, and a pointed-at $HOME
// must not take minutes.
struct SearchLimits {
  int max_depth = 6;              // directory levels below the searched one
  size_t max_entries = 200000;    // directory entries looked at, in all
  size_t max_elf_files = 20000;   // executable files opened
};

struct FuzzBinarySearch {
  std::vector<FuzzBinary> binaries;  // sorted by path
  bool truncated = false;            // a limit was hit: there may be more
};

// Recursive search of dir: regular executable files (symlinks followed, each
// file and directory visited once, so loops end), skipping hidden entries and
// CMakeFiles/. Files that are not ELF, are truncated or corrupt are skipped.
// Error only when dir itself is not a readable directory.
Result<FuzzBinarySearch> find_fuzz_binaries(const fs::path& dir, const SearchLimits& limits = {});

// The engine of one file if it is a fuzz binary (an ELF executable that
// defines LLVMFuzzerTestOneInput), else nullopt. Never throws.
std::optional<std::string> fuzz_binary_engine(const fs::path& file);

// "fuzz-png" -> "png", "png_read_fuzzer" -> "png_read"; the name itself if
// stripping would leave nothing.
std::string fuzz_binary_stem(const std::string& file_name);

}  // namespace faultline
