#include "base/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

namespace faultline {

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


}  // namespace faultline
