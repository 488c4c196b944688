#include "search/interleave.h"

#include <algorithm>

namespace faultline {

std::vector<Schedule> InterleaveOptions::detection() const {
  std::vector<Schedule> items = {Schedule::item({{FL_KEY_QUARANTINE, quarantine}})};
  if (!alloc.empty()) items.push_back(alloc);
  return items;
}

Schedule delay_item(int thread, fl_schedule_key at, uint64_t n, uint64_t us) {
  return Schedule::item({{FL_KEY_DELAY_THREAD, static_cast<uint64_t>(thread)}, {at, n}, {FL_KEY_DELAY_US, us}});
}

std::string delay_schedule(int thread, fl_schedule_key at, uint64_t n, uint64_t us, const std::vector<Schedule>& detection) {
  std::vector<Schedule> items = {delay_item(thread, at, n, us)};
  items.insert(items.end(), detection.begin(), detection.end());
  return Schedule::line_of(items);
}

std::string pct_schedule(int depth, uint64_t points, uint64_t seed, const std::vector<Schedule>& detection) {
  std::vector<Schedule> items = {Schedule::item({{FL_KEY_PCT_DEPTH, static_cast<uint64_t>(depth)}, {FL_KEY_PCT_POINTS, points}})};
  items.insert(items.end(), detection.begin(), detection.end());
  // The seed in decimal, as --seed takes it and reproducers have always
  // stored it (the formatter writes seeds in hex); run_and_triage parses the line.
  return Schedule::line_of(items) + " ; seed=" + std::to_string(seed);
}

double pct_bound(size_t threads, uint64_t points, int depth) {
  double p = 1.0 / static_cast<double>(threads ? threads : 1);
  for (int i = 1; i < depth; i++) p /= static_cast<double>(points ? points : 1);
  return p;
}

namespace {

// Reruns of a point that crashed before it counts as a finding.
constexpr int kConfirmations = 2;

// The points in breadth-first order: point 1 of every thread (its first
// allocator call, its first sync point), then point 2 of every thread that
// has one, ...; the whole round for each delay in turn.
struct Point {
  int thread;
  fl_schedule_key at;  // FL_KEY_DELAY_CALL or FL_KEY_DELAY_SYNC
  uint64_t n, us;
};
std::vector<Point> breadth_first(const std::map<int, uint64_t>& calls, const std::map<int, uint64_t>& syncs,
                                 const std::vector<uint64_t>& delays) {
  uint64_t most = 0;
  for (const auto* counts : {&calls, &syncs})
    for (const auto& [thread, n] : *counts) most = std::max(most, n);
  std::vector<Point> points;
  for (uint64_t us : delays)
    for (uint64_t n = 1; n <= most; n++)
      for (const auto& [at, counts] : {std::pair{FL_KEY_DELAY_CALL, &calls}, {FL_KEY_DELAY_SYNC, &syncs}})
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
  // Census: how many points each thread passes, with the quarantine
  // already on (a bug it catches with no delay at all is a finding too).
  std::vector<Schedule> census_items = {Schedule::item({{FL_KEY_CENSUS_POINTS, 1}})};
  for (const auto& item : opt.detection()) census_items.push_back(item);
  const std::string census_schedule = Schedule::line_of(census_items);
  auto census = run(census_schedule, 0);
  if (!census) return census.error();
  out.calls = census->calls_at_exit;
  out.syncs = census->syncs_at_exit;
  for (const auto* counts : {&out.calls, &out.syncs})
    for (const auto& [thread, n] : *counts) out.points += n;
  if (census->end == RunResult::End::Exited) out.census_exit = census->exit_code;
  if (census->cls != CrashClass::None && found(census_schedule, census.value())) return out;
  // A delay widens a window; whether the other thread goes through it can
  // still be up to the kernel. A point is a finding only when it gives the
  // same class every time it is run again; one that does not is kept aside
  // and reported only if no point does.
  std::vector<std::pair<std::string, CrashReport>> unsteady;
  // A finding, or a crash set aside as unsteady; true when the search stops.
  auto judge = [&](const std::string& schedule, const CrashReport& rep, uint64_t call) -> Result<bool> {
    for (int again = 0; again < kConfirmations; again++) {
      auto rerun = run(schedule, call);
      if (!rerun) return rerun.error();
      if (rerun->cls != rep.cls) {
        out.unsteady++;
        unsteady.emplace_back(schedule, rep);
        return false;
      }
    }
    return found(schedule, rep);
  };
  // Both phases share one numbering, so --shard splits them alike.
  uint64_t index = 0;
  const auto points = opt.delays ? breadth_first(out.calls, out.syncs, opt.delays_us) : std::vector<Point>{};
  for (size_t i = 0; i < points.size() && out.runs < opt.max_runs; i++) {
    if (!opt.mine(index++)) continue;
    const Point& p = points[i];
    const std::string schedule = delay_schedule(p.thread, p.at, p.n, p.us, opt.detection());
    out.points_tried++;
    auto rep = run(schedule, p.n);
    if (!rep) return rep.error();
    if (rep->cls == CrashClass::None) continue;
    auto stop = judge(schedule, rep.value(), p.n);
    if (!stop) return stop.error();
    if (*stop) return out;
  }
  for (uint64_t seed = opt.seed; opt.pct && out.points && out.runs < opt.max_runs; seed++) {
    if (!opt.mine(index++)) continue;
    const std::string schedule = pct_schedule(opt.depth, out.points, seed, opt.detection());
    out.pct_tried++;
    auto rep = run(schedule, 0);
    if (!rep) return rep.error();
    if (rep->cls == CrashClass::None) continue;
    auto stop = judge(schedule, rep.value(), 0);
    if (!stop) return stop.error();
    if (*stop) return out;
  }
  if (out.hits.empty())
    for (const auto& [schedule, rep] : unsteady) found(schedule, rep);
  return out;
}

}  // namespace faultline
