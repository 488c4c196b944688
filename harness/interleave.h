// explore --injector interleave: make a rare thread interleaving happen by
// holding one thread back at one of its points (the `delay` item): its
// allocator calls and its lock points (pthread_mutex_lock and _unlock),
// with the quarantine on so a double free or a use after free is caught at
// the second free or at release. This is the first phase of the search the
// issue asks for: every single delay at every point of every thread, breadth
// first (the earliest calls of every thread before later ones; one delay
// everywhere before the next). It finds bugs that need one thread held at one
// place; lock points and PCT-style schedules are not here yet.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "explore.h"

namespace faultline {

struct InterleaveOptions {
  int max_runs = 100;
  bool keep_going = false;
  // Long first: a thread held past another's timeout (the common shape of a pool race),
  // then short, for windows a long hold would close by blocking everyone.
  std::vector<uint64_t> delays_us = {20000, 1000};
  uint64_t quarantine = 64;
  uint64_t shard_index = 0, shard_count = 1;
  bool mine(uint64_t i) const { return i % shard_count == shard_index; }
};

struct InterleaveResult {
  int runs = 0;
  std::map<int, uint64_t> calls;  // census: allocator calls per thread index
  std::map<int, uint64_t> locks;  // census: lock points per thread index
  size_t points_tried = 0;
  // Points that crashed but not on every rerun: reported only when no point is steady.
  size_t unsteady = 0;
  std::vector<ExploreHit> hits;
};

// One schedule of the search: thread T held for D us at its allocator call
// (at = "call") or lock point (at = "lock") N.
std::string delay_schedule(int thread, const char* at, uint64_t n, uint64_t us, uint64_t quarantine);

Result<InterleaveResult> explore_interleave(const RunRequest& base, const InterleaveOptions& opt,
                                            const std::function<void(const ExploreHit&)>& on_hit,
                                            const std::function<void(const ExploreProgress&)>& on_progress = {});

}  // namespace faultline
