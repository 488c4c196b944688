// Bisection for `faultline stack`: the boundary between runs that exhaust the
// stack and runs that do not, in at most log2(range) + 2 runs.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/corpus.h"
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
// ... or "" for size 0: the program keeps its own stacks.
std::string probe_schedule(const std::string& shrink, uint64_t size);

// A `stack` table's input at a nesting depth: its generator's (shape), or
// nest() of its open/close/leaf/sep. An error when nest() refuses the size.
Result<std::string> nesting_input(const StackTable& t, const std::string& shape, uint64_t depth);

// Why a program that exited on its own said no: the last line of its stderr
// that names an error (xmllint follows its message with the input line and a
// caret under it), else its last line.
std::string refusal(const CrashReport& r);

// What `faultline stack` searches: (a) the smallest nesting depth that
// exhausts a given stack, or (b) the smallest stack that survives a given input.
struct StackSearchSpec {
  Reproducer base;                   // what one probe runs: command, input mode, timeout; no schedule
  std::optional<Manifest> project;   // with a target: the manifest that declares it
  std::string inject_library;
  StackTable table;                  // what nests: a target's stack table, or --open/--template's
  std::string shape;                 // the table's generator's shape ("" without a generator)
  std::string shrink;                // which stacks a size shrinks: main, threads or both
  bool generated = false;            // probes read an input nested to a depth
  bool search_depth = false;         // (a), else (b)
  uint64_t depth = 0;                // (b) with a generated input: its depth
  uint64_t max_depth = 0;            // (a): the deepest nesting tried
  uint64_t depth_stack = 0;          // (a): the stack, 0 for the program's own
  uint64_t min_stack = 0, max_stack = 0;     // (b): the range of sizes, bytes
  std::optional<std::string> input_file;     // --input, as given
};

constexpr uint64_t kStackPage = 4096;  // (b) bisects over pages

struct StackOutcome {
  nlohmann::json result;  // the JSON report, but for the reproducer and what the spec says
  Boundary boundary;      // the bisection's
  uint64_t lo = 0, hi = 0;  // its range: depths, or stack pages
  // The boundary crash: the probe (depth, or pages) and its stack in bytes.
  bool found = false;
  uint64_t crash_key = 0, stack_of_crash = 0;
  std::optional<uint64_t> rejected_from;  // (a): where the program says no, without a crash
  bool any_exhausted = false;             // some probe, on either side, exhausted the stack
  std::vector<std::string> disagreements;  // the monotonicity checks' findings
  int extra_runs = 0;                      // the monotonicity checks' runs
  double seconds = 0;                      // from the bisection's start
  double run_bound = 0;                    // log2(range) + 2
};

// One search's probes and their scratch directory, which lives as long as it
// does (the boundary crash's input is stored from it).
class StackSearch {
 public:
  explicit StackSearch(const StackSearchSpec& spec);  // spec must outlive it
  StackSearch(const StackSearch&) = delete;
  StackSearch& operator=(const StackSearch&) = delete;
  ~StackSearch();

  // The baseline, the bisection and the checks that its answer holds; an
  // error when the answer would mean nothing.
  Result<StackOutcome> run();
  // A probe's report and the input file it read, by depth or stack pages.
  const CrashReport& report(uint64_t key) const { return reports_.at(key); }
  const std::string& input(uint64_t key) const { return inputs_.at(key); }

 private:
  Result<bool> prepare();
  Result<std::string> input_for_depth(uint64_t depth);
  Result<Ending> run_probe(const std::string& input, uint64_t stack, uint64_t key);
  Result<bool> probe(const std::string& input, uint64_t stack, uint64_t key);
  Result<bool> baseline();
  Result<bool> bisect_depth(StackOutcome& out);
  Result<bool> bisect_stack(StackOutcome& out);
  Result<bool> check_monotone(StackOutcome& out);
  Result<bool> check_side(uint64_t x, bool above, Ending far_end, StackOutcome& out);
  void check_recursion(StackOutcome& out) const;
  void finish(StackOutcome& out) const;

  const StackSearchSpec& spec_;
  std::filesystem::path scratch_;  // generated inputs; "" when it could not be made
  std::string fixed_input_;        // the input of every probe of (b)
  std::map<uint64_t, CrashReport> reports_;  // every probe's, by probe value (depth or pages)
  std::map<uint64_t, std::string> inputs_;
};

}  // namespace faultline
