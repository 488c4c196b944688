#include "interleave.h"

#include <algorithm>

namespace faultline {

std::string delay_schedule(int thread, const char* at, uint64_t n, uint64_t us, uint64_t quarantine) {
  return "delay thread=" + std::to_string(thread) + " " + at + "=" + std::to_string(n) + " us=" + std::to_string(us) +
         " ; quarantine=" + std::to_string(quarantine);
}

namespace {

// Reruns of a point that crashed before it counts as a finding.
constexpr int kConfirmations = 2;

// The points in breadth-first order: point 1 of every thread (its first
// allocator call, its first lock point), then point 2 of every thread that
// has one, ...; the whole round for each delay in turn.
struct Point {
  int thread;
  const char* at;  // "call" or "lock"
  uint64_t n, us;
};
std::vector<Point> breadth_first(const std::map<int, uint64_t>& calls, const std::map<int, uint64_t>& locks,
                                 const std::vector<uint64_t>& delays) {
  uint64_t most = 0;
  for (const auto* counts : {&calls, &locks})
    for (const auto& [thread, n] : *counts) most = std::max(most, n);
  std::vector<Point> points;
  for (uint64_t us : delays)
    for (uint64_t n = 1; n <= most; n++)
      for (const auto& [at, counts] : {std::pair{"call", &calls}, {"lock", &locks}})
        for (const auto& [thread, count] : *counts)
          if (n <= count) points.push_back({thread, at, n, us});
  return points;
}

}  // namespace

Result<InterleaveResult> explore_interleave(const RunRequest& base, const InterleaveOptions& opt,
                                            const std::function<void(const ExploreHit&)>& on_hit,
                                            const std::function<void(const ExploreProgress&)>& on_progress) {
  InterleaveResult out;
  auto run = [&](const std::string& schedule, uint64_t call) -> Result<CrashReport> {
    auto rep = run_and_triage(base, schedule);
    out.runs++;
    if (on_progress) on_progress({out.runs, opt.max_runs, out.points_tried, out.hits.size(), call});
    return rep;
  };
  auto found = [&](const std::string& schedule, const CrashReport& rep) {
    out.hits.push_back({schedule, rep, out.runs});
    on_hit(out.hits.back());
    return !opt.keep_going;
  };
  // Census: how many allocator calls each thread makes, with the quarantine
  // already on (a bug it catches with no delay at all is a finding too).
  const std::string census_schedule = "quarantine=" + std::to_string(opt.quarantine);
  auto census = run(census_schedule, 0);
  if (!census) return census.error();
  out.calls = census->calls_at_exit;
  out.locks = census->locks_at_exit;
  if (census->cls != CrashClass::None && found(census_schedule, census.value())) return out;
  // A delay widens a window; whether the other thread goes through it can
  // still be up to the kernel. A point is a finding only when it gives the
  // same class every time it is run again; one that does not is kept aside
  // and reported only if no point does.
  std::vector<std::pair<std::string, CrashReport>> unsteady;
  const auto points = breadth_first(out.calls, out.locks, opt.delays_us);
  for (size_t i = 0; i < points.size() && out.runs < opt.max_runs; i++) {
    if (!opt.mine(i)) continue;
    const Point& p = points[i];
    const std::string schedule = delay_schedule(p.thread, p.at, p.n, p.us, opt.quarantine);
    out.points_tried++;
    auto rep = run(schedule, p.n);
    if (!rep) return rep.error();
    if (rep->cls == CrashClass::None) continue;
    bool steady = true;
    for (int again = 0; again < kConfirmations && steady; again++) {
      auto rerun = run(schedule, p.n);
      if (!rerun) return rerun.error();
      steady = rerun->cls == rep->cls;
    }
    if (!steady) {
      out.unsteady++;
      unsteady.emplace_back(schedule, rep.value());
      continue;
    }
    if (found(schedule, rep.value())) return out;
  }
  if (out.hits.empty())
    for (const auto& [schedule, rep] : unsteady) found(schedule, rep);
  return out;
}

}  // namespace faultline
