// faultline alloc: the same reproducer under every allocator, side by side.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "allocators.h"
#include "commands.h"
#include "corpus.h"
#include "run_setup.h"

namespace faultline::cli {

namespace {

// The schedule without any `alloc` item, plus `alloc <name>`.
std::string with_allocator(const std::string& schedule, const Allocator& a) {
  std::vector<std::string> items;
  for (auto& item : schedule_items(schedule))
    if (item.rfind("alloc ", 0) != 0) items.push_back(std::move(item));
  items.push_back(std::string("alloc ") + a.name);
  return join_schedule_items(items);
}

}  // namespace

int cmd_alloc(const Invocation& inv) {
  if (inv.operands.empty()) return bad_input(inv, "no reproducer given (usage: faultline alloc REPRO)");
  const fs::path dir = fs::is_directory(inv.operands[0]) ? fs::path(inv.operands[0]) : fs::path(inv.operands[0]).parent_path();
  auto repro = load_reproducer(dir);
  if (!repro) return bad_input(inv, repro.error().message);
  const double timeout = inv.options.count("timeout") ? inv.options["timeout"].as<double>() : 5;
  if (!seconds_in_range(timeout)) return bad_input(inv, "--timeout must be a number of seconds in (0, 604800]");
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);
  auto project = project_if_any(inv);
  if (!project) return bad_input(inv, project.error().message);
  if (auto admitted = admit_reproducer(repro.value(), dir, project.value(), inv.options.count("trust-argv") > 0); !admitted)
    return bad_input(inv, admitted.error().message);
  auto base = request_for(repro.value(), dir, project->has_value() ? &**project : nullptr);
  if (!base) return bad_input(inv, base.error().message);

  const std::string exe = resolve_program(base->argv[0], base->cwd);
  bool pie = false;
  const auto own = executable_allocator_symbols(exe, &pie);
  // OUTCOME is how the program ended on that allocator; SENTINELS what the
  // injector saw on the way (the same on every allocator, for a deterministic bug).
  std::printf("%-10s %-20s %-34s %-16s %8s\n", "ALLOCATOR", "OUTCOME", "SENTINELS", "STACK HASH", "SECONDS");
  auto row = [&](const std::string& label, const std::string& schedule) -> Result<bool> {
    RunRequest req = base.value();
    req.schedule = Schedule::parse(schedule).value();
    req.inject_library = lib.value();
    req.limits.timeout_seconds = timeout;
    auto rep = run_and_triage(req);
    if (!rep) return rep.error();
    std::string outcome = "none", sentinels;
    for (const auto& f : rep->findings) {
      if (f.sentinel) sentinels += (sentinels.empty() ? "" : ", ") + std::string(to_string(f.cls));
      else outcome = to_string(f.cls);
    }
    std::printf("%-10s %-20s %-34s %-16s %8.2f\n", label.c_str(), outcome.c_str(), sentinels.empty() ? "-" : sentinels.c_str(),
                rep->stack_hash.c_str(), rep->wall_seconds);
    return true;
  };
  if (!own.empty()) {
    // Its allocator is linked in: no LD_PRELOAD reaches it, and neither do the in-process sentinels.
    std::string names;
    for (const auto& [name, addr] : own) names += (names.empty() ? "" : ", ") + name;
    auto r = row("built-in", repro->schedule);
    if (!r) return bad_input(inv, r.error().message);
    std::cout << "\nswap impossible: " << exe << " defines " << names
              << " itself (a statically linked allocator); LD_PRELOAD and the in-process sentinels cannot reach it.\n"
                 "Observe it from the tracer instead: `malloc-signal ... ptrace`, `faultline explore --ptrace`.\n";
    return kExitClean;
  }
  for (const auto& a : allocators()) {
    if (auto path = allocator_library_path(a); !path) {
      std::printf("%-10s %s\n", a.name, path.error().message.c_str());
      continue;
    }
    auto r = row(a.name, with_allocator(repro->schedule, a));
    if (!r) return bad_input(inv, r.error().message);
  }
  return kExitClean;
}

}  // namespace faultline::cli
