// faultline explore: search malloc-signal schedules until the program's own
// handler, run with the allocator paused, gives a finding.
#include <iostream>

#include "commands.h"
#include "corpus.h"
#include "explore.h"
#include "report.h"
#include "run_setup.h"
#include "unsafe_calls.h"

namespace faultline::cli {

namespace {
// What --in may name: the functions the injector interposes, as the source calls them.
std::string interposed_functions() {
  std::string out;
  for (int id = 0; id < FL_CALL_COUNT; id++)
    if (fl_unsafe_call_family(id) == id) out += std::string(out.empty() ? "" : ", ") + fl_unsafe_call_name(id);
  return out;
}
}  // namespace

int cmd_explore(const Invocation& inv) {
  const auto& o = inv.options;
  if (o["injector"].as<std::string>() != "malloc-signal")
    return bad_input(inv, "--injector: only malloc-signal can be explored (stack: use `faultline stack`)");
  auto signo = signal_number(o["signal"].as<std::string>());
  if (!signo) return bad_input(inv, "--signal: '" + o["signal"].as<std::string>() + "' is not a signal");
  ExploreOptions opt;
  opt.signo = *signo;
  opt.thread = o["thread"].as<int>();
  opt.max_runs = o["max-runs"].as<int>();
  opt.keep_going = o.count("keep-going");
  opt.ptrace = o.count("ptrace");
  if (o.count("seed")) opt.seed = o["seed"].as<uint64_t>();
  if (o.count("in")) {
    opt.in_function = o["in"].as<std::string>();
    if (fl_unsafe_family_of(opt.in_function.c_str()) < 0)
      return bad_input(inv, "--in: '" + opt.in_function + "' is not a function faultline interposes (" +
                                interposed_functions() + ")");
    if (opt.ptrace) return bad_input(inv, "--in steps the function in-process: not with --ptrace");
  }
  auto shard = shard_option(inv);
  if (!shard) return bad_input(inv, shard.error().message);
  opt.shard_index = shard->index, opt.shard_count = shard->count;
  if (opt.max_runs < 2) return bad_input(inv, "--max-runs must be at least 2");
  if (opt.thread < 0) return bad_input(inv, "--thread must be 0 or more");
  auto spec = program_spec(inv);
  if (!spec) return bad_input(inv, spec.error().message);
  const std::string out = o["out"].as<std::string>();

  int stored_new = 0;
  Result<bool> store_error = true;
  auto result = explore_malloc_signal(spec->request, opt, [&](const ExploreHit& hit) {
    std::cout << "run " << hit.run << ": " << hit.schedule << " -> " << verdict_line(hit.report).substr(11) << "\n";
    Reproducer repro = spec->repro;
    repro.schedule = hit.schedule;
    repro.expected_class = hit.report.cls;
    repro.expected_hash = hit.report.stack_hash;
    repro.environment = environment_facts();
    auto stored = store_reproducer(out, repro, spec->input);
    if (!stored) {
      store_error = stored.error();
      return;
    }
    stored_new += !stored->already_known;
    std::cout << "  reproducer " << (stored->already_known ? "already at " : "") << stored->dir.string() << "\n";
  });
  if (!result) return bad_input(inv, result.error().message);
  if (!store_error) return bad_input(inv, store_error.error().message);
  std::cout << "faultline explore: " << result->runs << " runs, " << result->points_tried << " points tried, "
            << result->points_pruned << " pruned (address already covered), " << result->hits.size()
            << " findings; "
            << (opt.ptrace ? std::string("tracer-side (ptrace), calls tried from 1")
                           : "handler installed before " +
                                 (opt.in_function.empty() ? std::string("allocator") : opt.in_function + "()") +
                                 " call " + std::to_string(result->first_call) + " of thread " + std::to_string(opt.thread))
            << "\n";
  return result->hits.empty() ? kExitClean : kExitFound;
}

}  // namespace faultline::cli
