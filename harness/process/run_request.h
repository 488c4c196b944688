// What one run is asked to do: the program, its input and schedule, the
// limits of its fence.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/schedule.hpp"
#include "process/core_file.h"

namespace faultline {

struct Limits {
  double timeout_seconds = 10;
  uint64_t address_space_bytes = 8ull << 30;
  uint64_t file_size_bytes = 64ull << 20;
  uint64_t max_processes = 4096;
  size_t output_cap_bytes = 1 << 20;  // per stream; the last 64 KiB are always kept too
};

struct RunRequest {
  std::vector<std::string> argv;  // argv[0] searched in PATH like execvp
  Schedule schedule;
  std::string stdin_path;         // empty: /dev/null
  std::string inject_library;     // empty: run without the injector
  Limits limits;
  bool forward_output = false;    // echo the child's stdout/stderr live (capped)
  size_t max_frames = 1024;  // enough for four trips round a long recursion cycle
  // A supervisor such as a fuzz engine: fenced like any child (process
  // group, rlimits, timeout, output cap) but not traced and given no event
  // pipe, where millions of executions would pile up records.
  bool supervise_only = false;
  std::vector<std::string> extra_env;  // NAME=VALUE, added to (or replacing in) the child's environment
  std::string cwd;  // the child's working directory ("" : faultline's); a project's targets run in its root
  // --core: at the program's fatal signal, its core is written into core.dir
  // while every thread is held (see core_file.h).
  CoreRequest core;
};

}  // namespace faultline
