// explore --injector interleave: make a rare thread interleaving happen on
// an unmodified binary, at the points the injector sees: every thread's
// allocator calls and sync points (mutex, condvar, rwlock, semaphore, sleep,
// sched_yield, thread create/join calls), with the quarantine on so a double
// free or a use after free is caught at the second free or at release.
// A census run counts each thread's points. Then, breadth first, every
// single delay at every point of every thread (one thread held back at one
// place: the earliest points of every thread before later ones; one hold
// length everywhere before the next). Then PCT-style schedules (`pct`):
// seeded random thread priorities and d-1 priority-change points; the
// injector lets a thread pass a point only while no runnable thread
// outranks it (injectors/interleave.c says what that approximation keeps).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/schedule.hpp"
#include "search/explore.h"

namespace faultline {

struct InterleaveOptions {
  int max_runs = 100;
  bool keep_going = false;
  // Long first: a thread held past another's timeout (the common shape of a pool race),
  // then short, for windows a long hold would close by blocking everyone.
  std::vector<uint64_t> delays_us = {20000, 1000};
  uint64_t quarantine = 64;
  Schedule alloc;  // --alloc: the `alloc` item every schedule runs with (empty: the program's own allocator)
  // What every schedule carries: the quarantine, and the allocator if one was chosen.
  std::vector<Schedule> detection() const;
  bool delays = true, pct = true;  // the two phases (--search)
  int depth = 2;                   // pct's d
  uint64_t seed = 1;               // the first pct schedule's seed
  uint64_t shard_index = 0, shard_count = 1;
  bool mine(uint64_t i) const { return i % shard_count == shard_index; }
};

struct InterleaveResult {
  int runs = 0;
  std::map<int, uint64_t> calls;  // census: allocator calls per thread index
  std::map<int, uint64_t> syncs;  // census: sync points per thread index
  uint64_t points = 0;            // k: all threads' points, what pct's change points are drawn from
  size_t pct_tried = 0;
  int census_exit = 0;  // the census run's exit status: not 0 may mean it never got going
  size_t points_tried = 0;
  // Points that crashed but not on every rerun: reported only when no point is steady.
  size_t unsteady = 0;
  std::vector<ExploreHit> hits;
};

// The delay item: thread T held for D us at its allocator call (at =
// FL_KEY_DELAY_CALL) or sync point (at = FL_KEY_DELAY_SYNC) N, "delay thread=T sync=N us=D".
Schedule delay_item(int thread, fl_schedule_key at, uint64_t n, uint64_t us);
// One schedule of the search: that delay, then what every schedule carries.
std::string delay_schedule(int thread, fl_schedule_key at, uint64_t n, uint64_t us, const std::vector<Schedule>& detection);

// A pct schedule: depth d over k points, seed s.
std::string pct_schedule(int depth, uint64_t points, uint64_t seed, const std::vector<Schedule>& detection);
// PCT's bound on one schedule finding a bug of depth d: 1 / (n k^(d-1)).
double pct_bound(size_t threads, uint64_t points, int depth);

Result<InterleaveResult> explore_interleave(const RunRequest& base, const InterleaveOptions& opt,
                                            const std::function<void(const ExploreHit&)>& on_hit,
                                            const std::function<void(const ExploreProgress&)>& on_progress = {});

}  // namespace faultline
