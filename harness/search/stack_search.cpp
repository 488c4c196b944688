#include "search/stack_search.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <sstream>

#include "report/report.h"

#include "base/files.h"
#include "base/nested_source.h"
#include "base/schedule.hpp"
#include "base/text.h"

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

std::string probe_schedule(const std::string& shrink, uint64_t size) {
  return size ? stack_schedule(shrink, size) : std::string();
}

Result<std::string> nesting_input(const StackTable& t, const std::string& shape, uint64_t depth) {
  if (!t.generator.empty()) return nested::generate(depth, *nested::shape_from_string(shape), t.seed);
  return nest(t.nesting, depth);
}

std::string refusal(const CrashReport& r) {
  std::istringstream in(r.stderr_tail);
  std::string named;
  for (std::string line; std::getline(in, line);) {
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.find("error") != std::string::npos) named = line;
  }
  return named.empty() ? last_line(r.stderr_tail) : last_line(named);
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

namespace {

namespace fs = std::filesystem;

// "a 1M stack"; size 0 is the program's own stacks (nothing shrunk).
std::string stack_phrase(uint64_t size) { return size ? "a " + human_size(size) + " stack" : "its own stacks"; }

// For a run that exited on its own, what it said: "; its stderr: ...".
std::string what_it_said(const CrashReport& r) {
  const std::string why = r.cls == CrashClass::None ? refusal(r) : "";
  return why.empty() ? "" : "; its stderr: " + why;
}

std::string names(const std::vector<std::string>& fns) {
  std::string s;
  for (const auto& f : fns) s += (s.empty() ? "" : " ") + f;
  return s;
}

}  // namespace

// The scratch directory for generated inputs is named after its pid, so
// that the next search removes it if a kill -9 left it.
StackSearch::StackSearch(const StackSearchSpec& spec) : spec_(spec) {
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  remove_entries_of_dead_writers(tmp, {"faultline-stack-"}, false);
  std::string t = (tmp / ("faultline-stack-" + std::to_string(getpid()) + "-XXXXXX")).string();
  if (mkdtemp(t.data())) scratch_ = t;
}

StackSearch::~StackSearch() {
  std::error_code ec;
  if (!scratch_.empty()) fs::remove_all(scratch_, ec);
}

Result<StackOutcome> StackSearch::run() {
  if (auto ready = prepare(); !ready) return ready.error();
  if (auto clean = baseline(); !clean) return clean.error();
  const auto t0 = std::chrono::steady_clock::now();
  StackOutcome out;
  if (auto b = spec_.search_depth ? bisect_depth(out) : bisect_stack(out); !b) return b.error();
  if (auto m = check_monotone(out); !m) return m.error();
  check_recursion(out);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  finish(out);
  return out;
}

// The scratch directory, and the input every probe of a stack-size search reads.
Result<bool> StackSearch::prepare() {
  if (scratch_.empty()) return Error{"cannot create a temporary directory"};
  if (spec_.generated && !spec_.search_depth) {
    auto p = input_for_depth(spec_.depth);
    if (!p) return p.error();
    fixed_input_ = p.value();
  } else if (spec_.input_file) {
    fixed_input_ = fs::absolute(*spec_.input_file).string();
    if (!fs::is_regular_file(fixed_input_)) return Error{fixed_input_ + ": cannot read input file"};
  }
  return true;
}

// A generated file per depth, written once.
Result<std::string> StackSearch::input_for_depth(uint64_t depth) {
  const fs::path p = scratch_ / ("depth-" + std::to_string(depth));
  if (!fs::exists(p)) {
    auto bytes = nesting_input(spec_.table, spec_.shape, depth);
    if (!bytes) return bytes.error();
    auto w = write_file_atomic(p, bytes.value());
    if (!w) return w.error();
  }
  return p.string();
}

// One run on `input` with a `stack`-byte stack (0: the program's own).
Result<Ending> StackSearch::run_probe(const std::string& input, uint64_t stack, uint64_t key) {
  Reproducer with_stack = spec_.base;
  with_stack.schedule = probe_schedule(spec_.shrink, stack);
  auto req = request_for(with_stack, input, spec_.project ? &*spec_.project : nullptr);
  if (!req) return req.error();
  req->inject_library = spec_.inject_library;
  auto r = run_and_triage(req.value());
  if (!r) return r.error();
  reports_[key] = r.value();
  inputs_[key] = input;
  return ending_of(r.value());
}

// A probe says "exhausted" or "survives", and survives means what the
// baseline did: no finding and exit 0. Anything else (another crash, an
// error exit, a timeout) stops the search over sizes with that verdict:
// counted as survival it would put the boundary anywhere.
Result<bool> StackSearch::probe(const std::string& input, uint64_t stack, uint64_t key) {
  auto e = run_probe(input, stack, key);
  if (!e) return e.error();
  if (e.value() == Ending::Exhausted) return true;
  if (e.value() == Ending::Clean) return false;
  return Error{"with " + stack_phrase(stack) + (spec_.search_depth ? " at depth " + std::to_string(key) : "") +
               " the run ended " + how_it_ended(reports_.at(key)) +
               ": neither stack exhaustion nor the clean exit of the baseline, so the bisection stops" +
               what_it_said(reports_.at(key))};
}

// The baseline: the most room the search gives (the largest stack, or the
// shallowest nesting) must end clean, or nothing it finds means anything.
Result<bool> StackSearch::baseline() {
  const bool by_depth = spec_.search_depth;
  std::string baseline_input = fixed_input_;
  if (by_depth) {
    auto input = input_for_depth(1);
    if (!input) return input.error();
    baseline_input = input.value();
  }
  const uint64_t room = by_depth ? spec_.depth_stack : spec_.max_stack;
  const uint64_t key = by_depth ? 1 : 0;  // what a probe names it by (its depth)
  const std::string baseline = "the baseline run (" + std::string(by_depth ? "depth 1, " : "") +
                               (room ? human_size(room) + " stack" : "its own stacks") + ")";
  auto ok = probe(baseline_input, room, key);
  if (!ok) return Error{baseline + " must end clean: " + ok.error().message};
  if (ok.value() && by_depth)
    return Error{baseline + " already exhausts the stack: " + verdict_line(reports_.at(key)).substr(11)};
  reports_.erase(key);
  return true;
}

// Not ending clean is not survival, whatever the run did instead: the
// boundary is the first depth that does not end clean, and how it ends
// there is the answer (stack exhaustion, or the program's own refusal).
Result<bool> StackSearch::bisect_depth(StackOutcome& out) {
  out.lo = 2;  // depth 1 is the baseline: clean
  out.hi = spec_.max_depth;
  auto boundary = bisect_first_true(out.lo, out.hi, [&](uint64_t depth) -> Result<bool> {
    auto input = input_for_depth(depth);
    if (!input) return input.error();
    auto e = run_probe(input.value(), spec_.depth_stack, depth);
    if (!e) return e.error();
    return e.value() != Ending::Clean;
  });
  if (!boundary) return boundary.error();
  out.boundary = boundary.value();
  out.result = {{"mode", "depth"}, {"stack_size", spec_.depth_stack}};
  if (!out.boundary.first_true) return true;
  const uint64_t depth = *out.boundary.first_true;
  const CrashReport& at = reports_.at(depth);
  const Ending e = ending_of(at);
  if (e == Ending::Other)
    return Error{"at depth " + std::to_string(depth) + ", the shallowest that does not end clean (" +
                 std::to_string(depth - 1) + " does), with " + stack_phrase(spec_.depth_stack) + " the run ended " +
                 how_it_ended(at) + ": neither stack exhaustion nor an exit of the program's own, so there is no answer" +
                 what_it_said(at)};
  if (e == Ending::Rejected) {
    out.rejected_from = depth;
    out.result["rejected_from_depth"] = depth;
    out.result["rejection"] = {{"exit_code", at.exit_code}, {"stderr", refusal(at)}};
    return true;
  }
  out.found = true;
  out.crash_key = depth;
  out.stack_of_crash = spec_.depth_stack;
  out.result["min_crashing_depth"] = depth;
  // The program's own stack: the size the crash report found for it.
  if (const uint64_t size = spec_.depth_stack ? spec_.depth_stack : at.thread_stack_size; size)
    out.result["bytes_per_level"] = size / depth;
  return true;
}

// Surviving is monotone in the stack size: find the smallest size that survives.
Result<bool> StackSearch::bisect_stack(StackOutcome& out) {
  out.lo = (spec_.min_stack + kStackPage - 1) / kStackPage;
  out.hi = spec_.max_stack / kStackPage;
  auto boundary = bisect_first_true(out.lo, out.hi, [&](uint64_t pages) -> Result<bool> {
    auto exhausted = probe(fixed_input_, pages * kStackPage, pages);
    if (!exhausted) return exhausted.error();
    return !exhausted.value();
  });
  if (!boundary) return boundary.error();
  out.boundary = boundary.value();
  out.result = {{"mode", "stack"}};
  if (!out.boundary.first_true) return true;
  const uint64_t pages = *out.boundary.first_true;
  out.result["min_surviving_stack"] = pages * kStackPage;
  if (pages > out.lo) {
    out.found = true;
    out.crash_key = pages - 1;
    out.stack_of_crash = out.crash_key * kStackPage;
  }
  if (spec_.generated) {
    out.result["depth"] = spec_.depth;
    out.result["bytes_per_level"] = pages * kStackPage / spec_.depth;
  }
  return true;
}

// Bisection assumes survival is monotone in the room the program has; a
// program that picks its recursion by the room it finds breaks that.
// Probes at 2x, 4x, ... the answer up to the top of the range and at 1/2,
// 1/4, ... down to the bottom (at most 6 each way) must agree with it.
Result<bool> StackSearch::check_monotone(StackOutcome& out) {
  if (!out.boundary.first_true) return true;
  const uint64_t answer = *out.boundary.first_true;
  // The far side of the boundary (deeper nesting: above the answer in
  // depth; smaller stacks: below it in size) must end as the answer did
  // (in depth, exhausted or the same refusal), the near side clean.
  const Ending far_end = spec_.search_depth ? ending_of(reports_.at(answer)) : Ending::Exhausted;
  for (uint64_t x = answer * 2, n = 0; x <= out.hi && n < 6; x *= 2, n++)
    if (auto r = check_side(x, true, far_end, out); !r) return r.error();
  // Below: the answer's last run of the other side is known (answer - 1); halve from there.
  for (uint64_t x = (answer - 1) / 2, n = 0; x >= out.lo && x > 0 && n < 6; x /= 2, n++)
    if (auto r = check_side(x, false, far_end, out); !r) return r.error();
  return true;
}

// One monotonicity probe at x (a depth, or stack pages), above or below the answer.
Result<bool> StackSearch::check_side(uint64_t x, bool above, Ending far_end, StackOutcome& out) {
  const bool by_depth = spec_.search_depth;
  out.extra_runs++;
  Result<Ending> e = Error{""};
  if (by_depth) {
    auto input = input_for_depth(x);
    if (!input) return input.error();
    e = run_probe(input.value(), spec_.depth_stack, x);
  } else {
    e = run_probe(fixed_input_, x * kStackPage, x);
  }
  if (!e) return e.error();
  const std::string at = by_depth ? "depth " + std::to_string(x) : "a " + human_size(x * kStackPage) + " stack";
  const std::string side = above ? "above" : "below";
  const Ending want = by_depth == above ? far_end : Ending::Clean;
  if (e.value() == want) return true;
  if (e.value() == Ending::Exhausted) out.disagreements.push_back(at + " exhausts it, " + side + " the answer");
  else if (e.value() == Ending::Clean) out.disagreements.push_back(at + " survives, " + side + " the answer");
  else
    out.disagreements.push_back("at " + at + " (" + side + " the answer) the run ended " + how_it_ended(reports_.at(x)) +
                                what_it_said(reports_.at(x)));
  return true;
}

// The boundary crash must be the recursion the rest of the range shows.
void StackSearch::check_recursion(StackOutcome& out) const {
  const uint64_t far_key = spec_.search_depth ? out.hi : out.lo;
  const bool far_exhausted = reports_.count(far_key) && ending_of(reports_.at(far_key)) == Ending::Exhausted;
  if (!out.found || !far_exhausted || far_key == out.crash_key) return;
  const auto& near = reports_.at(out.crash_key).recursion_cycle;
  const auto& far = reports_.at(far_key).recursion_cycle;
  if (near && far && near->functions != far->functions)
    out.disagreements.push_back(
        "the boundary crash recurses through " + names(near->functions) + ", the one at " +
        (spec_.search_depth ? "depth " + std::to_string(far_key) : human_size(far_key * kStackPage) + " stack") +
        " through " + names(far->functions) + ": two recursions");
}

// The counts and what the report says of the boundary crash's recursion.
void StackSearch::finish(StackOutcome& out) const {
  out.run_bound = std::ceil(std::log2(static_cast<double>(out.hi - out.lo))) + 2;
  out.result["runs"] = out.boundary.runs;  // the bisection's; the bound is about these
  out.result["baseline_runs"] = 1;
  out.result["monotonicity_runs"] = out.extra_runs;
  out.result["disagreements"] = out.disagreements;
  out.result["run_bound"] = out.run_bound;
  out.result["seconds"] = out.seconds;
  out.result["shrink"] = spec_.shrink;
  for (const auto& [key, r] : reports_) out.any_exhausted |= ending_of(r) == Ending::Exhausted;
  if (!out.found) return;
  if (const auto& cycle = reports_.at(out.crash_key).recursion_cycle)
    out.result["recursion_cycle"] = {{"functions", cycle->functions}, {"bytes_per_cycle", cycle->bytes_per_level}};
}

}  // namespace faultline
