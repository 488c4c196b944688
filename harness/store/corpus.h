// Reproducers on disk: a directory named <class>-<stack hash> holding
// repro.json and, when the program reads one, `input`. Every write is atomic
// (temp file, fsync, rename, fsync the directory), so a crash or a kill of
// faultline never leaves a half-written reproducer or loses a stored one.
#pragma once
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "triage/crash_class.h"
#include "base/engines.h"
#include "base/files.h"
#include "store/bucket_status.h"
#include "store/manifest.h"
#include "store/reproducer_json.h"
#include "base/result.h"
#include "process/core_file.h"
#include "process/runner.h"
#include "triage/triage.h"

namespace faultline {

namespace fs = std::filesystem;



// A target's corpora directory, or its seeds/, regressions/ or corpus/, that
// is a symbolic link: faultline writes there, so a link (from a pull request,
// say) could point its writes anywhere. The error names it.
std::optional<Error> symlinked_corpora(const fs::path& target_dir);

// Loads and validates DIR/repro.json. Errors name the file and the field.
// Its stored argv files are the sources of any reproducer stored from it.
Result<Reproducer> load_reproducer(const fs::path& dir);

struct Stored {
  fs::path dir;
  bool already_known = false;  // a reproducer with this class and hash was there already
  std::vector<std::string> not_stored;  // argv files left out, and why ("argv[3] big.bin: larger than 16 MiB")
  BucketStatus status() const { return already_known ? BucketStatus::StoredBefore : BucketStatus::New; }
};
// Stores under out_dir/<class>-<hash>/; never overwrites an existing bucket.
// An argv reproducer's argv files are copied in beside `input` (argv_files.h).
Result<Stored> store_reproducer(const fs::path& out_dir, const Reproducer& r, const std::optional<std::string>& input);

// "" when every argv file was stored; else one line saying which were not,
// and why: a replay needs those where argv names them.
std::string not_stored_note(const Stored& s);

// Replaces DIR/repro.json atomically (minimize: same bucket, smaller schedule).
Result<bool> rewrite_reproducer(const fs::path& dir, const Reproducer& r);

std::string reproducer_dir_name(CrashClass cls, const std::string& stack_hash);

// Removes the half-built `.incoming-*` entries a killed writer left in
// out_dir (complete reproducers are only ever published by one rename).
// Each is named `.incoming-[core-]<pid>-XXXXXX` after its writer: one whose
// writer is alive (another run on the same corpora) is left alone.
void remove_unfinished_reproducers(const fs::path& out_dir);

// Moves the core into repro_dir/core with one rename (same file system: the
// temporary file lies in repro_dir or its parent) and makes repro.json name
// it. An existing core is replaced only when `replace` (replay); else it stays.
Result<fs::path> keep_core(CoreFile& core, const fs::path& repro_dir, bool replace);


// The run a reproducer describes. One that names a target runs the command
// the project's manifest gives it (`run`, or the engine's binary for a
// reproducer an engine found), in the project's root: a reproducer supplies
// input, schedule and timeout, never the command. One
// without a target runs its own argv. "@@" is bound to input_path ("" : the
// @@ arguments are dropped), or the input becomes stdin. One stored in dir
// runs where it was captured, with its stored argv files (bind_invocation).
Result<RunRequest> request_for(const Reproducer& r, const std::string& input_path, const Manifest* project);
// ... for a stored reproducer: its input is dir/input.
Result<RunRequest> request_for(const Reproducer& r, const fs::path& dir, const Manifest* project);

struct CrashReport;
// Facts about where a reproducer was captured: libc, kernel, time, and the
// allocator that served the program's own process in that run.
nlohmann::json environment_facts(const CrashReport& report);

}  // namespace faultline
