#include "cli/starter_manifest.h"

#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace faultline {

namespace {

bool is_pairable(const FuzzBinary& b) { return b.engine == "libfuzzer" || b.engine == "afl"; }

fs::path& engine_slot(StarterTarget& t, const std::string& engine) {
  return engine == "afl" ? t.afl : t.libfuzzer;
}

// A stem's binaries (sorted by path) as targets, before naming.
std::vector<StarterTarget> targets_of_stem(const std::vector<const FuzzBinary*>& binaries) {
  std::vector<StarterTarget> targets;
  std::vector<bool> pairable;  // per target: built from libFuzzer/AFL++ binaries
  for (const FuzzBinary* b : binaries) {
    // Join the first target still missing this engine's build; a binary of
    // an unknown engine stands alone (nothing to pair it with).
    size_t i = 0;
    while (i < targets.size() && !(is_pairable(*b) && pairable[i] && engine_slot(targets[i], b->engine).empty())) i++;
    if (i == targets.size()) {
      targets.emplace_back();
      pairable.push_back(is_pairable(*b));
    }
    StarterTarget& t = targets[i];
    if (is_pairable(*b)) engine_slot(t, b->engine) = b->path;
    else t.run = b->path;
    // The libFuzzer build's dictionary wins: `run` is that binary too.
    if (!b->dict.empty() && (t.dict.empty() || b->engine == "libfuzzer")) t.dict = b->dict;
  }
  for (StarterTarget& t : targets)
    if (t.run.empty()) t.run = t.libfuzzer.empty() ? t.afl : t.libfuzzer;
  return targets;
}

std::string unique_name(const std::string& base, std::set<std::string>& used) {
  std::string name = base;
  for (int n = 2; !used.insert(name).second; n++) name = base + "-" + std::to_string(n);
  return name;
}

toml::table target_table(const StarterTarget& t, const fs::path& dir) {
  toml::table table{{"name", t.name}, {"run", toml::array{manifest_relative(t.run, dir), "@@"}}};
  if (!t.libfuzzer.empty()) table.insert("libfuzzer", manifest_relative(t.libfuzzer, dir));
  if (!t.afl.empty()) table.insert("afl", manifest_relative(t.afl, dir));
  if (!t.dict.empty()) table.insert("dict", manifest_relative(t.dict, dir));
  return table;
}

const char* const kHeader =
    "# faultline manifest, started by `faultline init` from the fuzz binaries it found.\n"
    "# Paths are relative to this file; \"@@\" in `run` is the input file. Add per target\n"
    "# `timeout`, `profiles`, `explore` and `stack` tables, and [profile.NAME] schedules.\n\n";

}  // namespace

std::string target_name_from(const std::string& text) {
  std::string name = text;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  return name.empty() ? "target" : name;
}

std::vector<StarterTarget> starter_targets(const std::vector<FuzzBinary>& binaries) {
  std::map<std::string, std::vector<const FuzzBinary*>> by_stem;
  for (const FuzzBinary& b : binaries) by_stem[b.stem].push_back(&b);
  std::vector<StarterTarget> out;
  std::set<std::string> used;
  for (const auto& [stem, group] : by_stem)
    for (StarterTarget& t : targets_of_stem(group)) {
      t.name = unique_name(target_name_from(stem), used);
      out.push_back(std::move(t));
    }
  return out;
}

std::string manifest_relative(const fs::path& path, const fs::path& manifest_dir) {
  std::error_code ec;
  // Canonical directories on both sides (a symlinked /tmp, a `..`), but the
  // file's own name kept: a symlinked binary stays the name the user gave it.
  const fs::path dir = fs::weakly_canonical(fs::absolute(manifest_dir, ec), ec);
  const fs::path file = fs::weakly_canonical(fs::absolute(path, ec).parent_path(), ec) / path.filename();
  const fs::path relative = file.lexically_relative(dir);
  if (relative.empty()) return file.string();
  // A bare name in `run` would be looked up in PATH: "./fuzz-x" is the file here.
  return relative.string().find('/') == std::string::npos ? "./" + relative.string() : relative.string();
}

Result<std::string> starter_manifest(const std::string& project_name, const std::vector<StarterTarget>& targets,
                                     const fs::path& manifest_dir) {
  toml::array target_array;
  for (const StarterTarget& t : targets) target_array.push_back(target_table(t, manifest_dir));
  toml::table root{{"project", toml::table{{"name", project_name}, {"corpora", "corpora"}}},
                   {"target", std::move(target_array)}};
  std::ostringstream text;
  text << kHeader << root << "\n";
  try {
    (void)toml::parse(text.str());
  } catch (const toml::parse_error& e) {
    return Error{"the manifest would not parse back (a path that is not UTF-8?): " + std::string(e.description())};
  }
  return text.str();
}

}  // namespace faultline
