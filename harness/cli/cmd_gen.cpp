// faultline gen nested: deeply nested input, for any parser (--open/--close
// or --template) or nested_parser's generated source (--shape presets).
#include <iostream>

#include "cli/commands.h"
#include "store/corpus.h"
#include "base/nested_source.h"
#include "cli/run_setup.h"

namespace faultline::cli {

int cmd_gen(const Invocation& inv) {
  if (inv.operands.empty() || inv.operands[0] != "nested")
    return bad_input(inv, "which generator? (usage: faultline gen nested --depth N [--shape S] [--seed X], or "
                          "faultline gen nested --depth N (--open S --close S | --template T) [--leaf S] [--sep S])");
  const auto& o = inv.options;
  if (!o.count("depth") || o["depth"].as<uint64_t>() < 1) return bad_input(inv, "--depth N (at least 1) is required");
  const uint64_t depth = o["depth"].as<uint64_t>();
  auto nesting = nesting_option(inv);
  if (!nesting) return bad_input(inv, nesting.error().message);
  std::string text;
  if (nesting->has_value()) {
    if (!o["shape"].defaulted() || !o["seed"].defaulted())
      return bad_input(inv, "--shape and --seed are nested_parser's generator's: not with --open/--template");
    auto bytes = nest(**nesting, depth);
    if (!bytes) return bad_input(inv, "--depth: " + bytes.error().message);
    text = std::move(bytes.value());
  } else {
    auto shape = nested::shape_from_string(o["shape"].as<std::string>());
    if (!shape) return bad_input(inv, "--shape must be one of expr, block, generic, array, mixed");
    text = nested::generate(depth, *shape, o["seed"].as<uint64_t>());
  }
  if (o.count("output")) {
    auto w = write_file_atomic(o["output"].as<std::string>(), text);
    if (!w) return bad_input(inv, w.error().message);
  } else {
    std::cout << text;
  }
  return kExitClean;
}

}  // namespace faultline::cli
