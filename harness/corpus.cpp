#include "corpus.h"

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

#include "argv_files.h"
#include "triage.h"
#include "version.h"

namespace faultline {

namespace {

Error sys_error(const fs::path& p, const std::string& what) {
  return Error{p.string() + ": " + what + ": " + std::strerror(errno)};
}

bool fsync_path(const fs::path& p, int flags) {
  int fd = open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

// The process umask, read without changing it (umask(2) only sets it, and
// setting it back races with other threads creating files).
mode_t process_umask() {
  static const mode_t mask = [] {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8) & 0777);
    return static_cast<mode_t>(022);
  }();
  return mask;
}

}  // namespace

Result<std::shared_ptr<RunLock>> RunLock::take(const fs::path& file, const std::string& what) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) return sys_error(file, "cannot create the lock");
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    (void)!pread(fd, holder, sizeof holder - 1, 0);
    close(fd);
    return Error{what + ": in use by another faultline (pid " + std::to_string(std::atol(holder)) +
                 "); give this run its own directory, or wait"};
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) { /* the lock holds without the note */ }
  return std::make_shared<RunLock>(fd);
}

RunLock::~RunLock() { close(fd_); }

std::string reproducer_dir_name(CrashClass cls, const std::string& stack_hash) {
  return std::string(to_string(cls)) + "-" + (stack_hash.empty() ? std::string("nohash") : stack_hash);
}

Result<bool> write_file_atomic(const fs::path& path, const std::string& bytes) {
  std::string tmpl = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return sys_error(path, "cannot create temporary file");
  // mkostemp makes it 0600; the file is published with the modes a new file
  // gets, so a shared corpora/ or report directory stays readable to the team.
  (void)fchmod(fd, 0666 & ~process_umask());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = sys_error(path, "write failed");
      close(fd);
      unlink(tmpl.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    Error e = sys_error(path, "fsync failed");
    unlink(tmpl.c_str());
    return e;
  }
  if (rename(tmpl.c_str(), path.c_str()) != 0) {
    Error e = sys_error(path, "rename failed");
    unlink(tmpl.c_str());
    return e;
  }
  fsync_path(path.parent_path().empty() ? fs::path(".") : path.parent_path(), O_RDONLY | O_DIRECTORY);
  return true;
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

std::string read_file(const fs::path& path, size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  std::string out;
  char buf[1 << 16];
  while (f && out.size() < max_bytes) {
    f.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, max_bytes - out.size())));
    out.append(buf, static_cast<size_t>(f.gcount()));
  }
  return out;
}

Result<std::string> read_regular_file(const fs::path& path, size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error{path.string() + ": cannot read: " + std::strerror(errno)};
  struct stat st {};
  std::string out;
  std::optional<Error> problem;
  if (fstat(fd, &st) != 0) problem = Error{path.string() + ": cannot read: " + std::strerror(errno)};
  else if (!S_ISREG(st.st_mode)) problem = Error{path.string() + ": not a regular file (a directory, FIFO, socket or device)"};
  else if (static_cast<uint64_t>(st.st_size) > max_bytes)
    problem = Error{path.string() + ": larger than " + std::to_string(max_bytes >> 20) + " MiB"};
  char buf[1 << 16];
  while (!problem && out.size() <= max_bytes) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) problem = Error{path.string() + ": cannot read: " + std::strerror(errno)};
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (!problem && out.size() > max_bytes)  // it grew while being read
    problem = Error{path.string() + ": larger than " + std::to_string(max_bytes >> 20) + " MiB"};
  if (problem) return *problem;
  return out;
}

std::vector<fs::path> sorted_entries(const fs::path& dir, bool regular_files_only) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    // Symbolic links are left out: a corpora directory from a pull request
    // must not make faultline read (or write) outside it.
    if (it->path().filename().string()[0] == '.' || it->is_symlink(type_ec) ||
        (regular_files_only && !it->is_regular_file(type_ec)))
      continue;
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string incoming_prefix(const std::string& kind) {
  return ".incoming-" + (kind.empty() ? std::string() : kind + "-") + std::to_string(getpid()) + "-";
}

void remove_entries_of_dead_writers(const fs::path& dir, const std::vector<std::string>& prefixes, bool nameless_too) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    size_t matched = 0;
    for (const auto& prefix : prefixes)
      if (name.rfind(prefix, 0) == 0) matched = std::max(matched, prefix.size());
    if (!matched) continue;
    // Its writer's pid; a name without one is from an older faultline.
    const char* rest = name.c_str() + matched;
    const long pid = std::isdigit(static_cast<unsigned char>(*rest)) ? std::strtol(rest, nullptr, 10) : 0;
    if (pid == getpid()) continue;                                                        // ours, being written
    if (pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue;  // its writer is alive
    if (pid > 0 || nameless_too) fs::remove_all(e.path(), ec);
  }
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

}  // namespace faultline
