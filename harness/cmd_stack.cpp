// faultline stack: where does the stack run out? Bisects (a) the smallest
// nesting depth that exhausts a given stack, or (b) the smallest stack that
// survives a given input, and stores the boundary crash as a reproducer.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "argv_files.h"
#include "commands.h"
#include "corpus.h"
#include "nested_source.h"
#include "manifest.h"
#include "report.h"
#include "run_setup.h"
#include "stack_search.h"

namespace faultline::cli {

namespace {

namespace fs = std::filesystem;
constexpr uint64_t kPage = 4096;

Result<uint64_t> size_option(const Invocation& inv, const char* name) {
  const std::string text = inv.options[name].as<std::string>();
  uint64_t v = 0;
  if (fl_parse_size(text.c_str(), &v) != 0 || v == 0)
    return Error{std::string("--") + name + ": bad size '" + text + "' (want e.g. 64K, 1M)"};
  return v;
}

// A scratch directory for generated inputs, removed on every exit path.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "faultline-stack-XXXXXX").string();
    if (mkdtemp(t.data())) path = t;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

int cmd_stack(const Invocation& inv) {
  const auto& o = inv.options;
  const bool with_target = o.count("target");
  if (with_target == !inv.program.empty()) return bad_input(inv, "give either --target NAME or `-- PROGRAM ARGS`");
  auto stack_size = size_option(inv, "stack-size");
  auto min_stack = size_option(inv, "min-stack");
  auto max_stack = size_option(inv, "max-stack");
  for (const auto* r : {&stack_size, &min_stack, &max_stack})
    if (!*r) return bad_input(inv, r->error().message);
  if (min_stack.value() >= max_stack.value()) return bad_input(inv, "--min-stack must be below --max-stack");
  const double timeout = o.count("timeout") ? o["timeout"].as<double>() : 10;
  if (!seconds_in_range(timeout)) return bad_input(inv, "--timeout must be a number of seconds in (0, 604800]");
  std::string shrink = o["shrink"].as<std::string>();
  if (shrink != "main" && shrink != "threads" && shrink != "both")
    return bad_input(inv, "--shrink must be main, threads or both");
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);

  // What one probe runs: the target's driver on a generated file, or the program.
  Reproducer base;
  base.timeout_seconds = timeout;
  std::optional<Manifest> project;
  StackTable table;  // with --target: its `stack` table says what nests
  std::string shape;
  if (with_target) {
    auto m = project_required(inv);
    if (!m) return bad_input(inv, m.error().message);
    project = std::move(m.value());
    base.target = o["target"].as<std::string>();
    const ManifestTarget* t = project->target(base.target);
    if (!t) return bad_input(inv, "--target: " + project->file.string() + " declares no target '" + base.target + "'");
    if (!t->stack)
      return bad_input(inv, "--target: '" + base.target + "' has no stack table in " + project->file.string() +
                                " (e.g. stack = { open = \"[\", close = \"]\", sizes = [\"1M\"] })");
    table = *t->stack;
    if (!o["seed"].defaulted()) table.seed = o["seed"].as<uint64_t>();
    shape = o["shape"].defaulted() && !table.shapes.empty() ? table.shapes.front() : o["shape"].as<std::string>();
    if (table.generator.empty()) shape = "";
    else if (!nested::shape_from_string(shape)) return bad_input(inv, "--shape must be one of expr, block, generic, array, mixed");
    if (o["shrink"].defaulted()) shrink = table.shrink;
    base.argv = t->written_run;
    base.input = InputMode::File;
    if (o["timeout"].empty()) base.timeout_seconds = t->timeout_seconds;
  } else {
    base.argv = inv.program;
    const bool placeholder = std::find(base.argv.begin(), base.argv.end(), kInputPlaceholder) != base.argv.end();
    if (placeholder && !o.count("input")) return bad_input(inv, "the command line has @@ but no --input FILE was given");
    if (o.count("input")) base.input = placeholder ? InputMode::File : InputMode::Stdin;
    std::error_code ec;
    record_invocation(base, std::filesystem::current_path(ec));  // its reproducer replays from anywhere
  }
  const bool search_depth = with_target && !o.count("depth");
  if (search_depth && o["max-depth"].as<uint64_t>() < 2) return bad_input(inv, "--max-depth must be at least 2");
  if (with_target && o.count("depth") && o["depth"].as<uint64_t>() < 1) return bad_input(inv, "--depth must be at least 1");

  TempDir tmp;
  if (tmp.path.empty()) return bad_input(inv, "cannot create a temporary directory");
  // The bytes each probe reads; a generated file per depth, or the user's input.
  auto input_for_depth = [&](uint64_t depth) -> Result<std::string> {
    const fs::path p = tmp.path / ("depth-" + std::to_string(depth));
    if (!fs::exists(p)) {
      auto w = write_file_atomic(p, nesting_input(table, shape, depth));
      if (!w) return w.error();
    }
    return p.string();
  };
  std::string fixed_input;
  if (with_target && !search_depth) {
    auto p = input_for_depth(o["depth"].as<uint64_t>());
    if (!p) return bad_input(inv, p.error().message);
    fixed_input = p.value();
  } else if (o.count("input")) {
    fixed_input = fs::absolute(o["input"].as<std::string>()).string();
    if (!fs::is_regular_file(fixed_input)) return bad_input(inv, fixed_input + ": cannot read input file");
  }

  std::map<uint64_t, CrashReport> crashes;  // by probe value (depth or pages)
  std::map<uint64_t, std::string> inputs;
  // A probe says "exhausted" or "survives", and survives means what the
  // baseline did: no finding and exit 0. Anything else (another crash, an
  // error exit, a timeout) stops the bisection with that verdict: counted as
  // survival it would put the boundary anywhere.
  auto probe = [&](const std::string& input, uint64_t stack, uint64_t key) -> Result<bool> {
    Reproducer with_stack = base;
    with_stack.schedule = stack_schedule(shrink, stack);
    auto req = request_for(with_stack, input, project ? &*project : nullptr);
    if (!req) return req.error();
    req->inject_library = lib.value();
    auto r = run_and_triage(req.value());
    if (!r) return r.error();
    const bool exhausted = r->cls == CrashClass::StackExhaustion;
    if (exhausted) {
      crashes[key] = r.value();
      inputs[key] = input;
      return true;
    }
    if (r->cls == CrashClass::None && r->end == RunResult::End::Exited && r->exit_code == 0) return false;
    return Error{"with a " + human_size(stack) + " stack" + (search_depth ? " at depth " + std::to_string(key) : "") +
                 " the run ended " + verdict_line(r.value()).substr(11) +
                 ": neither stack exhaustion nor the clean exit of the baseline, so the bisection stops"};
  };
  // The baseline: the most room the search gives (the largest stack, or the
  // shallowest nesting) must end clean, or nothing it finds means anything.
  {
    std::string baseline_input = fixed_input;
    if (search_depth) {
      auto input = input_for_depth(1);
      if (!input) return bad_input(inv, input.error().message);
      baseline_input = input.value();
    }
    const uint64_t room = search_depth ? stack_size.value() : max_stack.value();
    const uint64_t key = search_depth ? 1 : 0;  // what a probe names it by (its depth)
    auto ok = probe(baseline_input, room, key);
    if (!ok)
      return bad_input(inv, "the baseline run (" + std::string(search_depth ? "depth 1, " : "") + human_size(room) +
                                " stack) must end clean: " + ok.error().message);
    if (ok.value() && search_depth)
      return bad_input(inv, "the baseline run (depth 1, " + human_size(room) + " stack) already exhausts the stack: " +
                                verdict_line(crashes.at(key)).substr(11));
    crashes.erase(key);
  }

  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json result;
  uint64_t lo, hi, crash_key = 0, stack_of_crash = 0;
  bool found = false;
  Result<Boundary> boundary = Boundary{};
  if (search_depth) {
    lo = 1;
    hi = o["max-depth"].as<uint64_t>();
    boundary = bisect_first_true(lo, hi, [&](uint64_t depth) -> Result<bool> {
      auto input = input_for_depth(depth);
      if (!input) return input.error();
      return probe(input.value(), stack_size.value(), depth);
    });
    if (!boundary) return bad_input(inv, boundary.error().message);
    result = {{"mode", "depth"}, {"stack_size", stack_size.value()}};
    if (boundary->first_true) {
      found = true;
      crash_key = *boundary->first_true;
      stack_of_crash = stack_size.value();
      result["min_crashing_depth"] = crash_key;
      result["bytes_per_level"] = stack_size.value() / crash_key;
    }
  } else {
    lo = (min_stack.value() + kPage - 1) / kPage;
    hi = max_stack.value() / kPage;
    // Surviving is monotone in the stack size: find the smallest size that survives.
    boundary = bisect_first_true(lo, hi, [&](uint64_t pages) -> Result<bool> {
      auto exhausted = probe(fixed_input, pages * kPage, pages);
      if (!exhausted) return exhausted.error();
      return !exhausted.value();
    });
    if (!boundary) return bad_input(inv, boundary.error().message);
    result = {{"mode", "stack"}};
    if (boundary->first_true) {
      result["min_surviving_stack"] = *boundary->first_true * kPage;
      if (*boundary->first_true > lo) {
        found = true;
        crash_key = *boundary->first_true - 1;
        stack_of_crash = crash_key * kPage;
      }
      if (with_target) {
        result["depth"] = o["depth"].as<uint64_t>();
        result["bytes_per_level"] = *boundary->first_true * kPage / o["depth"].as<uint64_t>();
      }
    }
  }
  // Bisection assumes survival is monotone in the room the program has; a
  // program that picks its recursion by the room it finds breaks that.
  // Probes at 2x, 4x, ... the answer up to the top of the range and at 1/2,
  // 1/4, ... down to the bottom (at most 6 each way) must agree with it.
  std::vector<std::string> disagreements;
  int extra_runs = 0;
  if (boundary->first_true) {
    const uint64_t answer = *boundary->first_true;
    auto check = [&](uint64_t x, bool above) -> Result<bool> {
      extra_runs++;
      Result<bool> exhausted = Error{""};
      if (search_depth) {
        auto input = input_for_depth(x);
        if (!input) return input.error();
        exhausted = probe(input.value(), stack_size.value(), x);
      } else {
        exhausted = probe(fixed_input, x * kPage, x);
      }
      const std::string at = search_depth ? "depth " + std::to_string(x) : "a " + human_size(x * kPage) + " stack";
      const std::string side = above ? "above" : "below";
      // Deeper nesting and smaller stacks exhaust: above the answer in depth, below it in size.
      const bool should_exhaust = search_depth == above;
      if (!exhausted) disagreements.push_back("at " + at + " (" + side + " the answer): " + exhausted.error().message);
      else if (exhausted.value() != should_exhaust)
        disagreements.push_back(at + (exhausted.value() ? " exhausts it, " : " survives, ") + side + " the answer");
      return true;
    };
    for (uint64_t x = answer * 2, n = 0; x <= hi && n < 6; x *= 2, n++)
      if (auto r = check(x, true); !r) return bad_input(inv, r.error().message);
    // Below: the answer's last run of the other side is known (answer - 1); halve from there.
    for (uint64_t x = (answer - 1) / 2, n = 0; x >= lo && x > 0 && n < 6; x /= 2, n++)
      if (auto r = check(x, false); !r) return bad_input(inv, r.error().message);
  }
  // The boundary crash must be the recursion the rest of the range shows.
  const uint64_t far_key = search_depth ? hi : lo;
  if (found && crashes.count(far_key) && far_key != crash_key) {
    const auto& near = crashes.at(crash_key).recursion_cycle;
    const auto& far = crashes.at(far_key).recursion_cycle;
    auto names = [](const std::vector<std::string>& fns) {
      std::string s;
      for (const auto& f : fns) s += (s.empty() ? "" : " ") + f;
      return s;
    };
    if (near && far && near->functions != far->functions)
      disagreements.push_back("the boundary crash recurses through " + names(near->functions) + ", the one at " +
                              (search_depth ? "depth " + std::to_string(far_key) : human_size(far_key * kPage) + " stack") +
                              " through " + names(far->functions) + ": two recursions");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double bound = std::ceil(std::log2(static_cast<double>(hi - lo))) + 2;
  result["runs"] = boundary->runs;  // the bisection's; the bound is about these
  result["baseline_runs"] = 1;
  result["monotonicity_runs"] = extra_runs;
  result["disagreements"] = disagreements;
  result["run_bound"] = bound;
  result["seconds"] = seconds;
  result["shrink"] = shrink;
  if (with_target) result["target"] = base.target, result["shape"] = shape, result["seed"] = table.seed;

  const std::string what = with_target ? "target " + base.target + (shape.empty() ? "" : ", shape " + shape)
                                       : "program " + base.argv[0];
  const std::string which = shrink == "main" ? "main-thread" : shrink == "threads" ? "worker-thread" : "main and thread";
  std::cout << "faultline stack: " << what << "\n";
  if (search_depth) {
    std::cout << "  " << which << " stack " << human_size(stack_size.value()) << ": ";
    if (found) std::cout << "smallest nesting depth that exhausts it: " << crash_key << " (" << crash_key - 1 << " survives)\n";
    else std::cout << "no stack exhaustion up to depth " << hi << "\n";
  } else {
    std::cout << "  " << (with_target ? "depth " + std::to_string(o["depth"].as<uint64_t>()) + ": " : "");
    if (!boundary->first_true) std::cout << "still exhausts a " << human_size(hi * kPage) << " " << which << " stack\n";
    else
      std::cout << "smallest " << which << " stack that survives: " << human_size(*boundary->first_true * kPage)
                << (found ? " (" + human_size(stack_of_crash) + " exhausts it)" : " (the smallest tried)") << "\n";
  }
  if (found) {
    const CrashReport& crash = crashes.at(crash_key);
    if (result.contains("bytes_per_level"))
      std::cout << "  bytes per nesting level: " << result["bytes_per_level"].get<uint64_t>() << " (stack / depth)";
    if (crash.recursion_cycle) {
      result["recursion_cycle"] = {{"functions", crash.recursion_cycle->functions},
                                   {"bytes_per_cycle", crash.recursion_cycle->bytes_per_level}};
      std::cout << (result.contains("bytes_per_level") ? "; " : "  ") << crash.recursion_cycle->bytes_per_level
                << " per trip round the recursion cycle (" << crash.recursion_cycle->functions.size() << " frames)";
    }
    std::cout << "\n";
    Reproducer repro = base;
    repro.schedule = stack_schedule(shrink, stack_of_crash);
    repro.expected_class = crash.cls;
    repro.expected_hash = crash.stack_hash;
    repro.environment = environment_facts();
    std::optional<std::string> bytes;
    if (base.input != InputMode::None) bytes = read_file(inputs.at(crash_key));
    auto stored = store_reproducer(o["out"].as<std::string>(), repro, bytes);
    if (!stored) return bad_input(inv, stored.error().message);
    result["reproducer"] = stored->dir.string();
    result["stack_hash"] = crash.stack_hash;
    std::cout << "  reproducer: " << stored->dir.string() << (stored->already_known ? " (already stored)" : "") << "\n";
    if (const std::string note = not_stored_note(stored.value()); !note.empty()) std::cout << "  " << note << "\n";
  }
  for (const auto& d : disagreements) std::cout << "  warning: not monotone: " << d << "\n";
  std::printf("  runs: %d (bisection %d, bound log2(range)+2 = %.0f; baseline 1; monotonicity checks %d), %.2f s\n",
              boundary->runs + 1 + extra_runs, boundary->runs, bound, extra_runs, seconds);
  if (o.count("report")) {
    auto w = write_file_atomic(o["report"].as<std::string>(), result.dump(2) + "\n");
    if (!w) return bad_input(inv, w.error().message);
  }
  return kExitClean;
}

}  // namespace faultline::cli
