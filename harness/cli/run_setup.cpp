#include "cli/run_setup.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "store/argv_files.h"
#include "triage/dedup.h"
#include "base/shell_words.h"
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline::cli {

Result<std::string> injector_for(bool enabled) {
  if (!enabled) return std::string();
  const char* env = std::getenv("FAULTLINE_INJECT_LIB");
  std::string lib = env && *env ? env : default_inject_library();
  if (access(lib.c_str(), R_OK) != 0)
    return Error{lib + ": injector library not found (build it, set FAULTLINE_INJECT_LIB, or pass --no-inject)"};
  return lib;
}

namespace {
std::optional<std::string> project_option(const Invocation& inv) {
  if (!inv.options.count("project")) return std::nullopt;
  return inv.options["project"].as<std::string>();
}
}  // namespace

Result<std::optional<Manifest>> project_if_any(const Invocation& inv) {
  if (!inv.options.count("project") && !manifest_here_or_above()) return std::optional<Manifest>();
  auto m = find_manifest(project_option(inv));
  if (!m) return m.error();
  return std::optional<Manifest>(std::move(m.value()));
}

Result<Manifest> project_required(const Invocation& inv) { return find_manifest(project_option(inv)); }

Result<Shard> shard_option(const Invocation& inv) {
  if (!inv.options.count("shard")) return Shard{};
  const std::string text = inv.options["shard"].as<std::string>();
  unsigned long long k = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%llu/%llu%c", &k, &n, &tail) != 2 || n < 1 || n > 10000 || k < 1 || k > n)
    return Error{"--shard must be K/N with 1 <= K <= N <= 10000 (e.g. 2/4)"};
  return Shard{k - 1, n};
}

Result<bool> output_options_writable(const Invocation& inv) {
  namespace fs = std::filesystem;
  auto writable_dir = [](const fs::path& dir) { return access(dir.empty() ? "." : dir.c_str(), W_OK | X_OK) == 0; };
  std::error_code ec;
  if (inv.options.count("report")) {
    const fs::path file = inv.options["report"].as<std::string>();
    const fs::path dir = fs::absolute(file, ec).parent_path();
    if (fs::is_directory(file, ec)) return Error{"--report " + file.string() + ": a directory, not a file"};
    if (!fs::is_directory(dir, ec)) return Error{"--report " + file.string() + ": its directory " + dir.string() + " does not exist"};
    if (!writable_dir(dir)) return Error{"--report " + file.string() + ": cannot write in " + dir.string() + ": " + std::strerror(errno)};
  }
  if (inv.options.count("out")) {
    const fs::path out = inv.options["out"].as<std::string>();
    fs::path existing = fs::absolute(out, ec);
    while (!fs::exists(fs::symlink_status(existing, ec)) && existing.has_relative_path()) existing = existing.parent_path();
    if (!fs::is_directory(existing, ec))
      return Error{"--out " + out.string() + ": " + existing.string() + " is not a directory"};
    if (!writable_dir(existing)) return Error{"--out " + out.string() + ": cannot write in " + existing.string() + ": " + std::strerror(errno)};
  }
  return true;
}

Result<bool> admit_reproducer(Reproducer& r, const std::filesystem::path& dir, const std::optional<Manifest>& project,
                              bool trust_argv) {
  if (!r.target.empty()) return true;
  std::error_code ec;
  const auto path = std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec);
  const auto repro_dir = path.filename() == "repro.json" ? path.parent_path() : path;
  if (project) {
    const auto regressions = repro_dir.parent_path();
    const std::string owner = regressions.parent_path().filename().string();
    if (regressions.filename() == "regressions" && project->target(owner)) {
      r.target = owner;
      return true;
    }
    // The command as it ran: argv[0] as resolved at capture.
    std::vector<std::string> command = r.argv;
    if (!command.empty() && !r.executable.empty()) command[0] = r.executable;
    for (const auto& t : project->targets)
      if (t.run == command || t.written_run == r.argv) {
        r.target = t.name;
        return true;
      }
  }
  if (trust_argv) return true;
  std::string words;
  for (const auto& a : r.argv) words += (words.empty() ? "" : " ") + shell_word(a);
  return Error{(repro_dir / "repro.json").string() + ": names no target, only a command (" + words +
               "); faultline runs a command a file gives only with --trust-argv, or when a target of the project (--project) "
               "runs exactly that command"};
}

Result<std::optional<Nesting>> nesting_option(const Invocation& inv) {
  const auto& o = inv.options;
  auto text = [&](const char* name) { return o.count(name) ? o[name].as<std::string>() : std::string(); };
  const bool pair = o.count("open") || o.count("close"), tmpl = o.count("template");
  if (!pair && !tmpl) {
    if (o.count("leaf") || o.count("sep")) return Error{"--leaf and --sep need --open and --close, or --template"};
    return std::optional<Nesting>();
  }
  if (pair && tmpl) return Error{"give either --open/--close or --template, not both"};
  Nesting n{text("open"), text("close"), text("leaf"), text("sep")};
  if (tmpl) {
    auto split = nesting_from_template(text("template"), n.leaf, n.sep);
    if (!split) return Error{"--template: " + split.error().message};
    n = split.value();
  } else if (!o.count("open") || !o.count("close")) {
    return Error{"--open and --close go together (either may be '', not both)"};
  }
  if (n.open.empty() && n.close.empty()) return Error{"a nesting level needs some text: --open and --close are both empty"};
  return std::optional<Nesting>(n);
}

Result<ProgramSpec> program_spec(const Invocation& inv) {
  const auto& o = inv.options;
  ProgramSpec spec;
  Reproducer& repro = spec.repro;
  if (o.count("target")) {
    if (!inv.program.empty()) return Error{"give either --target or `-- PROGRAM`, not both"};
    auto project = project_required(inv);
    if (!project) return project.error();
    repro.target = o["target"].as<std::string>();
    const ManifestTarget* t = project->target(repro.target);
    if (!t) return Error{"--target: " + project->file.string() + " declares no target '" + repro.target + "'"};
    repro.argv = t->written_run;
    repro.timeout_seconds = t->timeout_seconds;
    spec.project = std::move(project.value());
  } else {
    if (inv.program.empty()) return Error{"no program given (--target NAME or `-- PROGRAM [ARGS...]`)"};
    repro.argv = inv.program;
    std::error_code ec;
    record_invocation(repro, std::filesystem::current_path(ec));  // so it replays from anywhere
  }
  std::string input_path;
  if (o.count("input")) {
    input_path = o["input"].as<std::string>();
    auto text = read_regular_file(input_path);
    if (!text) return Error{"--input " + text.error().message};
    spec.input = std::move(text.value());
  }
  const bool has_placeholder = std::find(repro.argv.begin(), repro.argv.end(), kInputPlaceholder) != repro.argv.end();
  // A target's command runs without its @@ arguments when there is no input.
  if (has_placeholder && !spec.input && repro.target.empty())
    return Error{"the command line has @@ but no --input FILE was given"};
  repro.input = !spec.input ? InputMode::None : has_placeholder ? InputMode::File : InputMode::Stdin;
  if (o.count("timeout")) repro.timeout_seconds = o["timeout"].as<double>();
  if (!seconds_in_range(repro.timeout_seconds)) return Error{"--timeout must be a number of seconds in (0, 604800]"};

  auto req = request_for(repro, input_path.empty() ? "" : std::filesystem::absolute(input_path).string(),
                         spec.project ? &*spec.project : nullptr);
  if (!req) return req.error();
  spec.request = req.value();
  spec.request.limits.timeout_seconds = repro.timeout_seconds;  // --timeout over the manifest's
  auto lib = injector_for(!o.count("no-inject"));
  if (!lib) return lib.error();
  spec.request.inject_library = lib.value();
  return spec;
}

}  // namespace faultline::cli
