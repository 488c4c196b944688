// faultline stack: where does the stack run out? Bisects (a) the smallest
// nesting depth that exhausts a given stack, or (b) the smallest stack that
// survives a given input, and stores the boundary crash as a reproducer. The
// nesting is a target's `stack` table's or, for any program, --open/--close
// or --template's (nesting.h).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "base/text.h"
#include "store/argv_files.h"
#include "cli/commands.h"
#include "store/corpus.h"
#include "store/manifest.h"
#include "base/nested_source.h"
#include "base/nesting.h"
#include "report/report.h"
#include "cli/run_setup.h"
#include "search/stack_search.h"

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

// A scratch directory for generated inputs, removed on every exit path, and
// named after its pid so that the next run removes it if a kill -9 left it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::error_code ec;
    fs::path tmp = fs::temp_directory_path(ec);
    if (ec) tmp = "/tmp";
    remove_entries_of_dead_writers(tmp, {"faultline-stack-"}, false);
    std::string t = (tmp / ("faultline-stack-" + std::to_string(getpid()) + "-XXXXXX")).string();
    if (mkdtemp(t.data())) path = t;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

// "a 1M stack"; size 0 is the program's own stacks (nothing shrunk).
std::string stack_phrase(uint64_t size) { return size ? "a " + human_size(size) + " stack" : "its own stacks"; }

// Why a program that exited on its own said no: the last line of its stderr
// that names an error (xmllint follows its message with the input line and a
// caret under it), else its last line.
std::string refusal(const CrashReport& r) {
  std::istringstream in(r.stderr_tail);
  std::string named;
  for (std::string line; std::getline(in, line);) {
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.find("error") != std::string::npos) named = line;
  }
  return named.empty() ? last_line(r.stderr_tail) : last_line(named);
}

// For a run that exited on its own, what it said: "; its stderr: ...".
std::string what_it_said(const CrashReport& r) {
  const std::string why = r.cls == CrashClass::None ? refusal(r) : "";
  return why.empty() ? "" : "; its stderr: " + why;
}

}  // namespace

int cmd_stack(const Invocation& inv) {
  const auto& o = inv.options;
  const bool with_target = o.count("target");
  if (with_target == !inv.program.empty()) return bad_input(inv, "give either --target NAME or `-- PROGRAM ARGS`");
  auto own = nesting_option(inv);
  if (!own) return bad_input(inv, own.error().message);
  const bool own_nesting = own->has_value();
  if (own_nesting && with_target)
    return bad_input(inv, "--open/--template nest the input of `-- PROGRAM`; a target's nesting is its stack table's");
  if (own_nesting && o.count("input"))
    return bad_input(inv, "--input with --open/--template: the input is generated (the @@ file, else stdin)");
  if (own_nesting && (!o["shape"].defaulted() || !o["seed"].defaulted()))
    return bad_input(inv, "--shape and --seed are nested_parser's generator's: not with --open/--template");
  // Probes read a generated input nested to a depth (the table's or --open's).
  const bool generated = with_target || own_nesting;
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
  // Any program's nesting without --stack-size runs on the program's own
  // stacks (0: no `stack` item): the depth its users would hit.
  const uint64_t depth_stack = own_nesting && o["stack-size"].defaulted() ? 0 : stack_size.value();
  auto schedule_for = [&](uint64_t stack) { return stack ? stack_schedule(shrink, stack) : std::string(); };

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
    if (own_nesting) {
      table.nesting = **own;
      base.input = placeholder ? InputMode::File : InputMode::Stdin;
    } else {
      if (placeholder && !o.count("input")) return bad_input(inv, "the command line has @@ but no --input FILE was given");
      if (o.count("input")) base.input = placeholder ? InputMode::File : InputMode::Stdin;
    }
    std::error_code ec;
    record_invocation(base, std::filesystem::current_path(ec));  // its reproducer replays from anywhere
  }
  const bool search_depth = generated && !o.count("depth");
  if (search_depth && o["max-depth"].as<uint64_t>() < 2) return bad_input(inv, "--max-depth must be at least 2");
  if (generated && o.count("depth") && o["depth"].as<uint64_t>() < 1) return bad_input(inv, "--depth must be at least 1");
  // The deepest input the search may need must be one nest() makes: refused before any run.
  if (generated && table.generator.empty()) {
    const char* bound = search_depth ? "max-depth" : "depth";
    if (auto size = nesting_size(table.nesting, o[bound].as<uint64_t>()); !size)
      return bad_input(inv, std::string("--") + bound + ": " + size.error().message);
  }

  TempDir tmp;
  if (tmp.path.empty()) return bad_input(inv, "cannot create a temporary directory");
  // The bytes each probe reads; a generated file per depth, or the user's input.
  auto input_for_depth = [&](uint64_t depth) -> Result<std::string> {
    const fs::path p = tmp.path / ("depth-" + std::to_string(depth));
    if (!fs::exists(p)) {
      auto bytes = nesting_input(table, shape, depth);
      if (!bytes) return bytes.error();
      auto w = write_file_atomic(p, bytes.value());
      if (!w) return w.error();
    }
    return p.string();
  };
  std::string fixed_input;
  if (generated && !search_depth) {
    auto p = input_for_depth(o["depth"].as<uint64_t>());
    if (!p) return bad_input(inv, p.error().message);
    fixed_input = p.value();
  } else if (o.count("input")) {
    fixed_input = fs::absolute(o["input"].as<std::string>()).string();
    if (!fs::is_regular_file(fixed_input)) return bad_input(inv, fixed_input + ": cannot read input file");
  }

  std::map<uint64_t, CrashReport> reports;  // every probe's, by probe value (depth or pages)
  std::map<uint64_t, std::string> inputs;
  auto exhausted_at = [&](uint64_t key) {
    return reports.count(key) && ending_of(reports.at(key)) == Ending::Exhausted;
  };
  // One run on `input` with a `stack`-byte stack (0: the program's own).
  auto run_probe = [&](const std::string& input, uint64_t stack, uint64_t key) -> Result<Ending> {
    Reproducer with_stack = base;
    with_stack.schedule = schedule_for(stack);
    auto req = request_for(with_stack, input, project ? &*project : nullptr);
    if (!req) return req.error();
    req->inject_library = lib.value();
    auto r = run_and_triage(req.value());
    if (!r) return r.error();
    reports[key] = r.value();
    inputs[key] = input;
    return ending_of(r.value());
  };
  // A probe says "exhausted" or "survives", and survives means what the
  // baseline did: no finding and exit 0. Anything else (another crash, an
  // error exit, a timeout) stops the search over sizes with that verdict:
  // counted as survival it would put the boundary anywhere.
  auto probe = [&](const std::string& input, uint64_t stack, uint64_t key) -> Result<bool> {
    auto e = run_probe(input, stack, key);
    if (!e) return e.error();
    if (e.value() == Ending::Exhausted) return true;
    if (e.value() == Ending::Clean) return false;
    return Error{"with " + stack_phrase(stack) + (search_depth ? " at depth " + std::to_string(key) : "") +
                 " the run ended " + how_it_ended(reports.at(key)) +
                 ": neither stack exhaustion nor the clean exit of the baseline, so the bisection stops" +
                 what_it_said(reports.at(key))};
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
    const uint64_t room = search_depth ? depth_stack : max_stack.value();
    const uint64_t key = search_depth ? 1 : 0;  // what a probe names it by (its depth)
    const std::string baseline = "the baseline run (" + std::string(search_depth ? "depth 1, " : "") +
                                 (room ? human_size(room) + " stack" : "its own stacks") + ")";
    auto ok = probe(baseline_input, room, key);
    if (!ok) return bad_input(inv, baseline + " must end clean: " + ok.error().message);
    if (ok.value() && search_depth)
      return bad_input(inv, baseline + " already exhausts the stack: " + verdict_line(reports.at(key)).substr(11));
    reports.erase(key);
  }

  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json result;
  uint64_t lo, hi, crash_key = 0, stack_of_crash = 0;
  bool found = false;
  Result<Boundary> boundary = Boundary{};
  std::optional<uint64_t> rejected_from;  // depth mode: where the program says no, without a crash
  if (search_depth) {
    lo = 2;  // depth 1 is the baseline: clean
    hi = o["max-depth"].as<uint64_t>();
    // Not ending clean is not survival, whatever the run did instead: the
    // boundary is the first depth that does not end clean, and how it ends
    // there is the answer (stack exhaustion, or the program's own refusal).
    boundary = bisect_first_true(lo, hi, [&](uint64_t depth) -> Result<bool> {
      auto input = input_for_depth(depth);
      if (!input) return input.error();
      auto e = run_probe(input.value(), depth_stack, depth);
      if (!e) return e.error();
      return e.value() != Ending::Clean;
    });
    if (!boundary) return bad_input(inv, boundary.error().message);
    result = {{"mode", "depth"}, {"stack_size", depth_stack}};
    if (boundary->first_true) {
      const uint64_t depth = *boundary->first_true;
      const CrashReport& at = reports.at(depth);
      const Ending e = ending_of(at);
      if (e == Ending::Other)
        return bad_input(inv, "at depth " + std::to_string(depth) + ", the shallowest that does not end clean (" +
                                  std::to_string(depth - 1) + " does), with " + stack_phrase(depth_stack) +
                                  " the run ended " + how_it_ended(at) +
                                  ": neither stack exhaustion nor an exit of the program's own, so there is no answer" +
                                  what_it_said(at));
      if (e == Ending::Rejected) {
        rejected_from = depth;
        result["rejected_from_depth"] = depth;
        result["rejection"] = {{"exit_code", at.exit_code}, {"stderr", refusal(at)}};
      } else {
        found = true;
        crash_key = depth;
        stack_of_crash = depth_stack;
        result["min_crashing_depth"] = crash_key;
        // The program's own stack: the size the crash report found for it.
        if (const uint64_t size = depth_stack ? depth_stack : at.thread_stack_size; size)
          result["bytes_per_level"] = size / crash_key;
      }
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
      if (generated) {
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
    // The far side of the boundary (deeper nesting: above the answer in
    // depth; smaller stacks: below it in size) must end as the answer did
    // (in depth, exhausted or the same refusal), the near side clean.
    const Ending far_end = search_depth ? ending_of(reports.at(answer)) : Ending::Exhausted;
    auto check = [&](uint64_t x, bool above) -> Result<bool> {
      extra_runs++;
      Result<Ending> e = Error{""};
      if (search_depth) {
        auto input = input_for_depth(x);
        if (!input) return input.error();
        e = run_probe(input.value(), depth_stack, x);
      } else {
        e = run_probe(fixed_input, x * kPage, x);
      }
      if (!e) return e.error();
      const std::string at = search_depth ? "depth " + std::to_string(x) : "a " + human_size(x * kPage) + " stack";
      const std::string side = above ? "above" : "below";
      const Ending want = search_depth == above ? far_end : Ending::Clean;
      if (e.value() == want) return true;
      if (e.value() == Ending::Exhausted) disagreements.push_back(at + " exhausts it, " + side + " the answer");
      else if (e.value() == Ending::Clean) disagreements.push_back(at + " survives, " + side + " the answer");
      else disagreements.push_back("at " + at + " (" + side + " the answer) the run ended " + how_it_ended(reports.at(x)) +
                                   what_it_said(reports.at(x)));
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
  if (found && exhausted_at(far_key) && far_key != crash_key) {
    const auto& near = reports.at(crash_key).recursion_cycle;
    const auto& far = reports.at(far_key).recursion_cycle;
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
  if (own_nesting)
    result["nesting"] = {{"open", table.nesting.open}, {"close", table.nesting.close}, {"leaf", table.nesting.leaf},
                         {"sep", table.nesting.sep}};

  const std::string what = with_target ? "target " + base.target + (shape.empty() ? "" : ", shape " + shape)
                                       : "program " + base.argv[0] +
                                             (own_nesting ? " (input " + nesting_label(table.nesting) + ")" : "");
  const std::string which = shrink == "main" ? "main-thread" : shrink == "threads" ? "worker-thread" : "main and thread";
  std::cout << "faultline stack: " << what << "\n";
  if (search_depth) {
    std::cout << "  " << (depth_stack ? which + " stack " + human_size(depth_stack) : "its own stacks (no --stack-size)")
              << ": ";
    if (found) {
      std::cout << "smallest nesting depth that exhausts it: " << crash_key << " (" << crash_key - 1 << " survives)\n";
    } else if (rejected_from) {
      // Say "no depth exhausts it" only when no probe, on either side, did.
      bool any_exhausted = false;
      for (const auto& [key, r] : reports) any_exhausted |= ending_of(r) == Ending::Exhausted;
      const CrashReport& at = reports.at(*rejected_from);
      std::cout << (any_exhausted ? "" : "no nesting depth up to " + std::to_string(hi) + " exhausts it; ")
                << "from depth " << *rejected_from << " (" << *rejected_from - 1
                << " ends clean) the program rejects its input, exit " << at.exit_code << ", no crash\n";
      if (const std::string why = refusal(at); !why.empty()) std::cout << "  its stderr: " << why << "\n";
    } else {
      std::cout << "no stack exhaustion up to depth " << hi << "\n";
    }
  } else {
    std::cout << "  " << (generated ? "depth " + std::to_string(o["depth"].as<uint64_t>()) + ": " : "");
    if (!boundary->first_true) std::cout << "still exhausts a " << human_size(hi * kPage) << " " << which << " stack\n";
    else
      std::cout << "smallest " << which << " stack that survives: " << human_size(*boundary->first_true * kPage)
                << (found ? " (" + human_size(stack_of_crash) + " exhausts it)" : " (the smallest tried)") << "\n";
  }
  if (found) {
    const CrashReport& crash = reports.at(crash_key);
    std::cout << "  the stack that ran out: " << crash.fault_region
              << (crash.thread_stack_size ? ", " + human_size(crash.thread_stack_size) : "") << "\n";
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
    repro.schedule = schedule_for(stack_of_crash);
    repro.expected_class = crash.cls;
    repro.expected_hash = crash.stack_hash;
    repro.environment = environment_facts(crash);
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
    auto w = write_file_atomic(o["report"].as<std::string>(), json_text(result) + "\n");
    if (!w) return bad_input(inv, w.error().message);
  }
  return kExitClean;
}

}  // namespace faultline::cli
