// The manual pages (troff, man(7)) and the bash completion, written from the
// same command table and option table that --help prints: nothing about a
// command or an option is written down twice. `faultline --write-manual DIR`
// is how the build makes them.
#pragma once
#include <string>
#include <vector>

#include "cli/cli_options.h"

namespace faultline::cli {

struct CommandDoc {
  std::string name, synopsis, summary, description, exit_status, examples;
  bool takes_program = false;
};

struct ManualText {
  std::string schedule_reference;  // the SCHEDULE section of `faultline --help`
  std::string crash_classes;       // space-separated
  std::string environment;         // the ENVIRONMENT section
};

// faultline.1: every command, the schedule items, the classes.
std::string main_man_page(const std::vector<CommandDoc>& commands, const ManualText& text);
// faultline-<command>.1.
std::string command_man_page(const CommandDoc& command);
// A bash completion script: commands, each command's options.
std::string bash_completion(const std::vector<CommandDoc>& commands);

}  // namespace faultline::cli
