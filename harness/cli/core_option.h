// --core and --core-limit-mb, as every command that takes them reads them.
#pragma once
#include <filesystem>

#include "cli/commands.h"
#include "process/core_file.h"

namespace faultline::cli {

// No core unless --core; with it, the core is first written into `dir`
// (where the command's reproducers go), capped at --core-limit-mb.
inline Result<CoreRequest> core_option(const Invocation& inv, const std::filesystem::path& dir) {
  CoreRequest core;
  if (!inv.options.count("core")) return core;
  auto limit = core_limit_bytes(inv.options["core-limit-mb"].as<uint64_t>());
  if (!limit) return limit.error();
  core.dir = dir;
  core.limit_bytes = limit.value();
  return core;
}

}  // namespace faultline::cli
