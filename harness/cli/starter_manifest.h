// The starter faultline.toml `faultline init` writes: the fuzz binaries found
// in a build tree, paired into targets (a libFuzzer and an AFL++ build of the
// same stem are one target), serialized with toml++.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "search/fuzz_binaries.h"
#include "base/result.h"

namespace faultline {

namespace fs = std::filesystem;

struct StarterTarget {
  std::string name;  // [A-Za-z0-9_-]+, unique in the manifest
  fs::path run;      // runs one input given as a file: the libFuzzer build, else the AFL++ one, else the binary
  fs::path libfuzzer, afl, dict;  // empty when absent
};

// Per stem, the first libFuzzer and the first AFL++ binary share a target;
// every other binary (a second build for the same engine, an engine faultline
// does not drive) gets its own, named <stem>-2, <stem>-3, ...
std::vector<StarterTarget> starter_targets(const std::vector<FuzzBinary>& binaries);

// "my project" -> "my_project": what a manifest accepts as a target name.
std::string target_name_from(const std::string& text);

// The manifest text: a short comment header, then [project] and one
// [[target]] per target, every path relative to manifest_dir. Checked by
// parsing it back (an error if a path cannot be TOML, e.g. not UTF-8).
Result<std::string> starter_manifest(const std::string& project_name, const std::vector<StarterTarget>& targets,
                                     const fs::path& manifest_dir);

// path as written in a manifest in manifest_dir: relative to it.
std::string manifest_relative(const fs::path& path, const fs::path& manifest_dir);

}  // namespace faultline
