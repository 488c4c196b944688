#include "search/minimize.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <tuple>
#include <vector>

#include "search/explore.h"
#include "search/interleave.h"
#include "base/schedule.hpp"
#include "triage/triage.h"

namespace faultline {

Result<MinimizedSchedule> minimize_schedule(const RunRequest& base, const std::string& schedule, CrashClass expected,
                                            int max_runs) {
  MinimizedSchedule out;
  out.schedule = schedule;
  std::optional<CrashReport> last;
  // A hold only widens a window the kernel may still not use: a candidate
  // with a delay or pct counts only when it gives the class three times.
  auto same_class = [&](const std::string& candidate, int times) -> Result<bool> {
    RunRequest req = base;
    req.schedule = Schedule::parse(candidate).value();
    if (!req.schedule.get(FL_KEY_DELAY_US) && !req.schedule.get(FL_KEY_PCT_DEPTH)) times = 1;
    for (int i = 0; i < times; i++) {
      out.runs++;
      auto rep = run_and_triage(req);
      if (!rep) return rep.error();
      if (i == 0) last = rep.value();
      if (rep->cls != expected) return false;
    }
    return true;
  };
  constexpr int kCandidateRuns = 3;
  auto first = same_class(schedule, 1);
  if (!first) return first.error();
  if (!first.value()) {
    out.reproduced = false;
    return out;
  }

  std::vector<std::string> items = schedule_items(schedule);
  // A pct schedule holds many threads at many points; the crash usually
  // needs one of those holds. Each wait the run made, longest first, becomes
  // one delay (20 ms, the search's long hold) in place of pct and its seed;
  // then the same thread's next point, for a wait that ended just before the
  // one that mattered (a thread let go at its unlock is held again at its lock).
  auto is_pct = [](const std::string& s) { return s.rfind("pct", 0) == 0 || s.rfind("seed", 0) == 0; };
  if (std::any_of(items.begin(), items.end(), [](const std::string& s) { return s.rfind("pct", 0) == 0; })) {
    auto waits = last->pct_waits;
    std::stable_sort(waits.begin(), waits.end(), [](const auto& a, const auto& b) { return a.us > b.us; });
    std::vector<std::string> rest;
    std::copy_if(items.begin(), items.end(), std::back_inserter(rest), [&](const std::string& s) { return !is_pct(s); });
    std::vector<CrashReport::Hold> points;
    for (const auto& w : waits) points.push_back(w);
    for (const auto& w : waits) {
      points.push_back(w);
      points.back().n++;
    }
    const uint64_t long_hold = InterleaveOptions{}.delays_us.front();
    std::set<std::tuple<int, bool, uint64_t>> tried;
    for (const auto& w : points) {
      if (out.runs >= max_runs) break;
      if (!tried.insert({w.thread, w.at_sync, w.n}).second) continue;
      std::vector<std::string> candidate = {delay_item(w.thread, w.at_sync ? "sync" : "call", w.n, long_hold)};
      candidate.insert(candidate.end(), rest.begin(), rest.end());
      auto ok = same_class(join_schedule_items(candidate), kCandidateRuns);
      if (!ok) return ok.error();
      if (ok.value()) {
        items = candidate;
        out.from_pct = true;
        break;
      }
    }
  }

  // Fewest extras: drop every item the class does not need.
  for (size_t i = 0; i < items.size() && out.runs < max_runs;) {
    if (items[i].rfind("malloc-signal", 0) == 0 || items.size() == 1) {
      i++;
      continue;
    }
    std::vector<std::string> without = items;
    without.erase(without.begin() + static_cast<long>(i));
    auto ok = same_class(join_schedule_items(without), kCandidateRuns);
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
      auto ok = same_class(join_schedule_items(candidate), kCandidateRuns);
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
