// faultline stack: where does the stack run out? Bisects (a) the smallest
// nesting depth that exhausts a given stack, or (b) the smallest stack that
// survives a given input, and stores the boundary crash as a reproducer. The
// nesting is a target's `stack` table's or, for any program, --open/--close
// or --template's (nesting.h). The search itself is search/stack_search.h's.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "base/files.h"
#include "base/text.h"
#include "store/argv_files.h"
#include "cli/commands.h"
#include "store/corpus.h"
#include "store/finding.h"
#include "store/manifest.h"
#include "base/nested_source.h"
#include "base/nesting.h"
#include "report/report.h"
#include "cli/run_setup.h"
#include "search/stack_search.h"

namespace faultline::cli {

namespace {

Result<uint64_t> size_option(const Invocation& inv, const char* name) {
  const std::string text = inv.options[name].as<std::string>();
  uint64_t v = 0;
  if (fl_parse_size(text.c_str(), &v) != 0 || v == 0)
    return Error{std::string("--") + name + ": bad size '" + text + "' (want e.g. 64K, 1M)"};
  return v;
}

// The command line, checked before anything runs.
struct StackCommand {
  StackSearchSpec spec;
  bool with_target = false;  // --target NAME, else `-- PROGRAM ARGS`
  bool own_nesting = false;  // --open/--template nest the program's input
};

// --target or `-- PROGRAM`, and --open/--template with what they rule out.
Result<bool> read_nesting(const Invocation& inv, StackCommand& c) {
  const auto& o = inv.options;
  c.with_target = o.count("target");
  if (c.with_target == !inv.program.empty()) return Error{"give either --target NAME or `-- PROGRAM ARGS`"};
  auto own = nesting_option(inv);
  if (!own) return own.error();
  c.own_nesting = own->has_value();
  if (c.own_nesting && c.with_target)
    return Error{"--open/--template nest the input of `-- PROGRAM`; a target's nesting is its stack table's"};
  if (c.own_nesting && o.count("input"))
    return Error{"--input with --open/--template: the input is generated (the @@ file, else stdin)"};
  if (c.own_nesting && (!o["shape"].defaulted() || !o["seed"].defaulted()))
    return Error{"--shape and --seed are nested_parser's generator's: not with --open/--template"};
  if (c.own_nesting) c.spec.table.nesting = **own;
  return true;
}

// The stack sizes, --timeout, --shrink and the injector.
Result<bool> read_limits(const Invocation& inv, StackCommand& c) {
  const auto& o = inv.options;
  auto stack_size = size_option(inv, "stack-size");
  auto min_stack = size_option(inv, "min-stack");
  auto max_stack = size_option(inv, "max-stack");
  for (const auto* r : {&stack_size, &min_stack, &max_stack})
    if (!*r) return r->error();
  if (min_stack.value() >= max_stack.value()) return Error{"--min-stack must be below --max-stack"};
  const double timeout = o.count("timeout") ? o["timeout"].as<double>() : 10;
  if (!seconds_in_range(timeout)) return Error{"--timeout must be a number of seconds in (0, 604800]"};
  c.spec.shrink = o["shrink"].as<std::string>();
  if (c.spec.shrink != "main" && c.spec.shrink != "threads" && c.spec.shrink != "both")
    return Error{"--shrink must be main, threads or both"};
  auto lib = injector_for(true);
  if (!lib) return lib.error();
  c.spec.inject_library = lib.value();
  c.spec.min_stack = min_stack.value();
  c.spec.max_stack = max_stack.value();
  // Any program's nesting without --stack-size runs on the program's own
  // stacks (0: no `stack` item): the depth its users would hit.
  c.spec.depth_stack = c.own_nesting && o["stack-size"].defaulted() ? 0 : stack_size.value();
  c.spec.base.timeout_seconds = timeout;
  return true;
}

// What one probe runs with --target: the target's driver on a generated
// file, nested as its `stack` table says.
Result<bool> read_target(const Invocation& inv, StackCommand& c) {
  const auto& o = inv.options;
  auto& s = c.spec;
  auto m = project_required(inv);
  if (!m) return m.error();
  s.project = std::move(m.value());
  s.base.target = o["target"].as<std::string>();
  const ManifestTarget* t = s.project->target(s.base.target);
  if (!t) return Error{"--target: " + s.project->file.string() + " declares no target '" + s.base.target + "'"};
  if (!t->stack)
    return Error{"--target: '" + s.base.target + "' has no stack table in " + s.project->file.string() +
                 " (e.g. stack = { open = \"[\", close = \"]\", sizes = [\"1M\"] })"};
  s.table = *t->stack;
  if (!o["seed"].defaulted()) s.table.seed = o["seed"].as<uint64_t>();
  s.shape = o["shape"].defaulted() && !s.table.shapes.empty() ? s.table.shapes.front() : o["shape"].as<std::string>();
  if (s.table.generator.empty()) s.shape = "";
  else if (!nested::shape_from_string(s.shape)) return Error{"--shape must be one of expr, block, generic, array, mixed"};
  if (o["shrink"].defaulted()) s.shrink = s.table.shrink;
  s.base.argv = t->written_run;
  s.base.input = InputMode::File;
  if (o["timeout"].empty()) s.base.timeout_seconds = t->timeout_seconds;
  return true;
}

// What one probe runs with `-- PROGRAM`: the program, on --input or the
// generated nesting.
Result<bool> read_program(const Invocation& inv, StackCommand& c) {
  const auto& o = inv.options;
  auto& base = c.spec.base;
  base.argv = inv.program;
  const bool placeholder = std::find(base.argv.begin(), base.argv.end(), kInputPlaceholder) != base.argv.end();
  if (c.own_nesting) {
    base.input = placeholder ? InputMode::File : InputMode::Stdin;
  } else {
    if (placeholder && !o.count("input")) return Error{"the command line has @@ but no --input FILE was given"};
    if (o.count("input")) base.input = placeholder ? InputMode::File : InputMode::Stdin;
  }
  std::error_code ec;
  record_invocation(base, std::filesystem::current_path(ec));  // its reproducer replays from anywhere
  return true;
}

// Which search, and its depths: the deepest input it may need must be one
// nest() makes, refused before any run.
Result<bool> read_depths(const Invocation& inv, StackCommand& c) {
  const auto& o = inv.options;
  auto& s = c.spec;
  // Probes read a generated input nested to a depth (the table's or --open's).
  s.generated = c.with_target || c.own_nesting;
  s.search_depth = s.generated && !o.count("depth");
  s.max_depth = o["max-depth"].as<uint64_t>();
  if (o.count("depth")) s.depth = o["depth"].as<uint64_t>();
  if (o.count("input")) s.input_file = o["input"].as<std::string>();
  if (s.search_depth && s.max_depth < 2) return Error{"--max-depth must be at least 2"};
  if (s.generated && o.count("depth") && s.depth < 1) return Error{"--depth must be at least 1"};
  if (s.generated && s.table.generator.empty()) {
    const char* bound = s.search_depth ? "max-depth" : "depth";
    if (auto size = nesting_size(s.table.nesting, o[bound].as<uint64_t>()); !size)
      return Error{std::string("--") + bound + ": " + size.error().message};
  }
  return true;
}

Result<StackCommand> read_command(const Invocation& inv) {
  StackCommand c;
  if (auto r = read_nesting(inv, c); !r) return r.error();
  if (auto r = read_limits(inv, c); !r) return r.error();
  if (auto r = c.with_target ? read_target(inv, c) : read_program(inv, c); !r) return r.error();
  if (auto r = read_depths(inv, c); !r) return r.error();
  return c;
}

std::string which_stacks(const std::string& shrink) {
  return shrink == "main" ? "main-thread" : shrink == "threads" ? "worker-thread" : "main and thread";
}

// (a)'s answer: the depth that exhausts the stack, or where the program says no.
void print_depth_answer(const StackCommand& c, const StackSearch& search, const StackOutcome& out) {
  const uint64_t stack = c.spec.depth_stack;
  std::cout << "  " << (stack ? which_stacks(c.spec.shrink) + " stack " + human_size(stack) : "its own stacks (no --stack-size)")
            << ": ";
  if (out.found) {
    std::cout << "smallest nesting depth that exhausts it: " << out.crash_key << " (" << out.crash_key - 1 << " survives)\n";
  } else if (out.rejected_from) {
    // Say "no depth exhausts it" only when no probe, on either side, did.
    const CrashReport& at = search.report(*out.rejected_from);
    std::cout << (out.any_exhausted ? "" : "no nesting depth up to " + std::to_string(out.hi) + " exhausts it; ")
              << "from depth " << *out.rejected_from << " (" << *out.rejected_from - 1
              << " ends clean) the program rejects its input, exit " << at.exit_code << ", no crash\n";
    if (const std::string why = refusal(at); !why.empty()) std::cout << "  its stderr: " << why << "\n";
  } else {
    std::cout << "no stack exhaustion up to depth " << out.hi << "\n";
  }
}

// (b)'s answer: the smallest stack that survives.
void print_stack_answer(const StackCommand& c, const StackOutcome& out) {
  const std::string which = which_stacks(c.spec.shrink);
  std::cout << "  " << (c.spec.generated ? "depth " + std::to_string(c.spec.depth) + ": " : "");
  if (!out.boundary.first_true) std::cout << "still exhausts a " << human_size(out.hi * kStackPage) << " " << which << " stack\n";
  else
    std::cout << "smallest " << which << " stack that survives: " << human_size(*out.boundary.first_true * kStackPage)
              << (out.found ? " (" + human_size(out.stack_of_crash) + " exhausts it)" : " (the smallest tried)") << "\n";
}

// Which stack the boundary crash ran out of, and how fast it is used.
void print_crash(const CrashReport& crash, const nlohmann::json& result) {
  std::cout << "  the stack that ran out: " << crash.fault_region
            << (crash.thread_stack_size ? ", " + human_size(crash.thread_stack_size) : "") << "\n";
  if (result.contains("bytes_per_level"))
    std::cout << "  bytes per nesting level: " << result["bytes_per_level"].get<uint64_t>() << " (stack / depth)";
  if (crash.recursion_cycle)
    std::cout << (result.contains("bytes_per_level") ? "; " : "  ") << crash.recursion_cycle->bytes_per_level
              << " per trip round the recursion cycle (" << crash.recursion_cycle->functions.size() << " frames)";
  std::cout << "\n";
}

// Stores the boundary crash as a reproducer in --out and says where.
Result<bool> store_boundary_crash(const Invocation& inv, const StackCommand& c, const StackSearch& search,
                                  StackOutcome& out) {
  const CrashReport& crash = search.report(out.crash_key);
  Reproducer repro = c.spec.base;
  repro.schedule = probe_schedule(c.spec.shrink, out.stack_of_crash);
  std::optional<std::string> bytes;
  if (c.spec.base.input != InputMode::None) bytes = read_file(search.input(out.crash_key));
  auto stored = store_finding(inv.options["out"].as<std::string>(), repro, crash, bytes);
  if (!stored) return stored.error();
  out.result["reproducer"] = stored->dir.string();
  out.result["stack_hash"] = crash.stack_hash;
  std::cout << "  reproducer: " << stored->dir.string() << (stored->already_known ? " (already stored)" : "") << "\n";
  if (const std::string note = not_stored_note(stored.value()); !note.empty()) std::cout << "  " << note << "\n";
  return true;
}

// What was searched: "target T, shape S" or "program P (input [[1]])".
std::string searched(const StackCommand& c) {
  const StackSearchSpec& s = c.spec;
  if (c.with_target) return "target " + s.base.target + (s.shape.empty() ? "" : ", shape " + s.shape);
  return "program " + s.base.argv[0] + (c.own_nesting ? " (input " + nesting_label(s.table.nesting) + ")" : "");
}

// The answer on stdout, the boundary crash stored, the JSON report in --report.
int report(const Invocation& inv, const StackCommand& c, const StackSearch& search, StackOutcome& out) {
  const StackSearchSpec& s = c.spec;
  nlohmann::json& result = out.result;
  if (c.with_target) result["target"] = s.base.target, result["shape"] = s.shape, result["seed"] = s.table.seed;
  if (c.own_nesting)
    result["nesting"] = {{"open", s.table.nesting.open}, {"close", s.table.nesting.close}, {"leaf", s.table.nesting.leaf},
                         {"sep", s.table.nesting.sep}};
  std::cout << "faultline stack: " << searched(c) << "\n";
  if (s.search_depth) print_depth_answer(c, search, out);
  else print_stack_answer(c, out);
  if (out.found) {
    print_crash(search.report(out.crash_key), result);
    if (auto stored = store_boundary_crash(inv, c, search, out); !stored) return bad_input(inv, stored.error().message);
  }
  for (const auto& d : out.disagreements) std::cout << "  warning: not monotone: " << d << "\n";
  std::printf("  runs: %d (bisection %d, bound log2(range)+2 = %.0f; baseline 1; monotonicity checks %d), %.2f s\n",
              out.boundary.runs + 1 + out.extra_runs, out.boundary.runs, out.run_bound, out.extra_runs, out.seconds);
  if (inv.options.count("report")) {
    auto w = write_file_atomic(inv.options["report"].as<std::string>(), json_text(result) + "\n");
    if (!w) return bad_input(inv, w.error().message);
  }
  return kExitClean;
}

}  // namespace

int cmd_stack(const Invocation& inv) {
  auto command = read_command(inv);
  if (!command) return bad_input(inv, command.error().message);
  StackSearch search(command.value().spec);
  auto outcome = search.run();
  if (!outcome) return bad_input(inv, outcome.error().message);
  return report(inv, command.value(), search, outcome.value());
}

}  // namespace faultline::cli
