// faultline.toml: a project's targets, the commands that run them, their
// fuzzing builds, and the injector profiles they are fuzzed under. The one
// place a command to run comes from (DESIGN.md trust model): a reproducer
// names its target, the manifest says how to run it. Paths in the file are
// relative to the file; children run in the manifest's directory.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/nesting.h"
#include "base/result.h"

namespace faultline {

// `stack = {...}`: how deep nesting must be to exhaust each stack size.
struct StackTable {
  // The input at depth d: open×d + leaf + close×d (with sep between levels;
  // `template` sets open and close), or a generator's output.
  Nesting nesting;
  std::string generator;            // "" or "nested-source" (see nested_source.h)
  std::vector<std::string> shapes;  // the generator's shapes, one curve each
  uint64_t seed = 1;                // the generator's filler
  std::vector<uint64_t> sizes;      // stack budgets, bytes
  std::string shrink = "both";      // which stacks get the size: main, threads or both
  uint64_t max_depth = 100000;
  std::vector<std::string> extra_args;  // inserted after run[0] (e.g. a driver's --main-thread)
};

// `explore = {...}`: a malloc-signal explore of `run`.
struct ExploreTable {
  std::string signal = "SIGPROF";
  int signo = 27;  // signal, as a number
  int max_runs = 100;
  int thread = 0;
  std::filesystem::path input;  // "" : the first seed when `run` takes @@
  std::string process;          // "" : the process `run` starts (explore --process)
  std::string in_function;      // "" : the allocator (explore --in)
};

struct FuzzProfile {
  std::string name, engine, schedule;  // schedule: canonical line
};

struct ManifestTarget {
  std::string name;
  std::vector<std::string> run;    // run[0] resolved (absolute, or found in PATH)
  std::vector<std::string> written_run;  // as the manifest writes it: what reproducers note
  std::filesystem::path libfuzzer, afl, dict, options, seeds;  // "" when not given
  double timeout_seconds = 10;
  std::vector<std::string> profiles;  // resolved: explicit, or every profile whose engine it has
  std::optional<ExploreTable> explore;
  std::optional<StackTable> stack;
  // The engine's binary ("" when the target has none for that engine).
  const std::filesystem::path& engine_binary(const std::string& engine) const;
};

struct Manifest {
  std::filesystem::path file;  // absolute
  std::filesystem::path root;  // its directory: where relative paths start and children run
  std::string name;
  std::filesystem::path corpora;  // absolute
  std::vector<ManifestTarget> targets;
  std::map<std::string, FuzzProfile> profiles;  // built-in ones, overridden or added to by the file
  const ManifestTarget* target(const std::string& name) const;
};

// The profiles every project has unless its manifest overrides them.
const std::vector<FuzzProfile>& builtin_profiles();

// Reads and validates FILE. Errors are one line: "FILE:LINE: key 'K': problem".
Result<Manifest> load_manifest(const std::filesystem::path& file);
// The same from text already read (the file name is for messages and paths).
Result<Manifest> parse_manifest(const std::string& text, const std::filesystem::path& file);

// ./faultline.toml, or the nearest one in a directory above (as cargo finds Cargo.toml).
std::optional<std::filesystem::path> manifest_here_or_above();
// The manifest a command uses: --project FILE, else manifest_here_or_above().
// The error says how to write one when there is none.
Result<Manifest> find_manifest(const std::optional<std::string>& project_option);

}  // namespace faultline
