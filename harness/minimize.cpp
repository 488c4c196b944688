#include "minimize.h"

#include <algorithm>
#include <vector>

#include "explore.h"
#include "schedule.hpp"
#include "triage.h"

namespace faultline {

Result<MinimizedSchedule> minimize_schedule(const RunRequest& base, const std::string& schedule, CrashClass expected,
                                            int max_runs) {
  MinimizedSchedule out;
  out.schedule = schedule;
  auto same_class = [&](const std::string& candidate) -> Result<bool> {
    out.runs++;
    RunRequest req = base;
    req.schedule = Schedule::parse(candidate).value();
    auto rep = run_and_triage(req);
    if (!rep) return rep.error();
    return rep->cls == expected;
  };
  auto first = same_class(schedule);
  if (!first) return first.error();
  if (!first.value()) {
    out.reproduced = false;
    return out;
  }

  // Fewest extras: drop every item the class does not need.
  std::vector<std::string> items = schedule_items(schedule);
  for (size_t i = 0; i < items.size() && out.runs < max_runs;) {
    if (items[i].rfind("malloc-signal", 0) == 0 || items.size() == 1) {
      i++;
      continue;
    }
    std::vector<std::string> without = items;
    without.erase(without.begin() + static_cast<long>(i));
    auto ok = same_class(join_schedule_items(without));
    if (!ok) return ok.error();
    if (ok.value()) items = without;
    else i++;
  }
  // Earliest call: the first allocator call after the handler exists that still gives the class.
  out.schedule = join_schedule_items(items);
  auto parsed = Schedule::parse(out.schedule).value();
  if (auto call = parsed.get(FL_KEY_MS_CALL); call && parsed.get(FL_KEY_MS_INSN)) {
    const ExploreOptions point = explore_options_of(parsed);
    const uint64_t insn = *parsed.get(FL_KEY_MS_INSN);
    auto rest = items;
    rest.erase(std::remove_if(rest.begin(), rest.end(), [](const std::string& s) { return s.rfind("malloc-signal", 0) == 0; }),
               rest.end());
    for (uint64_t c = 1; c < *call && out.runs < max_runs; c++) {
      std::vector<std::string> candidate = {malloc_signal_schedule(point, c, insn)};
      candidate.insert(candidate.end(), rest.begin(), rest.end());
      auto ok = same_class(join_schedule_items(candidate));
      if (!ok) return ok.error();
      if (ok.value()) {
        out.schedule = join_schedule_items(candidate);
        break;
      }
    }
  }
  return out;
}

}  // namespace faultline
