// repro.json: the reproducer's description, to and from JSON. Kept apart
// from the files and runs around it so the parser can be fuzzed alone.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crash_class.h"
#include "result.h"

namespace faultline {

constexpr const char* kInputPlaceholder = "@@";  // AFL++'s: replaced by the input file's path

enum class InputMode { None, File, Stdin };

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
};

// A target's (or project's) name: [A-Za-z0-9_-]{1,64}. It names corpora/<name>/, so no
// '/', no "..", nothing a path could be made to escape with.
bool valid_target_name(const std::string& s);

nlohmann::json reproducer_to_json(const Reproducer& r);
// Parses and validates; the message names the field that is wrong.
Result<Reproducer> parse_reproducer_json(const std::string& text);

}  // namespace faultline
