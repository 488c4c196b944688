// The faultline commands. Each returns the process exit code (DESIGN.md CLI
// contract); bad input is a one-line message and 2.
#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace faultline::cli {

struct Invocation {
  std::string command;
  boost::program_options::variables_map options;
  std::vector<std::string> operands;  // positional arguments before `--`
  std::vector<std::string> program;   // everything after `--`
};

constexpr int kExitClean = 0, kExitFound = 1, kExitBadInput = 2;

// A duration a user gave: finite, positive, at most a week.
inline bool seconds_in_range(double s) { return s > 0 && s <= 7 * 86400.0; }

// Prints "faultline <command>: <message>" to stderr and returns kExitBadInput.
int bad_input(const Invocation& inv, const std::string& message);

int cmd_run(const Invocation& inv);
int cmd_replay(const Invocation& inv);
int cmd_campaign(const Invocation& inv);
int cmd_stack(const Invocation& inv);
int cmd_gen(const Invocation& inv);
int cmd_explore(const Invocation& inv);
int cmd_minimize(const Invocation& inv);
int cmd_alloc(const Invocation& inv);
int cmd_fuzz(const Invocation& inv);
int cmd_init(const Invocation& inv);

}  // namespace faultline::cli
