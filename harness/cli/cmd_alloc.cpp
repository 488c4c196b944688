// faultline alloc: the same reproducer under every allocator, side by side.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "base/allocators.h"
#include "cli/commands.h"
#include "store/corpus.h"
#include "cli/run_setup.h"
#include "triage/triage.h"
#include "base/text.h"

namespace faultline::cli {

namespace {

// Every row holds freed blocks back (unless the reproducer sets its own
// quarantine): an allocator that takes a double free silently (jemalloc)
// shows it too, not only the one that aborts on it.
const Schedule kRowQuarantine = Schedule::item({{FL_KEY_QUARANTINE, 64}});

// The schedule without any `alloc` item, plus `alloc <name>` and the quarantine.
Result<Schedule> with_allocator(const Schedule& schedule, const Allocator& a) {
  std::vector<Schedule> items = schedule.items();
  std::erase_if(items, [](const Schedule& item) { return item.has_item("alloc"); });
  if (!schedule.get(FL_KEY_QUARANTINE)) items.push_back(kRowQuarantine);
  items.push_back(Schedule::item({{a.key, 1}}));
  return Schedule::join(items);
}

// Text from the reproducer (an untrusted file), short and with no control characters for the terminal.
std::string printable(const std::string& text) { return one_line(text.substr(0, 200)); }

// What the program brings of its own, and so what the rows mean.
void print_brought(const std::string& exe, const std::vector<BroughtAllocator>& brought) {
  for (const auto& b : brought) {
    const std::string name = b.allocator ? b.allocator->name : "an allocator";
    switch (b.how) {
      case BroughtAllocator::How::Needed:
        std::cout << exe << " links " << b.evidence << " (DT_NEEDED): without a row its malloc is " << name
                  << "'s. Each row preloads its allocator in front of it (glibc's libc.so.6 too), the " << name
                  << " row being its own.\n";
        if (!b.own_api_calls.empty()) {
          std::string calls;
          for (const auto& c : b.own_api_calls) calls += (calls.empty() ? "" : ", ") + c;
          std::cout << "It also calls " << name << "'s own API (" << calls << "), which stays on " << name
                    << " whatever the row: on the other rows a block that crosses between the two allocators "
                       "breaks because of the swap, not the program.\n";
        }
        break;
      case BroughtAllocator::How::StaticPrefixed:
        std::cout << exe << " has " << name << " linked in under a prefix (" << b.evidence
                  << "): what it allocates through that prefix stays on " << name
                  << " whatever the row; the rows swap what reaches malloc.\n";
        break;
      case BroughtAllocator::How::StaticMalloc: break;  // the built-in row says it
    }
  }
}

// A process the program starts may bring its own (varnishtest's varnishd):
// the reproducer says what its finding's process ran on when it was captured.
void print_captured_on(const nlohmann::json& env) {
  if (env.contains("allocator") && env["allocator"].is_string() && env.contains("allocator_how") &&
      env["allocator_how"].is_string() && env["allocator_how"].get<std::string>().starts_with("the program's own"))
    std::cout << "Captured on " << printable(env["allocator"].get<std::string>()) << " ("
              << printable(env["allocator_how"].get<std::string>())
              << ") in the finding's process: each row preloads its allocator in front of that one too.\n";
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

  const std::string repro_file = (dir / "repro.json").string();
  auto own = Schedule::parse(repro->schedule);
  if (!own) return bad_input(inv, repro_file + ": field 'schedule': " + own.error().message);

  const std::string exe = resolve_program(base->argv[0], base->cwd);
  const auto brought = allocators_brought(exe);
  const auto built_in = std::find_if(brought.begin(), brought.end(),
                                     [](const BroughtAllocator& b) { return b.how == BroughtAllocator::How::StaticMalloc; });
  print_brought(exe, brought);
  if (brought.empty()) print_captured_on(repro->environment);
  // OUTCOME is how the program ended on that allocator; SENTINELS what the
  // injector saw on the way, comma-separated (the same on every allocator, for a deterministic
  // bug); SERVED BY whose malloc the program's own process really ran on.
  std::printf("%-10s %-20s %-40s %-10s %-16s %8s\n", "ALLOCATOR", "OUTCOME", "SENTINELS", "SERVED BY", "STACK HASH", "SECONDS");
  auto row = [&](const std::string& label, const Schedule& schedule) -> Result<bool> {
    RunRequest req = base.value();
    req.schedule = schedule;
    req.inject_library = lib.value();
    req.limits.timeout_seconds = timeout;
    auto rep = run_and_triage(req);
    if (!rep) return rep.error();
    std::string outcome = "none", sentinels;
    for (const auto& f : rep->findings) {
      if (f.sentinel) sentinels += (sentinels.empty() ? "" : ",") + std::string(to_string(f.cls));
      else outcome = to_string(f.cls);
    }
    // Whose malloc the finding's process ran on (varnishd's cache-main under
    // varnishtest), else the program's own process's.
    const CrashReport::AllocatorServing* served = serving_allocator(rep.value());
    std::printf("%-10s %-20s %-40s %-10s %-16s %8.2f\n", label.c_str(), outcome.c_str(), sentinels.empty() ? "-" : sentinels.c_str(),
                served ? served->served.name.c_str() : "?", rep->stack_hash.c_str(), rep->wall_seconds);
    // A row whose allocator did not serve the program says so rather than pass for it.
    if (served && served->served.name != label && label != "built-in")
      std::printf("%-10s the program ran on %s, not %s: %s\n", "", served->served.name.c_str(), label.c_str(), served->how.c_str());
    return true;
  };
  if (built_in != brought.end()) {
    // Its allocator is linked in: no LD_PRELOAD reaches it, and neither do the
    // in-process sentinels (so no quarantine either): the reproducer as it is.
    auto r = row("built-in", own.value());
    if (!r) return bad_input(inv, r.error().message);
    std::cout << "\nswap impossible: " << exe << " defines " << built_in->evidence
              << " itself (a statically linked allocator); LD_PRELOAD and the in-process sentinels cannot reach it.\n"
                 "Observe it from the tracer instead: `malloc-signal ... ptrace`, `faultline explore --ptrace`.\n";
    return kExitClean;
  }
  for (const auto& a : allocators()) {
    if (auto path = allocator_library_path(a); !path) {
      std::printf("%-10s %s\n", a.name, path.error().message.c_str());
      continue;
    }
    auto schedule = with_allocator(own.value(), a);
    if (!schedule) return bad_input(inv, repro_file + ": field 'schedule' with alloc " + a.name + ": " + schedule.error().message);
    auto r = row(a.name, schedule.value());
    if (!r) return bad_input(inv, r.error().message);
  }
  std::cout << "(every row holds freed blocks back, " << kRowQuarantine.to_string()
            << " unless the reproducer has its own: a double free shows on the allocators that accept it too)\n";
  return kExitClean;
}

}  // namespace faultline::cli
