// faultline minimize: the same class from a smaller schedule: extra items
// dropped, and the earliest allocator call that still gives it.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "store/corpus.h"
#include "search/minimize.h"
#include "report/report.h"
#include "cli/run_setup.h"

namespace faultline::cli {


int cmd_minimize(const Invocation& inv) {
  if (inv.operands.empty()) return bad_input(inv, "no reproducer given (usage: faultline minimize REPRO)");
  const int max_runs = inv.options["max-runs"].as<int>();
  if (max_runs < 1) return bad_input(inv, "--max-runs must be at least 1");
  const fs::path dir = fs::is_directory(inv.operands[0]) ? fs::path(inv.operands[0]) : fs::path(inv.operands[0]).parent_path();
  auto repro = load_reproducer(dir);
  if (!repro) return bad_input(inv, repro.error().message);
  auto project = project_if_any(inv);
  if (!project) return bad_input(inv, project.error().message);
  if (auto admitted = admit_reproducer(repro.value(), dir, project.value(), inv.options.count("trust-argv") > 0); !admitted)
    return bad_input(inv, admitted.error().message);
  auto base = request_for(repro.value(), dir, project->has_value() ? &**project : nullptr);
  if (!base) return bad_input(inv, base.error().message);
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);
  base->inject_library = lib.value();

  auto given = Schedule::parse(repro->schedule);
  if (!given) return bad_input(inv, (dir / "repro.json").string() + ": field 'schedule': " + given.error().message);
  auto minimized = minimize_schedule(base.value(), repro->schedule, repro->expected_class, max_runs);
  if (!minimized) return bad_input(inv, minimized.error().message);
  if (!minimized->reproduced) {
    std::cout << "faultline minimize: " << dir.string() << " does not reproduce " << to_string(repro->expected_class)
              << "; nothing to minimize\n";
    return kExitFound;
  }
  const std::string schedule = minimized->schedule;
  const int runs = minimized->runs;

  std::cout << "faultline minimize: " << runs << " runs\n  before: " << repro->schedule << "\n  after:  " << schedule << "\n";
  // Run once more: what the smaller one gives is stored, and its hold named.
  RunRequest req = base.value();
  req.schedule = minimized->value;
  auto rep = run_and_triage(req);
  if (!rep) return bad_input(inv, rep.error().message);
  if (rep->held) {
    std::cout << "  the delay that matters" << (minimized->from_pct ? " (one of the pct schedule's waits)" : "") << ": "
              << hold_phrase(*rep->held) << "\n";
    std::cout << "  what it lets happen: " << verdict_line(rep.value()).substr(11) << "\n";
  }
  else if (req.schedule.get(FL_KEY_DELAY_US) == std::nullopt && given->get(FL_KEY_DELAY_US))
    std::cout << "  no delay is needed: the crash comes without one\n";
  if (schedule == repro->schedule) {
    std::cout << "  already minimal\n";
    return kExitClean;
  }
  // Store the smaller one beside the original, under its own class and hash.
  Reproducer smaller = repro.value();
  smaller.schedule = schedule;
  smaller.expected_class = rep->cls;
  smaller.expected_hash = rep->stack_hash;
  std::optional<std::string> input;
  if (smaller.input != InputMode::None) input = read_file(dir / "input");
  if (reproducer_dir_name(smaller.expected_class, smaller.expected_hash) == fs::absolute(dir).filename().string()) {
    auto w = rewrite_reproducer(dir, smaller);  // same bucket: the smaller schedule replaces the old one
    if (!w) return bad_input(inv, w.error().message);
    std::cout << "  reproducer: " << dir.string() << " (rewritten)\n";
    return kExitClean;
  }
  auto stored = store_reproducer(fs::absolute(dir).parent_path(), smaller, input);
  if (!stored) return bad_input(inv, stored.error().message);
  std::cout << "  reproducer: " << stored->dir.string() << (stored->already_known ? " (already stored)" : "") << "\n";
  if (const std::string note = not_stored_note(stored.value()); !note.empty()) std::cout << "  " << note << "\n";
  return kExitClean;
}

}  // namespace faultline::cli
