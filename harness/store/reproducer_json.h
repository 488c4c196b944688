// repro.json: the reproducer's description, to and from JSON. Kept apart
// from the files and runs around it so the parser can be fuzzed alone.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "triage/crash_class.h"
#include "base/result.h"

namespace faultline {

constexpr const char* kInputPlaceholder = "@@";  // AFL++'s: replaced by the input file's path

enum class InputMode { None, File, Stdin };

// An argv element that named a regular file at capture (the element itself,
// or the FILE of --opt=FILE): its copy is stored beside repro.json, so the
// reproducer replays where that file is not.
struct ArgvFile {
  size_t index = 0;        // which argv element (never 0: the program is not copied)
  std::string path;        // the file as argv names it: argv[index], or its part after '='
  std::string stored;      // its copy in the reproducer directory, argv-<index>-<name>; "" : not stored
  std::string not_stored;  // why not (too large, unreadable), when stored is ""
  std::string source;      // not in repro.json: where a store copies it from
};

struct Reproducer {
  std::string target;             // built-in target name; argv[0] is then its driver
  std::string engine;             // with target: run the engine's build, fuzz-<target> (e.g. "libfuzzer")
  std::vector<std::string> argv;  // program and arguments; "@@" stands for the input file
  std::string schedule;           // canonical schedule line
  InputMode input = InputMode::None;
  double timeout_seconds = 10;
  CrashClass expected_class = CrashClass::None;
  std::string expected_hash;
  nlohmann::json environment = nlohmann::json::object();  // facts at capture time
  // Where an argv reproducer was captured, so it replays from anywhere
  // (ignored, and dropped, when it names a target: the manifest says how that runs).
  std::string cwd;                     // absolute working directory; "" : an older reproducer, run here
  std::string executable;              // argv[0] resolved (PATH, or against cwd) to an absolute path
  std::vector<ArgvFile> argv_files;
  std::string core;  // "core" when the directory keeps an ELF core of the crash (--core), else ""
};

// The name a copy of argv[index] (file `path`) gets in the reproducer
// directory: argv-<index>-<basename, [A-Za-z0-9._-] only, no "..">.
std::string argv_file_name(size_t index, const std::string& path);
// What a hostile repro.json may name there: that shape for that index, nothing
// with '/' or "..", so a stored name never reaches outside the directory.
bool valid_argv_file_name(size_t index, const std::string& name);

// A target's (or project's) name: [A-Za-z0-9_-]{1,64}. It names corpora/<name>/, so no
// '/', no "..", nothing a path could be made to escape with.
bool valid_target_name(const std::string& s);

// Strings that are not UTF-8 (argv, paths: a program's bytes) are written
// as {"bytes_hex": "..."}, which the parser turns back into those bytes.
nlohmann::json reproducer_to_json(const Reproducer& r);
// repro.json's text: never throws on odd bytes.
std::string reproducer_json_text(const Reproducer& r);
// Parses and validates; the message names the field that is wrong.
Result<Reproducer> parse_reproducer_json(const std::string& text);

}  // namespace faultline
