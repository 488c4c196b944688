// faultline init: a starter faultline.toml from the fuzz binaries in a build
// tree, so a first campaign needs no hand-written manifest.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "store/corpus.h"
#include "cli/starter_manifest.h"

namespace faultline::cli {

namespace {

namespace fs = std::filesystem;

// Why output must not be written, or "" when it may.
std::string refusal_to_write(const fs::path& output, bool force) {
  std::error_code ec;
  const fs::path parent = output.parent_path().empty() ? "." : output.parent_path();
  if (!fs::is_directory(parent, ec)) return parent.string() + ": no such directory (for --output)";
  if (!fs::exists(fs::symlink_status(output, ec))) return "";
  if (fs::is_directory(fs::status(output, ec))) return output.string() + ": is a directory (give --output FILE)";
  return force ? "" : output.string() + ": already exists (--force replaces it)";
}

std::string project_name_for(const fs::path& manifest_dir) {
  std::error_code ec;
  const std::string name = fs::weakly_canonical(fs::absolute(manifest_dir, ec), ec).filename().string();
  return name.empty() ? "project" : name;
}

void print_found(const FuzzBinarySearch& search) {
  std::printf("found %zu fuzz binar%s:\n", search.binaries.size(), search.binaries.size() == 1 ? "y" : "ies");
  for (const FuzzBinary& b : search.binaries)
    std::printf("  %-9s  %s%s\n", b.engine.c_str(), b.path.c_str(), b.dict.empty() ? "" : "  (with dict)");
  if (search.truncated)
    std::printf("  (search limit reached: there may be more; point BUILD_DIR at the build tree itself)\n");
}

std::string builds_of(const StarterTarget& t) {
  if (!t.libfuzzer.empty() && !t.afl.empty()) return "libfuzzer + afl";
  if (!t.libfuzzer.empty()) return "libfuzzer";
  return t.afl.empty() ? "run only" : "afl";
}

void print_targets(const std::vector<StarterTarget>& targets, const fs::path& output) {
  std::printf("wrote %s: %zu target%s\n", output.c_str(), targets.size(), targets.size() == 1 ? "" : "s");
  for (const StarterTarget& t : targets) std::printf("  %-20s %s\n", t.name.c_str(), builds_of(t).c_str());
}

}  // namespace

int cmd_init(const Invocation& inv) {
  const fs::path build_dir = inv.operands.empty() ? "." : inv.operands[0];
  const fs::path output = inv.options["output"].as<std::string>();
  if (output.empty()) return bad_input(inv, "--output must name a file");
  if (auto refusal = refusal_to_write(output, inv.options.count("force")); !refusal.empty())
    return bad_input(inv, refusal);
  auto search = find_fuzz_binaries(build_dir);
  if (!search) return bad_input(inv, search.error().message);
  if (search->binaries.empty())
    return bad_input(inv, "no fuzz binaries under " + build_dir.string() +
                              ": looked for executables defining LLVMFuzzerTestOneInput (libFuzzer, AFL++)" +
                              (search->truncated ? " and stopped at the search limit" : ""));
  const fs::path manifest_dir = fs::absolute(output).parent_path();
  print_found(search.value());
  const auto targets = starter_targets(search->binaries);
  auto text = starter_manifest(project_name_for(manifest_dir), targets, manifest_dir);
  if (!text) return bad_input(inv, output.string() + ": " + text.error().message);
  if (auto w = write_file_atomic(output, text.value()); !w) return bad_input(inv, w.error().message);
  print_targets(targets, output);
  return kExitClean;
}

}  // namespace faultline::cli
