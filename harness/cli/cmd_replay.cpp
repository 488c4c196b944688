// faultline replay: does the reproducer still give its class and stack hash?
#include <iostream>

#include "base/text.h"
#include "cli/commands.h"
#include "cli/core_option.h"
#include "search/replay.h"
#include "report/report.h"
#include "cli/run_setup.h"
#include "base/version.h"

namespace faultline::cli {

int cmd_replay(const Invocation& inv) {
  if (inv.operands.empty()) return bad_input(inv, "no reproducer given (usage: faultline replay REPRO [--times N])");
  const auto& o = inv.options;
  const int times = o["times"].as<int>();
  if (times < 1) return bad_input(inv, "--times must be at least 1");
  std::optional<double> timeout;
  if (o.count("timeout")) {
    timeout = o["timeout"].as<double>();
    if (!seconds_in_range(*timeout)) return bad_input(inv, "--timeout must be a number of seconds in (0, 604800]");
  }
  const std::filesystem::path dir = inv.operands[0];
  auto repro = load_reproducer(dir);
  if (!repro) return bad_input(inv, repro.error().message);
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);
  // Made by another major version: its schedule and classes may not mean what
  // they mean here. The file is untrusted: only a version's characters are printed.
  if (const auto made_by = repro->environment.find("faultline_version");
      made_by != repro->environment.end() && made_by->is_string() && is_version_text(made_by->get<std::string>()) &&
      compatibility_version(made_by->get<std::string>()) != compatibility_version(version()))
    std::cerr << "faultline replay: " << dir.string() << " was made by faultline " << made_by->get<std::string>()
              << ", this is " << version() << " (another major version: schedules and classes may differ)\n";
  const auto repro_dir = std::filesystem::is_directory(dir) ? dir : dir.parent_path();
  auto project = project_if_any(inv);
  if (!project) return bad_input(inv, project.error().message);
  if (auto admitted = admit_reproducer(repro.value(), dir, project.value(), inv.options.count("trust-argv") > 0); !admitted)
    return bad_input(inv, admitted.error().message);
  auto core = core_option(inv, repro_dir);  // replaces the reproducer's own core
  if (!core) return bad_input(inv, core.error().message);
  auto outcome = replay(repro.value(), repro_dir, times, timeout, lib.value(), project->has_value() ? &**project : nullptr,
                        core.value());
  if (!outcome) return bad_input(inv, outcome.error().message);
  for (size_t i = 0; i < outcome->runs.size(); i++) {
    const auto& run = outcome->runs[i];
    if (run.matched) continue;
    // Why it did not match, not only what it got: a reproducer replayed from
    // another directory usually ends with its program's own error message.
    std::cout << "run " << i + 1 << ": got " << verdict_line(run.report).substr(11) << "\n";
    if (const std::string why = last_line(run.report.stderr_tail); !why.empty())
      std::cout << "  its stderr ended: " << why << "\n";
  }
  std::cout << outcome->matched << "/" << times << " reproduced (" << to_string(repro->expected_class) << " ["
            << repro->expected_hash << "])\n";
  if (outcome->core) std::cout << core_line(*outcome->core) << "\n";
  else if (core->wanted()) std::cout << "no core: no run crashed\n";
  return outcome->matched == times ? kExitClean : kExitFound;
}

}  // namespace faultline::cli
