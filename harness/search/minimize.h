// Schedule minimization: the same crash class from fewer schedule items and
// the earliest allocator call that still gives it. `faultline minimize` and
// `faultline fuzz` both use it.
#pragma once
#include <string>

#include "triage/crash_class.h"
#include "base/result.h"
#include "base/schedule.hpp"
#include "process/runner.h"

namespace faultline {

struct MinimizedSchedule {
  std::string schedule;
  Schedule value;  // the same schedule, as a value
  int runs = 0;
  bool reproduced = true;  // the starting schedule gave the class at all
  bool from_pct = false;   // a pct schedule became one of its waits, as a delay
};

// `base` is the run with everything but the schedule set.
Result<MinimizedSchedule> minimize_schedule(const RunRequest& base, const std::string& schedule, CrashClass expected,
                                            int max_runs);

}  // namespace faultline
