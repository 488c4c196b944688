// Bisection for `faultline stack`: the boundary between runs that exhaust the
// stack and runs that do not, in at most log2(range) + 2 runs.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "store/manifest.h"
#include "triage/triage.h"
#include "base/result.h"

namespace faultline {

struct Boundary {
  // The smallest x in [lo, hi] with pred(x) true; absent when pred(hi) is
  // false. pred(lo) true gives lo.
  std::optional<uint64_t> first_true;
  int runs = 0;  // calls of pred
};

// pred must be monotone (false ... false true ... true) on [lo, hi]. Checks
// hi, then lo, then halves the open range: at most ceil(log2(hi - lo)) + 2 calls.
Result<Boundary> bisect_first_true(uint64_t lo, uint64_t hi, const std::function<Result<bool>(uint64_t)>& pred);

// How a bisection's probe ended, measured against the baseline's clean exit.
// Rejected: the program exited non-zero on its own, no crash (jq's and
// libxml2's depth limits, Python's RecursionError). Only Clean is survival.
enum class Ending { Clean, Exhausted, Rejected, Other };
Ending ending_of(const CrashReport& r);
// The verdict without "faultline: ".
std::string how_it_ended(const CrashReport& r);

// "stack main=SIZE", "stack threads=SIZE" or both (shrink: main, threads or both).
std::string stack_schedule(const std::string& shrink, uint64_t size);


// A `stack` table's input at a nesting depth: its generator's (shape), or
// nest() of its open/close/leaf/sep. An error when nest() refuses the size.
Result<std::string> nesting_input(const StackTable& t, const std::string& shape, uint64_t depth);

}  // namespace faultline
