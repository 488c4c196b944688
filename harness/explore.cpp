#include "explore.h"

#include <random>

#include "classify.h"

namespace faultline {

std::string malloc_signal_schedule(int signo, int thread, uint64_t call, std::optional<uint64_t> insn, bool ptrace,
                                   const std::string& in_function) {
  std::string line = "malloc-signal sig=" + std::to_string(signo) + " thread=" + std::to_string(thread) +
                     " call=" + std::to_string(call) + (insn ? " insn=" + std::to_string(*insn) : " trace") +
                     (ptrace ? " ptrace" : "") + (in_function.empty() ? "" : " in=" + in_function);
  return Schedule::parse(line)->canonical();
}

namespace {

Result<CrashReport> run_with(const RunRequest& base, const std::string& schedule) {
  RunRequest req = base;
  auto parsed = Schedule::parse(schedule);
  if (!parsed) return parsed.error();
  req.schedule = parsed.value();
  return run_and_triage(req);
}

}  // namespace

Result<ExploreResult> explore_malloc_signal(const RunRequest& base, const ExploreOptions& opt,
                                            const std::function<void(const ExploreHit&)>& on_hit) {
  ExploreResult out;
  if (opt.ptrace) {  // nothing in the process to take a census or a trace: every point in order
    out.first_call = 1;
    for (uint64_t call = 1; out.runs < opt.max_runs; call++) {
      if (!opt.mine(call - 1)) continue;
      for (uint64_t insn = 1; insn <= opt.max_insn && out.runs < opt.max_runs; insn++) {
        out.runs++;
        out.points_tried++;
        const std::string schedule = malloc_signal_schedule(opt.signo, opt.thread, call, insn, true, opt.in_function);
        auto rep = run_with(base, schedule);
        if (!rep) return rep.error();
        if (rep->injection_missed) break;  // no handler yet at this call: the next call
        if (rep->cls == CrashClass::None) continue;
        out.hits.push_back({schedule, rep.value(), out.runs});
        on_hit(out.hits.back());
        if (!opt.keep_going) return out;
      }
    }
    return out;
  }
  // Census: when does the program install its handler? A call that is never
  // reached costs nothing, and its timers are already taken over.
  auto census = run_with(base, malloc_signal_schedule(opt.signo, opt.thread, UINT64_MAX >> 1, std::nullopt, false, opt.in_function));
  if (!census) return census.error();
  out.runs++;
  out.first_call = 1;
  for (const auto& h : census->handlers_installed)
    if (h.signo == opt.signo && h.thread == opt.thread) out.first_call = h.at_call + 1;

  auto try_point = [&](uint64_t call, uint64_t insn) -> Result<bool> {  // true: stop
    out.runs++;
    out.points_tried++;
    const std::string schedule = malloc_signal_schedule(opt.signo, opt.thread, call, insn, false, opt.in_function);
    auto rep = run_with(base, schedule);
    if (!rep) return rep.error();
    if (rep->cls == CrashClass::None) return false;
    out.hits.push_back({schedule, rep.value(), out.runs});
    on_hit(out.hits.back());
    return !opt.keep_going;
  };

  if (opt.seed) {
    std::mt19937_64 rng(*opt.seed);
    std::uniform_int_distribution<uint64_t> call_dist(out.first_call, out.first_call + opt.call_range - 1);
    std::uniform_int_distribution<uint64_t> insn_dist(1, opt.max_insn);
    for (uint64_t sample = 0; out.runs < opt.max_runs; sample++) {
      const uint64_t call = call_dist(rng), insn = insn_dist(rng);  // every shard draws the same sequence
      if (!opt.mine(sample)) continue;
      auto stop = try_point(call, insn);
      if (!stop) return stop.error();
      if (stop.value()) break;
    }
    return out;
  }

  // Systematic: trace each call once, then try every instruction whose address
  // no earlier point covered (most calls take the same few paths).
  std::set<uint64_t> covered;
  for (uint64_t call = out.first_call; out.runs < opt.max_runs; call++) {
    if (!opt.mine(call - out.first_call)) continue;
    auto trace = run_with(base, malloc_signal_schedule(opt.signo, opt.thread, call, std::nullopt, false, opt.in_function));
    if (!trace) return trace.error();
    out.runs++;
    if (trace->cls != CrashClass::None || trace->traced_pcs.empty()) break;  // the program ended first
    for (size_t k = 0; k < trace->traced_pcs.size() && out.runs < opt.max_runs; k++) {
      if (!covered.insert(trace->traced_pcs[k]).second) {
        out.points_pruned++;
        continue;
      }
      auto stop = try_point(call, k + 1);
      if (!stop) return stop.error();
      if (stop.value()) return out;
    }
  }
  return out;
}

}  // namespace faultline
