// An ELF core of a crashed process, written by the tracer while it holds the
// process at its fatal signal: what `gdb PROGRAM core` opens (threads, bt,
// locals). No Debian library writes one, so this file writes the ELF itself,
// the way the kernel's binfmt_elf does: PT_NOTE (NT_PRSTATUS per thread, the
// crashing one first, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, NT_FPREGSET)
// then one PT_LOAD per mapping. File-backed pages nobody wrote are left to
// the files (their ELF header page excepted, for build-ids), as the kernel's
// default coredump_filter does. The size limit is kept by leaving out the
// largest mappings first, the threads' stacks last.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace faultline {

constexpr uint64_t kDefaultCoreLimitBytes = 256ull << 20;

// --core: where the core of a crash is first written (a directory under the
// command's --out, or the reproducer being replayed) and how large it may be.
struct CoreRequest {
  std::filesystem::path dir;  // empty: no core
  uint64_t limit_bytes = kDefaultCoreLimitBytes;
  bool wanted() const { return !dir.empty(); }
};

// A core written to a temporary file in CoreRequest::dir. Removed when the
// last reference goes, unless kept in a reproducer (keep_core).
struct CoreFile {
  std::filesystem::path path;  // the temporary file, then where it was kept
  std::string error;           // why there is no core ("" : there is one)
  uint64_t bytes = 0;       // the file's size; zero pages are holes, so it takes less on disk:
  uint64_t disk_bytes = 0;  // what its blocks take
  int threads = 0, threads_unstopped = 0;  // written; other threads that did not stop in time
  int segments = 0;                         // PT_LOAD
  uint64_t unreadable_bytes = 0;            // dumped mappings whose pages could not be read (left as zeros)
  std::vector<std::string> left_out;        // mappings left out for the limit, in words
  bool kept = false;
  CoreFile() = default;
  CoreFile(const CoreFile&) = delete;
  CoreFile& operator=(const CoreFile&) = delete;
  ~CoreFile();
  // Removes the temporary file now (a duplicate's core), saying why in `error`.
  void discard(const std::string& why);
};

// Writes the core of process pid, whose threads `tids` (the crashing one
// first) are all in a ptrace stop of the caller, at signal `si`. Never fails:
// a core that cannot be written says why in `error`.
std::shared_ptr<CoreFile> write_core_file(pid_t pid, const std::vector<pid_t>& tids, const siginfo_t& si,
                                          const CoreRequest& req, int threads_unstopped);

// The report's "core": where it was kept and what it holds, or why there is none.
nlohmann::json core_json(const CoreFile& core);
// "core: DIR/core (12 MiB, 3 threads)" or "no core: why", for the command's stderr.
std::string core_line(const CoreFile& core);

// The --core-limit-mb option's value as bytes; an error names the option.
Result<uint64_t> core_limit_bytes(uint64_t megabytes);

}  // namespace faultline
