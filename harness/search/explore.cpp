#include "search/explore.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "triage/classify.h"

namespace faultline {

std::string malloc_signal_schedule(const ExploreOptions& opt, uint64_t call, std::optional<uint64_t> insn) {
  std::string line = "malloc-signal sig=" + std::to_string(opt.signo) + " thread=" + std::to_string(opt.thread) +
                     " call=" + std::to_string(call) + (insn ? " insn=" + std::to_string(*insn) : " trace") +
                     (opt.ptrace ? " ptrace" : "") + (opt.process ? " process=" + *opt.process : "") +
                     (opt.in_function ? " in=" + *opt.in_function : "");
  auto parsed = Schedule::parse(line);
  return parsed ? parsed->canonical() : line;  // a bad name: run_with reports the parser's error
}

ExploreOptions explore_options_of(const Schedule& s) {
  ExploreOptions opt;
  opt.signo = static_cast<int>(s.get(FL_KEY_MS_SIG).value_or(opt.signo));
  opt.thread = static_cast<int>(s.get(FL_KEY_MS_THREAD).value_or(0));
  opt.ptrace = s.get(FL_KEY_MS_PTRACE).has_value();
  opt.process = s.word(FL_KEY_MS_PROCESS);
  opt.in_function = s.word(FL_KEY_MS_IN);
  return opt;
}

namespace {

// Breadth first: this many points in every call before any call gets more.
constexpr size_t kBreadthPoints = 3;

// One call as a trace showed it: the instruction indices (1-based insn
// values) that lie in the allocator itself, and the path they take.
struct TracedCall {
  std::vector<uint64_t> points;
  uint64_t path = 0;  // hash of every pc of the call: calls on the same path share it
};

class Explorer {
 public:
  Explorer(const RunRequest& base, const ExploreOptions& opt, const std::function<void(const ExploreHit&)>& on_hit,
           const std::function<void(const ExploreProgress&)>& on_progress)
      : base_(base), opt_(opt), on_hit_(on_hit), on_progress_(on_progress) {}

  Result<ExploreResult> run() {
    if (opt_.ptrace) {
      if (auto r = ptrace_search(); !r) return r.error();
      return out_;
    }
    auto census = take_census();
    if (!census) return census.error();
    // The runner counts the threads of the process it started; another one (--process) it cannot vouch for.
    if (!opt_.process && opt_.thread >= out_.census.threads_started)
      return Error{"--thread " + std::to_string(opt_.thread) + ": the program never started that thread (it ran " +
                   std::to_string(out_.census.threads_started) + (out_.census.threads_started == 1 ? " thread" : " threads") +
                   ", numbered from 0)"};
    if (!out_.census.handler_seen) return out_;  // nothing would run: every point would miss
    auto searched = opt_.seed ? random_search() : systematic_search();
    if (!searched) return searched.error();
    return out_;
  }

 private:
  Result<CrashReport> run_with(const std::string& schedule) {
    auto rep = run_and_triage(base_, schedule);
    out_.runs++;
    if (on_progress_) on_progress_({out_.runs, opt_.max_runs, out_.points_tried, out_.hits.size(), current_call_});
    return rep;
  }
  bool budget_left() const { return out_.runs < opt_.max_runs && !stopped_; }
  uint64_t last_call() const {
    return std::min(opt_.last_call, out_.census.calls.value_or(UINT64_MAX));
  }

  // When does the target process install its handler, how many calls does
  // the thread make, how many threads are there? A call that is never
  // reached costs nothing, and its timers are already taken over.
  Result<bool> take_census() {
    auto rep = run_with(malloc_signal_schedule(opt_, UINT64_MAX >> 1, std::nullopt));
    if (!rep) return rep.error();
    Census& c = out_.census;
    c.threads_started = rep->threads_started;
    if (auto it = rep->calls_at_exit.find(opt_.thread); it != rep->calls_at_exit.end()) c.calls = it->second;
    for (const auto& h : rep->handlers_installed) {
      if (h.signo != opt_.signo) continue;
      if (!h.in_target_process) {
        c.handlers_elsewhere++;
        continue;
      }
      // The earliest install counts; before it every point would miss.
      // Installed from another thread, it is in place from some call of
      // ours we cannot know: start at 1 (the misses before it are cheap).
      const uint64_t from = h.thread == opt_.thread ? h.at_call + 1 : 1;
      c.first_call = c.handler_seen ? std::min(c.first_call, from) : from;
      c.handler_seen = true;
      c.handler_found_at_start |= h.found_at_start;
    }
    c.first_call = std::max(c.first_call, opt_.first_call);
    return true;
  }

  // Returns true when the search should stop (a finding without --keep-going).
  Result<bool> try_point(uint64_t call, uint64_t insn, bool* missed = nullptr) {
    out_.points_tried++;
    const std::string schedule = malloc_signal_schedule(opt_, call, insn);
    auto rep = run_with(schedule);
    if (!rep) return rep.error();
    if (missed) *missed = rep->injection_missed;
    if (rep->cls == CrashClass::None) return false;
    out_.hits.push_back({schedule, rep.value(), out_.runs});
    on_hit_(out_.hits.back());
    stopped_ = !opt_.keep_going;
    return stopped_;
  }

  // nullopt: the call was never reached (the program ended first).
  Result<std::optional<TracedCall>> trace(uint64_t call) {
    auto rep = run_with(malloc_signal_schedule(opt_, call, std::nullopt));
    if (!rep) return rep.error();
    if (rep->traced_steps.empty()) {
      if (rep->injection_missed) return std::optional<TracedCall>(TracedCall{});  // no handler at this call
      return std::optional<TracedCall>();
    }
    TracedCall t;
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the pcs
    for (size_t k = 0; k < rep->traced_steps.size(); k++) {
      h = (h ^ rep->traced_steps[k].pc) * 1099511628211ull;
      // The allocator is paused only where it runs: not in faultline's wrapper around it.
      if (!rep->traced_steps[k].in_wrapper) t.points.push_back(k + 1);
    }
    t.path = h;
    return std::optional<TracedCall>(t);
  }

  // A few points spread over the call: where a fast path reads, then writes, its list head.
  static std::vector<uint64_t> breadth_points(const std::vector<uint64_t>& points) {
    std::vector<uint64_t> picked;
    for (size_t i = 1; i <= kBreadthPoints && !points.empty(); i++) {
      const uint64_t p = points[std::min(points.size() - 1, points.size() * i / (kBreadthPoints + 1))];
      if (std::find(picked.begin(), picked.end(), p) == picked.end()) picked.push_back(p);
    }
    return picked;
  }

  Result<bool> systematic_search() {
    std::map<uint64_t, TracedCall> traced;  // by call
    std::set<std::pair<uint64_t, uint64_t>> tried;  // (path, insn)
    // Breadth: every call in range gets a trace and a few points.
    uint64_t index = 0;
    for (uint64_t call = out_.census.first_call; call <= last_call() && budget_left(); call++, index++) {
      if (!opt_.mine(index)) continue;
      current_call_ = call;
      auto t = trace(call);
      if (!t) return t.error();
      if (!*t) break;  // the program ended before this call
      traced[call] = **t;
      bool covered = true;
      for (uint64_t insn : breadth_points((*t)->points)) {
        if (!budget_left()) {
          covered = false;
          break;
        }
        tried.insert({(*t)->path, insn});
        bool missed = false;
        auto stop = try_point(call, insn, &missed);
        if (!stop) return stop.error();
        if (stop.value() || missed) break;
      }
      out_.calls_covered += covered;
    }
    // Depth: the remaining points of every call, once per path and instruction.
    for (const auto& [call, t] : traced) {
      current_call_ = call;
      for (uint64_t insn : t.points) {
        if (!budget_left()) return true;
        if (!tried.insert({t.path, insn}).second) {
          out_.points_pruned++;
          continue;
        }
        bool missed = false;
        auto stop = try_point(call, insn, &missed);
        if (!stop) return stop.error();
        if (stop.value() || missed) break;
      }
    }
    return true;
  }

  // Points drawn over the calls the census counted, inside the allocator
  // part of a call as the first call's trace shows it.
  Result<bool> random_search() {
    uint64_t lo_insn = 1, hi_insn = opt_.max_insn;
    auto first = trace(out_.census.first_call);
    if (!first) return first.error();
    // Past the call's last instruction nothing would be raised.
    if (*first && !(*first)->points.empty()) lo_insn = (*first)->points.front(), hi_insn = (*first)->points.back();
    const uint64_t last = out_.census.calls ? last_call() : std::min(last_call(), out_.census.first_call + opt_.call_range - 1);
    if (last < out_.census.first_call) return true;
    std::mt19937_64 rng(*opt_.seed);
    std::uniform_int_distribution<uint64_t> call_dist(out_.census.first_call, last);
    std::uniform_int_distribution<uint64_t> insn_dist(lo_insn, hi_insn);
    for (uint64_t sample = 0; budget_left(); sample++) {
      const uint64_t call = call_dist(rng), insn = insn_dist(rng);  // every shard draws the same sequence
      if (!opt_.mine(sample)) continue;
      current_call_ = call;
      auto stop = try_point(call, insn);
      if (!stop) return stop.error();
    }
    return true;
  }

  // Nothing in the process to take a census or a trace: every point in order.
  Result<bool> ptrace_search() {
    out_.census.first_call = opt_.first_call;
    out_.census.handler_seen = true;  // unknown: the tracer finds out per point
    for (uint64_t call = opt_.first_call; call <= opt_.last_call && budget_left(); call++) {
      if (!opt_.mine(call - opt_.first_call)) continue;
      current_call_ = call;
      for (uint64_t insn = 1; insn <= opt_.max_insn && budget_left(); insn++) {
        bool missed = false;
        auto stop = try_point(call, insn, &missed);
        if (!stop) return stop.error();
        if (missed) break;  // no handler yet at this call: the next call
      }
    }
    return true;
  }

  const RunRequest& base_;
  const ExploreOptions& opt_;
  const std::function<void(const ExploreHit&)>& on_hit_;
  const std::function<void(const ExploreProgress&)>& on_progress_;
  ExploreResult out_;
  uint64_t current_call_ = 0;
  bool stopped_ = false;
};

}  // namespace

Result<ExploreResult> explore_malloc_signal(const RunRequest& base, const ExploreOptions& opt,
                                            const std::function<void(const ExploreHit&)>& on_hit,
                                            const std::function<void(const ExploreProgress&)>& on_progress) {
  return Explorer(base, opt, on_hit, on_progress).run();
}

}  // namespace faultline
