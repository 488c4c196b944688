// faultline gen nested: deeply nested generated source for nested_parser.
#include <cmath>
#include <iostream>

#include "commands.h"
#include "corpus.h"
#include "nested_source.h"

namespace faultline::cli {

int cmd_gen(const Invocation& inv) {
  if (inv.operands.empty() || inv.operands[0] != "nested")
    return bad_input(inv, "which generator? (usage: faultline gen nested --depth N [--shape S] [--seed X])");
  const auto& o = inv.options;
  if (!o.count("depth") || o["depth"].as<uint64_t>() < 1) return bad_input(inv, "--depth N (at least 1) is required");
  auto shape = nested::shape_from_string(o["shape"].as<std::string>());
  if (!shape) return bad_input(inv, "--shape must be one of expr, block, generic, array, mixed");
  const std::string source = nested::generate(o["depth"].as<uint64_t>(), *shape, o["seed"].as<uint64_t>());
  if (o.count("output")) {
    auto w = write_file_atomic(o["output"].as<std::string>(), source);
    if (!w) return bad_input(inv, w.error().message);
  } else {
    std::cout << source;
  }
  return kExitClean;
}

}  // namespace faultline::cli
