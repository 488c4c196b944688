#include "run_setup.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline::cli {

Result<std::string> injector_for(bool enabled) {
  if (!enabled) return std::string();
  const char* env = std::getenv("FAULTLINE_INJECT_LIB");
  std::string lib = env && *env ? env : default_inject_library();
  if (access(lib.c_str(), R_OK) != 0)
    return Error{lib + ": injector library not found (build it, set FAULTLINE_INJECT_LIB, or pass --no-inject)"};
  return lib;
}

Result<ProgramSpec> program_spec(const Invocation& inv) {
  const auto& o = inv.options;
  ProgramSpec spec;
  Reproducer& repro = spec.repro;
  if (o.count("target")) {
    if (!inv.program.empty()) return Error{"give either --target or `-- PROGRAM`, not both"};
    repro.target = o["target"].as<std::string>();
    repro.argv = {"target-" + repro.target, kInputPlaceholder};
  } else {
    if (inv.program.empty()) return Error{"no program given (--target NAME or `-- PROGRAM [ARGS...]`)"};
    repro.argv = inv.program;
  }
  std::string input_path;
  if (o.count("input")) {
    input_path = o["input"].as<std::string>();
    std::ifstream f(input_path, std::ios::binary);
    if (!f || std::filesystem::is_directory(input_path)) return Error{input_path + ": cannot read input file"};
    std::stringstream ss;
    ss << f.rdbuf();
    spec.input = ss.str();
  }
  const bool has_placeholder = std::find(repro.argv.begin(), repro.argv.end(), kInputPlaceholder) != repro.argv.end();
  if (has_placeholder && !spec.input) {
    if (repro.target.empty()) return Error{"the command line has @@ but no --input FILE was given"};
    repro.argv.pop_back();  // a target driver runs on its default input without one
  }
  repro.input = !spec.input ? InputMode::None : has_placeholder ? InputMode::File : InputMode::Stdin;
  if (o.count("timeout")) repro.timeout_seconds = o["timeout"].as<double>();
  if (!seconds_in_range(repro.timeout_seconds)) return Error{"--timeout must be a number of seconds in (0, 604800]"};

  auto req = request_for(repro, input_path.empty() ? "" : std::filesystem::absolute(input_path).string(), binary_dir());
  if (!req) return req.error();
  if (!repro.target.empty() && access(req->argv[0].c_str(), X_OK) != 0)
    return Error{"--target: no built target named '" + repro.target + "' (" + req->argv[0] + ")"};
  spec.request = req.value();
  auto lib = injector_for(!o.count("no-inject"));
  if (!lib) return lib.error();
  spec.request.inject_library = lib.value();
  return spec;
}

}  // namespace faultline::cli
