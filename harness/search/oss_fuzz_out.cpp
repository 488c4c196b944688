#include "search/oss_fuzz_out.h"

#include "store/corpus.h"
#include "store/reproducer_json.h"
#include "search/fuzz_binaries.h"
#include "search/fuzz_engine.h"

namespace faultline {

namespace fs = std::filesystem;

namespace {

constexpr double kUnzipSeconds = 120;

// unzip skips absolute and "../" member paths by itself; the rlimits of a
// fenced child bound what a zip bomb can write.
Result<fs::path> unpack_seeds(const fs::path& zip, const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return Error{dir.string() + ": " + ec.message()};
  auto run = supervise({"unzip", "-qq", "-o", "-j", zip.string(), "-d", dir.string()}, "", "", {}, kUnzipSeconds);
  if (!run) return Error{zip.string() + ": cannot unpack: " + run.error().message};
  // unzip's 1 is "warnings" (e.g. a skipped ../ member): the rest is unpacked.
  if (run->end != RunResult::End::Exited || run->exit_code > 1)
    return Error{zip.string() + ": not a readable zip (unzip: " + run->err.tail.substr(0, 200) + ")"};
  return dir;
}

}  // namespace

Result<Manifest> manifest_from_oss_fuzz_out(const fs::path& out_dir, const fs::path& corpora) {
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) return Error{out_dir.string() + ": no such $OUT directory"};
  SearchLimits flat;
  flat.max_depth = 0;  // $OUT is flat; its subdirectories are the build's own
  auto found = find_fuzz_binaries(out_dir, flat);
  if (!found) return found.error();
  Manifest m;
  m.file = fs::absolute(out_dir).lexically_normal();
  m.root = m.file;
  m.name = m.root.filename().string();
  m.corpora = fs::absolute(corpora);
  for (const auto& p : builtin_profiles()) m.profiles[p.name] = p;
  for (const auto& b : found->binaries) {
    ManifestTarget t;
    t.name = b.path.filename().string();
    if (!valid_target_name(t.name) || m.target(t.name)) continue;
    // A baked-profile variant (scripts/oss-fuzz/build.sh) is its base fuzzer
    // under a profile the campaign already runs it under.
    if (t.name.find("_faultline_") != std::string::npos) continue;
    const fs::path binary = fs::absolute(b.path);
    t.run = t.written_run = {binary.string(), kInputPlaceholder};
    (b.engine == "afl" ? t.afl : t.libfuzzer) = binary;
    t.dict = b.dict;
    t.options = b.options;
    if (!b.seed_zip.empty()) {
      auto seeds = unpack_seeds(b.seed_zip, m.corpora / t.name / ".oss-fuzz-seeds");
      if (!seeds) return seeds.error();
      t.seeds = seeds.value();
    }
    for (const auto& [name, p] : m.profiles)
      if (!t.engine_binary(p.engine).empty()) t.profiles.push_back(name);
    m.targets.push_back(std::move(t));
  }
  if (m.targets.empty()) return Error{out_dir.string() + ": no fuzzer (an executable defining LLVMFuzzerTestOneInput) in it"};
  return m;
}

}  // namespace faultline
