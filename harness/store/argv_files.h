// Where an argv reproducer ran and the files its command line names: recorded
// at capture, copied into the reproducer when it is stored, put back in place
// when it replays, so it replays from any directory (issue 13, point 6).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/reproducer_json.h"
#include "base/result.h"
#include "process/runner.h"

namespace faultline {

// Caps on what a reproducer stores of the files its argv names.
constexpr uint64_t kMaxArgvFileBytes = 16u << 20;
constexpr uint64_t kMaxArgvFilesBytes = 64u << 20;

// Records, for an argv reproducer run in cwd: cwd, argv[0] resolved against
// it (PATH searched when it has no '/'), and the argv elements after argv[0]
// that name regular files there (or whose FILE in --opt=FILE does), "@@" not
// among them: that input is stored as `input`.
void record_invocation(Reproducer& r, const std::filesystem::path& cwd);

// Copies r's argv files (each from its source) into dir as
// argv-<index>-<name>, within the caps, and marks each stored or says why not.
// Returns what was not stored, one phrase each ("argv[3] big.bin: larger than 16 MiB").
Result<std::vector<std::string>> store_argv_files(Reproducer& r, const std::filesystem::path& dir);

// Each stored copy in dir becomes its file's source (for a store of a
// reproducer made from this one, as minimize makes). Names are checked by the
// parser; copies that are links or not regular files are left out.
void find_stored_argv_files(Reproducer& r, const std::filesystem::path& dir);

// req (argv as r has it, "@@" not bound yet) for the reproducer stored in dir:
// runs in the recorded cwd if it is still there, else in dir; the recorded
// executable when it is still there; the stored copies in place of the argv
// elements that named files. An error names the files that are neither stored
// nor where argv says. Reproducers of targets, and older ones without cwd, are
// left as they are.
Result<bool> bind_invocation(const Reproducer& r, const std::filesystem::path& dir, RunRequest& req);

}  // namespace faultline
