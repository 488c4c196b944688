// faultline minimize: the same class from a smaller schedule: extra items
// dropped, and the earliest allocator call that still gives it.
#include <iostream>
#include <algorithm>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "corpus.h"
#include "explore.h"
#include "run_setup.h"

namespace faultline::cli {


int cmd_minimize(const Invocation& inv) {
  if (inv.operands.empty()) return bad_input(inv, "no reproducer given (usage: faultline minimize REPRO)");
  const int max_runs = inv.options["max-runs"].as<int>();
  if (max_runs < 1) return bad_input(inv, "--max-runs must be at least 1");
  const fs::path dir = fs::is_directory(inv.operands[0]) ? fs::path(inv.operands[0]) : fs::path(inv.operands[0]).parent_path();
  auto repro = load_reproducer(dir);
  if (!repro) return bad_input(inv, repro.error().message);
  auto base = request_for(repro.value(), dir, binary_dir());
  if (!base) return bad_input(inv, base.error().message);
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);
  base->inject_library = lib.value();

  int runs = 0;
  auto same_class = [&](const std::string& schedule) -> Result<bool> {
    runs++;
    RunRequest req = base.value();
    req.schedule = Schedule::parse(schedule).value();
    auto rep = run_and_triage(req);
    if (!rep) return rep.error();
    return rep->cls == repro->expected_class;
  };
  auto first = same_class(repro->schedule);
  if (!first) return bad_input(inv, first.error().message);
  if (!first.value()) {
    std::cout << "faultline minimize: " << dir.string() << " does not reproduce " << to_string(repro->expected_class)
              << "; nothing to minimize\n";
    return kExitFound;
  }

  // Fewest extras: drop every item the class does not need.
  std::vector<std::string> items = schedule_items(repro->schedule);
  for (size_t i = 0; i < items.size() && runs < max_runs;) {
    if (items[i].rfind("malloc-signal", 0) == 0 || items.size() == 1) {
      i++;
      continue;
    }
    std::vector<std::string> without = items;
    without.erase(without.begin() + static_cast<long>(i));
    auto ok = same_class(join_schedule_items(without));
    if (!ok) return bad_input(inv, ok.error().message);
    if (ok.value()) items = without;
    else i++;
  }
  // Earliest call: the first allocator call after the handler exists that still gives the class.
  std::string schedule = join_schedule_items(items);
  auto parsed = Schedule::parse(schedule).value();
  if (auto call = parsed.get(FL_KEY_MS_CALL); call && parsed.get(FL_KEY_MS_INSN)) {
    const int sig = static_cast<int>(*parsed.get(FL_KEY_MS_SIG));
    const int thread = static_cast<int>(parsed.get(FL_KEY_MS_THREAD).value_or(0));
    const uint64_t insn = *parsed.get(FL_KEY_MS_INSN);
    auto rest = items;
    rest.erase(std::remove_if(rest.begin(), rest.end(), [](const std::string& s) { return s.rfind("malloc-signal", 0) == 0; }),
               rest.end());
    for (uint64_t c = 1; c < *call && runs < max_runs; c++) {
      std::vector<std::string> candidate = {malloc_signal_schedule(sig, thread, c, insn)};
      candidate.insert(candidate.end(), rest.begin(), rest.end());
      auto ok = same_class(join_schedule_items(candidate));
      if (!ok) return bad_input(inv, ok.error().message);
      if (ok.value()) {
        schedule = join_schedule_items(candidate);
        break;
      }
    }
  }

  std::cout << "faultline minimize: " << runs << " runs\n  before: " << repro->schedule << "\n  after:  " << schedule << "\n";
  if (schedule == repro->schedule) {
    std::cout << "  already minimal\n";
    return kExitClean;
  }
  // Store the smaller one beside the original, under its own class and hash.
  RunRequest req = base.value();
  req.schedule = Schedule::parse(schedule).value();
  auto rep = run_and_triage(req);
  if (!rep) return bad_input(inv, rep.error().message);
  Reproducer smaller = repro.value();
  smaller.schedule = schedule;
  smaller.expected_class = rep->cls;
  smaller.expected_hash = rep->stack_hash;
  std::optional<std::string> input;
  if (smaller.input != InputMode::None) {
    std::ifstream f(dir / "input", std::ios::binary);
    input = std::string((std::istreambuf_iterator<char>(f)), {});
  }
  if (reproducer_dir_name(smaller.expected_class, smaller.expected_hash) == fs::absolute(dir).filename().string()) {
    auto w = rewrite_reproducer(dir, smaller);  // same bucket: the smaller schedule replaces the old one
    if (!w) return bad_input(inv, w.error().message);
    std::cout << "  reproducer: " << dir.string() << " (rewritten)\n";
    return kExitClean;
  }
  auto stored = store_reproducer(fs::absolute(dir).parent_path(), smaller, input);
  if (!stored) return bad_input(inv, stored.error().message);
  std::cout << "  reproducer: " << stored->dir.string() << (stored->already_known ? " (already stored)" : "") << "\n";
  return kExitClean;
}

}  // namespace faultline::cli
