#include "store/corpus.h"

#include <fcntl.h>
#include <gnu/libc-version.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/files.h"
#include "store/argv_files.h"
#include "triage/triage.h"
#include "base/version.h"

namespace faultline {



std::string reproducer_dir_name(CrashClass cls, const std::string& stack_hash) {
  return std::string(to_string(cls)) + "-" + (stack_hash.empty() ? std::string("nohash") : stack_hash);
}


std::optional<Error> symlinked_corpora(const fs::path& target_dir) {
  for (const fs::path& p : {target_dir, target_dir / "seeds", target_dir / "regressions", target_dir / "corpus"}) {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(p, ec)))
      return Error{p.string() + ": a symbolic link; faultline writes here and follows none (make it a directory)"};
  }
  return std::nullopt;
}

Result<Reproducer> load_reproducer(const fs::path& dir) {
  std::error_code ec;
  const fs::path file = fs::is_directory(dir, ec) ? dir / "repro.json" : dir;
  // Untrusted: a regular file (not a link to /dev/zero), read at most 1 MiB.
  if (!fs::is_regular_file(fs::symlink_status(file, ec)))
    return Error{file.string() + ": not a regular file (missing, or a symbolic link)"};
  constexpr size_t kMaxReproBytes = 1 << 20;
  auto text = read_regular_file(file, kMaxReproBytes);
  if (!text) return text.error();
  auto r = parse_reproducer_json(text.value());
  if (!r) return Error{file.string() + ": " + r.error().message};
  if (r->input != InputMode::None && !fs::exists(file.parent_path() / "input"))
    return Error{(file.parent_path() / "input").string() + ": missing (repro.json says the program reads an input)"};
  find_stored_argv_files(r.value(), file.parent_path());
  return r;
}

Result<Stored> store_reproducer(const fs::path& out_dir, const Reproducer& r, const std::optional<std::string>& input) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Error{out_dir.string() + ": cannot create directory: " + ec.message()};
  const fs::path final_dir = out_dir / reproducer_dir_name(r.expected_class, r.expected_hash);
  if (fs::exists(final_dir / "repro.json")) return Stored{final_dir, true, {}};
  // Build it under a temporary name, then publish it with one rename.
  std::string tmpl = (out_dir / (incoming_prefix() + "XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) return sys_error(out_dir, "cannot create temporary directory");
  (void)chmod(tmpl.c_str(), 0777 & ~process_umask());  // mkdtemp's 0700, as write_file_atomic's files
  const fs::path tmp(tmpl);
  auto fail = [&](Error e) -> Result<Stored> {
    fs::remove_all(tmp, ec);
    return e;
  };
  if (input) {
    if (auto w = write_file_atomic(tmp / "input", *input); !w) return fail(w.error());
  }
  Reproducer with_files = r;
  std::vector<std::string> not_stored;
  if (r.target.empty()) {
    auto stored = store_argv_files(with_files, tmp);
    if (!stored) return fail(stored.error());
    not_stored = std::move(stored.value());
  }
  if (auto w = write_file_atomic(tmp / "repro.json", reproducer_json_text(with_files)); !w) return fail(w.error());
  if (rename(tmp.c_str(), final_dir.c_str()) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST) {  // another writer got there first
      fs::remove_all(tmp, ec);
      return Stored{final_dir, true, {}};
    }
    return fail(sys_error(final_dir, "rename failed"));
  }
  fsync_path(out_dir, O_RDONLY | O_DIRECTORY);
  return Stored{final_dir, false, not_stored};
}

std::string not_stored_note(const Stored& s) {
  if (s.not_stored.empty()) return "";
  std::string note = "input files not stored with the reproducer (a replay needs them where argv names them): ";
  for (size_t i = 0; i < s.not_stored.size(); i++) note += (i ? "; " : "") + s.not_stored[i];
  return note;
}




void remove_unfinished_reproducers(const fs::path& out_dir) {
  remove_entries_of_dead_writers(out_dir, {".incoming-", ".incoming-core-"}, true);
}

Result<bool> rewrite_reproducer(const fs::path& dir, const Reproducer& r) {
  return write_file_atomic(dir / "repro.json", reproducer_json_text(r));
}

namespace {

// stored_in: the reproducer's directory, when it is a stored one.
Result<RunRequest> request_in(const Reproducer& r, const std::string& input_path, const Manifest* project,
                              const fs::path* stored_in) {
  RunRequest req;
  auto schedule = Schedule::parse(r.schedule);
  if (!schedule) return schedule.error();
  req.schedule = schedule.value();
  req.argv = r.argv;
  req.limits.timeout_seconds = r.timeout_seconds;
  if (stored_in) {
    if (auto bound = bind_invocation(r, *stored_in, req); !bound) return bound.error();
  }
  if (!r.target.empty()) {
    const ManifestTarget* t = project ? project->target(r.target) : nullptr;
    if (!t)
      return Error{"the reproducer names target '" + r.target + "', which " +
                   (project ? project->file.string() + " does not declare" : std::string("needs its project: give --project FILE"))};
    req.argv = t->run;
    if (!r.engine.empty()) {
      const fs::path& binary = t->engine_binary(r.engine);
      if (binary.empty()) return Error{"target '" + r.target + "' has no " + r.engine + " binary in " + project->file.string()};
      req.argv = {binary.string(), kInputPlaceholder};
    }
    req.cwd = project->root.string();
  }
  // The command decides how the input goes in: as the file @@ names, else on stdin.
  const bool has_input = r.input != InputMode::None && !input_path.empty();
  std::vector<std::string> argv;
  bool bound = false;
  for (auto& a : req.argv) {
    if (a != kInputPlaceholder) argv.push_back(a);
    else if (has_input) argv.push_back(input_path), bound = true;
  }
  req.argv = std::move(argv);
  if (has_input && !bound) req.stdin_path = input_path;
  return req;
}

}  // namespace

Result<RunRequest> request_for(const Reproducer& r, const std::string& input_path, const Manifest* project) {
  return request_in(r, input_path, project, nullptr);
}

Result<RunRequest> request_for(const Reproducer& r, const fs::path& dir, const Manifest* project) {
  return request_in(r, fs::absolute(dir / "input").string(), project, &dir);
}

nlohmann::json environment_facts(const CrashReport& report) {
  utsname u{};
  uname(&u);
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const CrashReport::AllocatorServing* served = serving_allocator(report);
  nlohmann::json facts = {{"faultline_version", version()},
          {"libc", std::string("glibc ") + gnu_get_libc_version()},
          {"allocator", served ? served->served.name : "unknown"},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"machine", u.machine},
          {"captured", when}};
  if (served) facts["allocator_library"] = served->served.library, facts["allocator_how"] = served->how;
  return facts;
}

Result<fs::path> keep_core(CoreFile& core, const fs::path& repro_dir, bool replace) {
  const fs::path dest = repro_dir / "core";
  std::error_code ec;
  if (core.path.empty()) return Error{"no core: " + core.error};
  if (!replace && fs::exists(fs::symlink_status(dest, ec))) return dest;  // the bucket's first core stays
  if (rename(core.path.c_str(), dest.c_str()) != 0)
    return Error{dest.string() + ": cannot move the core in: " + std::strerror(errno)};
  core.path = dest;
  core.kept = true;
  if (const int dir = open(repro_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    fsync(dir);
    close(dir);
  }
  auto repro = load_reproducer(repro_dir);
  if (!repro) return repro.error();
  if (repro->core != "core") {
    repro->core = "core";
    if (auto w = rewrite_reproducer(repro_dir, repro.value()); !w) return w.error();
  }
  return dest;
}

}  // namespace faultline
