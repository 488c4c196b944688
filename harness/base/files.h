// Files as faultline reads and writes them: every write atomic (temp file,
// fsync, rename, fsync the directory), every read bounded, no symbolic
// link followed into or out of a listed directory.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace faultline {

namespace fs = std::filesystem;

// "<p>: <what>: <strerror(errno)>".
Error sys_error(const fs::path& p, const std::string& what);
// fsync of the file or directory at p (opened with flags); false when it cannot.
bool fsync_path(const fs::path& p, int flags);
// The process umask, read without changing it.
mode_t process_umask();

// Scratch entries of a writer are named `<prefix><pid>-...`: removed when
// that pid is dead (the longest prefix that matches), and, with
// `nameless_too`, when the name holds no pid (an older faultline's).
void remove_entries_of_dead_writers(const fs::path& dir, const std::vector<std::string>& prefixes, bool nameless_too);
// The prefix of such a name for this process: ".incoming-<pid>-" (with kind "core": ".incoming-core-<pid>-").
std::string incoming_prefix(const std::string& kind = "");

Result<bool> write_file_atomic(const fs::path& path, const std::string& bytes);

// An exclusive flock on `file` for as long as the object lives, so two runs
// never share (and wipe) one work or out directory; the file names its
// holder's pid for the message the second one gets.
class RunLock {
 public:
  // what: e.g. "--work fuzz-work"; the error is "<what>: in use by another faultline (pid N) ..."
  static Result<std::shared_ptr<RunLock>> take(const fs::path& file, const std::string& what);
  explicit RunLock(int fd) : fd_(fd) {}
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_;
};

// The file's bytes, at most max_bytes of them ("" when it cannot be read).
// Inputs come from untrusted corpora: the default bounds what one can cost.
constexpr size_t kMaxInputBytes = 64u << 20;
std::string read_file(const fs::path& path, size_t max_bytes = kMaxInputBytes);
// A file a user or a corpus names (--input): it must be a regular file of at
// most max_bytes. Opened non-blocking and checked before any read, so a FIFO
// does not hang faultline and /dev/zero is not read forever; the message
// names the file and the problem.
Result<std::string> read_regular_file(const fs::path& path, size_t max_bytes = kMaxInputBytes);

// dir's entries, sorted, hidden ones (".x") and symbolic links left out;
// only regular files if asked. Never throws: what cannot be listed is not there.
std::vector<fs::path> sorted_entries(const fs::path& dir, bool regular_files_only = false);

}  // namespace faultline
