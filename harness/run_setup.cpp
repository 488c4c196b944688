#include "run_setup.h"

#include <unistd.h>

#include <cstdlib>

#include "runner.h"

namespace faultline::cli {

Result<std::string> injector_for(bool enabled) {
  if (!enabled) return std::string();
  const char* env = std::getenv("FAULTLINE_INJECT_LIB");
  std::string lib = env && *env ? env : default_inject_library();
  if (access(lib.c_str(), R_OK) != 0)
    return Error{lib + ": injector library not found (build it, set FAULTLINE_INJECT_LIB, or pass --no-inject)"};
  return lib;
}

}  // namespace faultline::cli
