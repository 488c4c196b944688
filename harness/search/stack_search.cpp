#include "search/stack_search.h"

#include "report/report.h"

#include "base/nested_source.h"
#include "base/schedule.hpp"

namespace faultline {

Ending ending_of(const CrashReport& r) {
  if (r.cls == CrashClass::StackExhaustion) return Ending::Exhausted;
  if (r.cls != CrashClass::None || r.end != RunResult::End::Exited) return Ending::Other;
  return r.exit_code == 0 ? Ending::Clean : Ending::Rejected;
}

std::string how_it_ended(const CrashReport& r) { return verdict_line(r).substr(11); }

std::string stack_schedule(const std::string& shrink, uint64_t size) {
  std::string line = "stack";
  if (shrink != "threads") line += " main=" + std::to_string(size);
  if (shrink != "main") line += " threads=" + std::to_string(size);
  return Schedule::parse(line)->canonical();
}

Result<std::string> nesting_input(const StackTable& t, const std::string& shape, uint64_t depth) {
  if (!t.generator.empty()) return nested::generate(depth, *nested::shape_from_string(shape), t.seed);
  return nest(t.nesting, depth);
}

Result<Boundary> bisect_first_true(uint64_t lo, uint64_t hi, const std::function<Result<bool>(uint64_t)>& pred) {
  Boundary b;
  auto probe = [&](uint64_t x) {
    b.runs++;
    return pred(x);
  };
  auto at_hi = probe(hi);
  if (!at_hi) return at_hi.error();
  if (!at_hi.value()) return b;
  if (lo == hi) {
    b.first_true = hi;
    return b;
  }
  auto at_lo = probe(lo);
  if (!at_lo) return at_lo.error();
  if (at_lo.value()) {
    b.first_true = lo;
    return b;
  }
  // Invariant: pred(lo) false, pred(hi) true.
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    auto at_mid = probe(mid);
    if (!at_mid) return at_mid.error();
    (at_mid.value() ? hi : lo) = mid;
  }
  b.first_true = hi;
  return b;
}

}  // namespace faultline
