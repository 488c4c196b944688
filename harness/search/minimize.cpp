#include "search/minimize.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "search/explore.h"
#include "search/interleave.h"
#include "base/schedule.hpp"
#include "triage/triage.h"

namespace faultline {

namespace {

constexpr int kCandidateRuns = 3;

// The runs of one minimization, counted in `out`, and the one question each asks.
struct Trials {
  const RunRequest& base;
  CrashClass expected;
  int max_runs;
  MinimizedSchedule& out;
  std::optional<CrashReport> last;  // the first run of the latest candidate

  bool budget_left() const { return out.runs < max_runs; }

  // A hold only widens a window the kernel may still not use: a candidate
  // with a delay or pct counts only when it gives the class `times` times.
  Result<bool> same_class(const Schedule& candidate, int times) {
    RunRequest req = base;
    req.schedule = candidate;
    if (!req.schedule.get(FL_KEY_DELAY_US) && !req.schedule.get(FL_KEY_PCT_DEPTH)) times = 1;
    for (int i = 0; i < times; i++) {
      out.runs++;
      auto rep = run_and_triage(req);
      if (!rep) return rep.error();
      if (i == 0) last = rep.value();
      if (rep->cls != expected) return false;
    }
    return true;
  }

  // Items that make no schedule together (one needed a key of an item left
  // out) cannot give the class: no run.
  Result<bool> same_class(const std::vector<Schedule>& items) {
    auto candidate = Schedule::join(items);
    if (!candidate) return false;
    return same_class(candidate.value(), kCandidateRuns);
  }
};

std::vector<Schedule> without(std::vector<Schedule> items, const char* item) {
  std::erase_if(items, [&](const Schedule& i) { return i.has_item(item); });
  return items;
}

// `first`, then `rest`, in that order.
std::vector<Schedule> in_front(const Schedule& first, const std::vector<Schedule>& rest) {
  std::vector<Schedule> items = {first};
  items.insert(items.end(), rest.begin(), rest.end());
  return items;
}

// Each wait a pct run made, longest first; then the same thread's next
// point, for a wait that ended just before the one that mattered (a thread
// let go at its unlock is held again at its lock).
std::vector<CrashReport::Hold> pct_hold_points(std::vector<CrashReport::Hold> waits) {
  std::stable_sort(waits.begin(), waits.end(), [](const auto& a, const auto& b) { return a.us > b.us; });
  std::vector<CrashReport::Hold> points = waits;
  for (const auto& w : waits) {
    points.push_back(w);
    points.back().n++;
  }
  return points;
}

// A pct schedule holds many threads at many points; the crash usually needs
// one of those holds. Each becomes one delay (20 ms, the search's long hold)
// in place of pct and its seed; the first that gives the class replaces them.
Result<bool> pct_as_one_delay(Trials& t, std::vector<Schedule>& items) {
  const std::vector<Schedule> rest = without(without(items, "pct"), "seed");
  const uint64_t long_hold = InterleaveOptions{}.delays_us.front();
  std::set<std::tuple<int, bool, uint64_t>> tried;
  for (const auto& w : pct_hold_points(t.last->pct_waits)) {
    if (!t.budget_left()) break;
    if (!tried.insert({w.thread, w.at_sync, w.n}).second) continue;
    auto candidate = in_front(delay_item(w.thread, w.at_sync ? FL_KEY_DELAY_SYNC : FL_KEY_DELAY_CALL, w.n, long_hold), rest);
    auto ok = t.same_class(candidate);
    if (!ok) return ok.error();
    if (ok.value()) {
      items = candidate;
      return true;
    }
  }
  return false;
}

// Fewest extras: drop every item the class does not need (malloc-signal stays).
Result<std::vector<Schedule>> drop_unneeded(Trials& t, std::vector<Schedule> items) {
  for (size_t i = 0; i < items.size() && t.budget_left();) {
    if (items[i].has_item("malloc-signal") || items.size() == 1) {
      i++;
      continue;
    }
    std::vector<Schedule> candidate = items;
    candidate.erase(candidate.begin() + static_cast<long>(i));
    auto ok = t.same_class(candidate);
    if (!ok) return ok.error();
    if (ok.value()) items = candidate;
    else i++;
  }
  return items;
}

// Earliest call: the first allocator call after the handler exists that
// still gives the class, the rest of the schedule as it is; nullopt if none earlier does.
Result<std::optional<Schedule>> earliest_call(Trials& t, const Schedule& schedule) {
  const auto call = schedule.get(FL_KEY_MS_CALL), insn = schedule.get(FL_KEY_MS_INSN);
  if (!call || !insn) return std::optional<Schedule>();
  const ExploreOptions point = explore_options_of(schedule);
  const std::vector<Schedule> rest = without(schedule.items(), "malloc-signal");
  for (uint64_t c = 1; c < *call && t.budget_left(); c++) {
    auto at_c = Schedule::parse(malloc_signal_schedule(point, c, *insn));
    if (!at_c) return at_c.error();
    auto candidate = Schedule::join(in_front(at_c.value(), rest));
    if (!candidate) return candidate.error();
    auto ok = t.same_class(candidate.value(), kCandidateRuns);
    if (!ok) return ok.error();
    if (ok.value()) return std::optional<Schedule>(candidate.value());
  }
  return std::optional<Schedule>();
}

}  // namespace

Result<MinimizedSchedule> minimize_schedule(const RunRequest& base, const std::string& schedule, CrashClass expected,
                                            int max_runs) {
  auto given = Schedule::parse(schedule);
  if (!given) return Error{"schedule '" + schedule + "': " + given.error().message};
  MinimizedSchedule out;
  out.schedule = schedule;
  out.value = given.value();
  Trials t{base, expected, max_runs, out, std::nullopt};
  auto first = t.same_class(given.value(), 1);
  if (!first) return first.error();
  if (!first.value()) {
    out.reproduced = false;
    return out;
  }
  std::vector<Schedule> items = given->items();
  if (given->has_item("pct")) {
    auto from_pct = pct_as_one_delay(t, items);
    if (!from_pct) return from_pct.error();
    out.from_pct = from_pct.value();
  }
  auto kept = drop_unneeded(t, items);
  if (!kept) return kept.error();
  auto smaller = Schedule::join(kept.value());
  if (!smaller) return smaller.error();
  auto earlier = earliest_call(t, smaller.value());
  if (!earlier) return earlier.error();
  const Schedule& result = earlier->has_value() ? **earlier : smaller.value();
  // Unchanged as a value: the reproducer's own line, so that it reads as already minimal.
  if (result.to_string() != given->to_string()) {
    out.schedule = result.to_string();
    out.value = result;
  }
  return out;
}

}  // namespace faultline
