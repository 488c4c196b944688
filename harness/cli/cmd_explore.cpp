// faultline explore: search malloc-signal schedules until the program's own
// handler, run with the allocator paused, gives a finding.
#include <cstdio>
#include <iostream>
#include <set>

#include "triage/classify.h"
#include "cli/commands.h"
#include "cli/core_option.h"
#include "store/corpus.h"
#include "store/finding.h"
#include "search/explore.h"
#include "search/interleave.h"
#include "base/progress.h"
#include "report/report.h"
#include "cli/run_setup.h"

namespace faultline::cli {

namespace {

// "A-B", "A-" or "A": allocator calls, counted from 1.
Result<std::pair<uint64_t, uint64_t>> call_range(const std::string& text) {
  const auto bad = Error{"--calls: '" + text + "' is not a range of allocator calls such as 200-400 or 266-"};
  auto number = [](const std::string& s) -> std::optional<uint64_t> {
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoull(s);
  };
  const auto dash = text.find('-');
  auto lo = number(text.substr(0, dash));
  if (!lo || *lo == 0) return bad;
  if (dash == std::string::npos) return std::pair{*lo, *lo};
  if (dash + 1 == text.size()) return std::pair{*lo, UINT64_MAX};
  auto hi = number(text.substr(dash + 1));
  if (!hi || *hi < *lo) return bad;
  return std::pair{*lo, *hi};
}

Result<ExploreOptions> explore_options(const Invocation& inv) {
  const auto& o = inv.options;
  for (const char* only : {"alloc", "depth", "search"})
    if (o.count(only) && !o[only].defaulted())
      return Error{std::string("--") + only + " is for --injector interleave, not malloc-signal"};
  ExploreOptions opt;
  auto signo = signal_number(o["signal"].as<std::string>());
  if (!signo) return Error{"--signal: '" + o["signal"].as<std::string>() + "' is not a signal"};
  if (auto why = uncatchable_signal(*signo)) return Error{"--signal: " + *why};
  opt.signo = *signo;
  opt.thread = o["thread"].as<int>();
  opt.max_runs = o["max-runs"].as<int>();
  opt.keep_going = o.count("keep-going");
  opt.ptrace = o.count("ptrace");
  if (o.count("seed")) opt.seed = o["seed"].as<uint64_t>();
  if (o.count("process")) opt.process = o["process"].as<std::string>();
  if (o.count("in")) {
    opt.in_function = o["in"].as<std::string>();
    if (auto why = malloc_signal_word_problem("in", *opt.in_function)) return Error{"--in: " + *why};
    if (opt.ptrace) return Error{"--in steps the function in-process: not with --ptrace"};
  }
  if (o.count("calls")) {
    auto range = call_range(o["calls"].as<std::string>());
    if (!range) return range.error();
    std::tie(opt.first_call, opt.last_call) = range.value();
  }
  auto shard = shard_option(inv);
  if (!shard) return shard.error();
  opt.shard_index = shard->index, opt.shard_count = shard->count;
  if (opt.max_runs < 2) return Error{"--max-runs must be at least 2"};
  if (opt.thread < 0) return Error{"--thread must be 0 or more"};
  if (opt.process)
    if (auto why = malloc_signal_word_problem("process", *opt.process)) return Error{"--process: " + *why};
  return opt;
}

std::string summary(const ExploreOptions& opt, const ExploreResult& r) {
  std::string line = "faultline explore: " + std::to_string(r.runs) + " runs, " + std::to_string(r.points_tried) +
                     " points tried, " + std::to_string(r.points_pruned) + " pruned (same path and instruction), " +
                     std::to_string(r.hits.size()) + " findings; ";
  const std::string sig = signal_name(opt.signo), who = opt.process ? "process " + *opt.process : "the program's process";
  if (opt.ptrace) return line + "tracer-side (ptrace), calls tried from " + std::to_string(opt.first_call);
  const Census& c = r.census;
  const std::string calls = opt.in_function ? *opt.in_function + "()" : "allocator";  // what call= counts
  if (!c.handler_seen) {
    line += "no " + sig + " handler seen in " + who + ", so nothing was tried";
    if (c.handlers_elsewhere) line += " (a handler was installed in other processes it ran: --process NAME picks one)";
    return line;
  }
  line += c.handler_found_at_start ? sig + " handler already installed when the injector started (a library constructor)"
                                   : sig + " handler installed before " + calls + " call " + std::to_string(c.first_call);
  line += " of thread " + std::to_string(opt.thread);
  if (c.calls) line += ", which makes " + std::to_string(*c.calls) + " " + calls + " calls";
  if (opt.seed) line += "; points sampled over calls " + std::to_string(c.first_call) + (c.calls ? "-" + std::to_string(*c.calls) : "-");
  else line += "; " + std::to_string(r.calls_covered) + " calls got their breadth-first points";
  return line;
}

Result<InterleaveOptions> interleave_options(const Invocation& inv) {
  const auto& o = inv.options;
  for (const char* only : {"process", "calls", "in", "ptrace", "thread", "signal"})
    if (o.count(only) && !o[only].defaulted()) return Error{std::string("--") + only + " is for --injector malloc-signal, not interleave"};
  InterleaveOptions opt;
  opt.max_runs = o["max-runs"].as<int>();
  opt.keep_going = o.count("keep-going");
  if (opt.max_runs < 2) return Error{"--max-runs must be at least 2"};
  if (o.count("seed")) opt.seed = o["seed"].as<uint64_t>();
  opt.depth = o["depth"].as<int>();
  if (opt.depth < 1 || opt.depth > FL_PCT_MAX_DEPTH) return Error{"--depth must be 1 to " + std::to_string(FL_PCT_MAX_DEPTH)};
  const std::string search = o["search"].as<std::string>();
  if (search != "delays" && search != "pct" && search != "both")
    return Error{"--search: '" + search + "': want delays, pct or both"};
  if (o.count("alloc")) {
    auto alloc = Schedule::parse("alloc " + o["alloc"].as<std::string>());
    if (!alloc) return Error{"--alloc: " + alloc.error().message};
    opt.alloc = alloc.value();
  }
  opt.delays = search != "pct";
  opt.pct = search != "delays";
  auto shard = shard_option(inv);
  if (!shard) return shard.error();
  opt.shard_index = shard->index, opt.shard_count = shard->count;
  return opt;
}

std::string interleave_summary(const InterleaveOptions& opt, const InterleaveResult& r) {
  std::string line = "faultline explore: " + std::to_string(r.runs) + " runs, " + std::to_string(r.points_tried) +
                     " delays and " + std::to_string(r.pct_tried) + " pct schedules tried, " +
                     std::to_string(r.hits.size()) + " findings" +
                     (r.unsteady ? " (" + std::to_string(r.unsteady) + " schedules crashed on some reruns only" +
                                       (r.hits.empty() ? "" : ", not stored") + ")"
                                 : "") +
                     "; census:";
  std::set<int> threads;
  for (const auto* counts : {&r.calls, &r.syncs})
    for (const auto& [thread, n] : *counts) threads.insert(thread);
  auto count = [](const std::map<int, uint64_t>& m, int t) { auto it = m.find(t); return it == m.end() ? 0 : it->second; };
  for (int t : threads)
    line += " thread " + std::to_string(t) + " passes " + std::to_string(count(r.calls, t)) + " allocator calls and " +
            std::to_string(count(r.syncs, t)) + " sync points,";
  if (r.census_exit)
    line += " (the census run exited with status " + std::to_string(r.census_exit) +
            ": if the program does not end that way, check its arguments),";
  if (threads.empty()) return line + " no thread reported its points, so nothing was tried";
  if (opt.delays) {
    line += " each point held for";
    for (uint64_t us : opt.delays_us) line += " " + std::to_string(us) + " us";
    line += " in turn, breadth first;";
  }
  if (opt.pct && r.pct_tried) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%.2g", pct_bound(threads.size(), r.points, opt.depth));
    line += " pct depth " + std::to_string(opt.depth) + " from seed " + std::to_string(opt.seed) + " over k=" +
            std::to_string(r.points) + " points of n=" + std::to_string(threads.size()) +
            " threads: a bug of depth " + std::to_string(opt.depth) + " in the order of point calls is found by one "
            "schedule with probability >= 1/(n k^(d-1)) = " + bound +
            " while every wait ends by the higher thread reaching a point or blocking (a wait cut at 2 ms voids it)";
  }
  return line;
}

}  // namespace

int cmd_explore(const Invocation& inv) {
  const std::string injector = inv.options["injector"].as<std::string>();
  if (injector != "malloc-signal" && injector != "interleave")
    return bad_input(inv, "--injector: '" + injector + "': explore knows malloc-signal and interleave (stack: use `faultline stack`)");
  std::optional<ExploreOptions> signal_opt;
  std::optional<InterleaveOptions> interleave_opt;
  if (injector == "interleave") {
    auto o = interleave_options(inv);
    if (!o) return bad_input(inv, o.error().message);
    interleave_opt = o.value();
  } else {
    auto o = explore_options(inv);
    if (!o) return bad_input(inv, o.error().message);
    signal_opt = o.value();
  }
  auto spec = program_spec(inv);
  if (!spec) return bad_input(inv, spec.error().message);
  const std::string out = inv.options["out"].as<std::string>();
  auto core = core_option(inv, out);
  if (!core) return bad_input(inv, core.error().message);
  spec->request.core = core.value();

  Result<bool> store_error = true;
  ProgressLine progress("explore");
  auto store = [&](const ExploreHit& hit) {
    progress.done();
    std::cout << "run " << hit.run << ": " << hit.schedule << " -> " << verdict_line(hit.report).substr(11) << "\n";
    if (hit.report.held) std::cout << "  " << hold_phrase(*hit.report.held) << "\n";
    Reproducer repro = spec->repro;
    repro.schedule = hit.schedule;
    auto stored = store_finding(out, repro, hit.report, spec->input);
    if (!stored) {
      store_error = stored.error();
      return;
    }
    std::cout << "  reproducer " << (stored->already_known ? "already at " : "") << stored->dir.string() << std::endl;
    if (const std::string note = not_stored_note(stored.value()); !note.empty()) std::cout << "  " << note << std::endl;
    // A duplicate's core went at once, not when the search ends; of a bucket stored before, only a kept core is news.
    if (hit.report.core && (!stored->already_known || hit.report.core->kept))
      std::cout << "  " << core_line(*hit.report.core) << std::endl;
  };
  auto show = [&](const ExploreProgress& p) {
    if (!progress.due()) return;
    char text[200];
    const double secs = progress.seconds();
    std::snprintf(text, sizeof text, "%d/%d runs, %zu points, %zu findings, %.1f runs/s, at call %llu", p.runs,
                  p.max_runs, p.points, p.findings, secs > 0 ? p.runs / secs : 0.0,
                  static_cast<unsigned long long>(p.call));
    progress.show(text);
  };
  std::string summary_line;
  bool found = false;
  if (interleave_opt) {
    auto result = explore_interleave(spec->request, *interleave_opt, store, show);
    progress.done();
    if (!result) return bad_input(inv, result.error().message);
    summary_line = interleave_summary(*interleave_opt, result.value());
    found = !result->hits.empty();
  } else {
    auto result = explore_malloc_signal(spec->request, *signal_opt, store, show);
    progress.done();
    if (!result) return bad_input(inv, result.error().message);
    summary_line = summary(*signal_opt, result.value());
    found = !result->hits.empty();
  }
  if (!store_error) return bad_input(inv, store_error.error().message);
  std::cout << summary_line << "\n";
  return found ? kExitFound : kExitClean;
}

}  // namespace faultline::cli
