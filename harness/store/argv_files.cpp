#include "store/argv_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/allocators.h"
#include "base/files.h"
#include "base/text.h"

namespace faultline {

namespace fs = std::filesystem;

namespace {

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// The file's bytes, or why it is not stored: it is read once, by one open, so
// what is checked (a regular file, its size) is what is read.
Result<std::string> read_argv_file(const fs::path& source, uint64_t budget) {
  int fd = open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error{std::string("unreadable: ") + std::strerror(errno)};
  struct stat st {};
  std::string bytes;
  std::string why;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) why = "not a regular file";
  else if (static_cast<uint64_t>(st.st_size) > kMaxArgvFileBytes) why = "larger than " + mib(kMaxArgvFileBytes);
  else if (static_cast<uint64_t>(st.st_size) > budget) why = "over the " + mib(kMaxArgvFilesBytes) + " the argv files of one reproducer may take";
  else {
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = read(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        why = std::string("unreadable: ") + std::strerror(errno);
        break;
      }
      if (n == 0) break;  // it shrank since fstat: what is there is what the program would read now
      done += static_cast<size_t>(n);
    }
    bytes.resize(done);
  }
  close(fd);
  if (!why.empty()) return Error{why};
  return bytes;
}

}  // namespace

void record_invocation(Reproducer& r, const fs::path& cwd) {
  r.cwd = cwd.string();
  const std::string exe = resolve_program(r.argv[0], r.cwd);
  r.executable = exe.starts_with("/") && access(exe.c_str(), X_OK) == 0 ? exe : "";
  r.argv_files.clear();
  std::error_code ec;
  for (size_t i = 1; i < r.argv.size(); i++) {
    const std::string& arg = r.argv[i];
    if (arg.empty() || arg == kInputPlaceholder) continue;
    std::string path = arg;
    if (arg[0] == '-') {  // --opt=FILE (and -o=FILE); an option without '=' is no file
      const size_t eq = arg.find('=');
      if (eq == std::string::npos || eq + 1 == arg.size()) continue;
      path = arg.substr(eq + 1);
    }
    const fs::path full = path[0] == '/' ? fs::path(path) : cwd / path;
    if (!fs::is_regular_file(full, ec)) continue;
    r.argv_files.push_back({i, path, "", "", full.string()});
  }
}

Result<std::vector<std::string>> store_argv_files(Reproducer& r, const fs::path& dir) {
  std::vector<std::string> not_stored;
  uint64_t total = 0;
  for (auto& f : r.argv_files) {
    f.stored.clear();
    auto bytes = f.source.empty() ? Result<std::string>(Error{f.not_stored.empty() ? "not stored" : f.not_stored})
                                  : read_argv_file(f.source, kMaxArgvFilesBytes - total);
    if (!bytes) {
      f.not_stored = bytes.error().message;
      not_stored.push_back("argv[" + std::to_string(f.index) + "] " + f.path + ": " + f.not_stored);
      continue;
    }
    total += bytes->size();
    const std::string name = argv_file_name(f.index, f.path);
    if (auto w = write_file_atomic(dir / name, bytes.value()); !w) return w.error();
    f.stored = name;
    f.not_stored.clear();
  }
  return not_stored;
}

void find_stored_argv_files(Reproducer& r, const fs::path& dir) {
  std::error_code ec;
  for (auto& f : r.argv_files) {
    f.source.clear();
    if (!f.stored.empty() && fs::is_regular_file(fs::symlink_status(dir / f.stored, ec))) f.source = (dir / f.stored).string();
  }
}

Result<bool> bind_invocation(const Reproducer& r, const fs::path& dir, RunRequest& req) {
  if (!r.target.empty() || r.cwd.empty()) return true;
  std::error_code ec;
  const fs::path here = fs::absolute(dir, ec);
  const fs::path run_dir = fs::is_directory(r.cwd, ec) ? fs::path(r.cwd) : here;
  req.cwd = run_dir.string();
  // Else argv[0] as given: a relative one resolves against run_dir, as execvp does after the chdir.
  if (!r.executable.empty() && access(r.executable.c_str(), X_OK) == 0) req.argv[0] = r.executable;
  else if (!r.executable.empty() && access(resolve_program(req.argv[0], req.cwd).c_str(), X_OK) != 0)
    return Error{(here / "repro.json").string() + ": the program is gone: no " + one_line(r.executable) + " (where it ran), and no " +
                 one_line(req.argv[0]) + " from " + one_line(req.cwd) + " (the program itself is not stored with the reproducer)"};
  std::string missing;
  for (const auto& f : r.argv_files) {
    std::string& arg = req.argv.at(f.index);
    if (!f.stored.empty() && fs::is_regular_file(fs::symlink_status(here / f.stored, ec))) {
      arg = arg.substr(0, arg.size() - f.path.size()) + (here / f.stored).string();  // keeps --opt=
      continue;
    }
    const fs::path original = f.path[0] == '/' ? fs::path(f.path) : run_dir / f.path;
    if (fs::exists(original, ec)) continue;  // the program finds it where argv says
    missing += std::string(missing.empty() ? "" : "; ") + "argv[" + std::to_string(f.index) + "] " + one_line(f.path) + " (" +
               (f.stored.empty() ? "not stored: " + f.not_stored : f.stored + " is gone") + ", and no " +
               one_line(original.string()) + ")";
  }
  if (!missing.empty()) return Error{(here / "repro.json").string() + ": input files missing: " + missing};
  return true;
}

}  // namespace faultline
