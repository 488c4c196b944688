#include "report/report.h"

#include <cstdio>

#include "triage/classify.h"
#include "triage/deadlock.h"
#include "base/version.h"

namespace faultline {

namespace {

const char* end_name(RunResult::End e) {
  switch (e) {
    case RunResult::End::Exited: return "exited";
    case RunResult::End::Signaled: return "signaled";
    case RunResult::End::TimedOut: return "timeout";
  }
  return "?";
}

// "function (file:line)" per frame: the short form used inside findings.
nlohmann::json stack_summary(const std::vector<Frame>& frames) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : frames) out.push_back(frame_label(f));
  return out;
}

nlohmann::json frame_json(const Frame& f) {
  nlohmann::json j = {{"pc", hex_address(f.pc)}, {"sp", hex_address(f.sp)}, {"function", f.function},
                      {"file", f.file}, {"line", f.line}, {"module", f.module},
                      {"module_offset", hex_address(f.module_offset)}, {"in_hash", f.in_hash}};
  if (!f.nearest_symbol.empty()) j["nearest_symbol"] = f.nearest_symbol;
  if (f.inlined) j["inlined"] = true;
  return j;
}

nlohmann::json frames_json(const std::vector<Frame>& frames) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : frames) out.push_back(frame_json(f));
  return out;
}

nlohmann::json thread_json(const ThreadStack& t, pid_t main_pid) {
  nlohmann::json j = {{"process", t.pid == main_pid ? "main" : "child " + std::to_string(t.pid) + " (" + t.program + ")"},
                      {"program", t.program}, {"pid", t.pid}, {"tid", t.tid}, {"thread", t.thread_index},
                      {"blocked_in", t.syscall >= 0 ? nlohmann::json(syscall_name(t.syscall)) : nlohmann::json(nullptr)},
                      {"frames", frames_json(t.frames)}, {"frames_truncated", t.frames_truncated}};
  if (t.syscall == kSyscallFutex) j["futex_address"] = hex_address(t.futex_address);
  if (t.futex_symbol && !t.futex_symbol->symbol.empty())
    j["futex_symbol"] = {{"symbol", t.futex_symbol->symbol}, {"offset", hex_address(t.futex_symbol->offset)},
                         {"module", t.futex_symbol->module}, {"section", t.futex_symbol->section}};
  if (!t.futex_mapping.empty()) j["futex_mapping"] = t.futex_mapping;
  return j;
}

nlohmann::json threads_json(const CrashReport& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : r.threads) out.push_back(thread_json(t, r.pid));
  return out;
}

}  // namespace

const Frame* blamed_frame(const CrashReport& r) {
  for (const auto& f : r.frames)
    if (f.in_hash) return &f;
  return nullptr;
}

std::string json_text(nlohmann::json j, int indent) {
  try {
    return j.dump(indent);
  } catch (const nlohmann::json::type_error&) {  // 316: invalid UTF-8
  }
  if (j.is_object()) j["invalid_utf8_replaced"] = true;
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

nlohmann::json finding_json(const Finding& f) {
  nlohmann::json j = {{"class", to_string(f.cls)}, {"detail", f.detail}};
  if (f.thread >= 0) j["thread"] = f.thread;
  if (!f.process.empty()) j["process"] = f.process;
  if (f.served) j["allocator"] = f.served->name;
  if (!f.frames.empty()) j["stack"] = stack_summary(f.frames);
  if (!f.handler_stack.empty()) j["handler_stack"] = stack_summary(f.handler_stack);
  if (!f.interrupted_stack.empty()) j["interrupted_stack"] = stack_summary(f.interrupted_stack);
  return j;
}

// The fields every report has, in their order: the class, the findings, the
// fatal stop, the stack and its hashes, the run, the injector's counters.
nlohmann::json core_fields(const CrashReport& r) {
  using nlohmann::json;
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(finding_json(f));
  json exit = {{"kind", end_name(r.end)}};
  if (r.end == RunResult::End::Exited) exit["code"] = r.exit_code;
  else exit["signal"] = signal_name(r.term_signal);
  return {
      {"faultline_report", 1},
      {"faultline_version", version()},
      {"class", to_string(r.cls)},
      {"findings", findings},
      {"signal", r.signo ? json(signal_name(r.signo)) : json(nullptr)},
      {"si_code", r.signo ? json(r.si_code) : json(nullptr)},
      {"fault_address", r.fault_address ? json(hex_address(*r.fault_address)) : json(nullptr)},
      {"fault_region", r.fault_region},
      {"process", r.process.empty() ? json(nullptr) : json(r.process)},
      {"thread", r.thread >= 0 ? json(r.thread) : json(nullptr)},
      {"frames", frames_json(r.frames)},
      {"frames_truncated", r.frames_truncated},
      {"stack_hash", r.stack_hash},
      {"full_stack_hash", r.full_stack_hash},
      {"schedule", r.schedule},
      {"argv", r.argv},
      {"exit", exit},
      {"wall_time_s", r.wall_seconds},
      {"stderr_tail", r.stderr_tail},
      {"injector",
       {{"processes", r.injected_processes},
        {"thread_stacks_shrunk", r.thread_stacks_shrunk},
        {"thread_stacks_kept", r.thread_stacks_kept},
        {"altstacks_shrunk", r.altstacks_shrunk}}},
  };
}

// The stack that ran out: which one and its bounds.
void add_stack(const CrashReport& r, nlohmann::json& j) {
  if (r.thread_stack_size) j["thread_stack_size"] = r.thread_stack_size;
  if (!r.thread_name.empty()) j["thread_name"] = r.thread_name;
  if (!r.stack || !r.stack->high) return;
  j["stack"] = {{"kind", to_string(r.stack->kind)},
                {"low", hex_address(r.stack->low)},
                {"high", hex_address(r.stack->high)},
                {"size", r.stack->stack_size}};
  if (!r.stack->base_function.empty()) j["stack"]["base_function"] = r.stack->base_function;
}

// What the malloc-signal injector raised, and where the allocator was paused.
void add_injection(const CrashReport& r, nlohmann::json& j) {
  if (r.injection) {
    j["injection"] = {{"signal", signal_name(r.injection->signo)}, {"pc", hex_address(r.injection->pc)},
                      {"call", r.injection->call}, {"insn", r.injection->insn}};
    // Where the allocator was paused, by name, when a finding's stack shows it.
    for (const auto& f : r.findings)
      if (!f.interrupted_stack.empty() && f.interrupted_stack.front().pc == r.injection->pc)
        j["injection"]["where"] = frame_label(f.interrupted_stack.front()) + " in " + f.interrupted_stack.front().module;
  }
  if (r.injection_missed) j["injection_missed"] = "the scheduled call came before the program had a handler for the signal";
}

// The injector's counters beyond the core ones, and the fence around the run.
void add_injector_and_fence(const CrashReport& r, nlohmann::json& j) {
  if (r.timers_suppressed) j["injector"]["timers_suppressed"] = r.timers_suppressed;
  if (r.delays) j["injector"]["delays"] = r.delays;
  if (r.events_dropped) j["injector"]["events_dropped"] = r.events_dropped;
  if (r.event_pipe_lost)
    j["injector"]["event_pipe_lost"] =
        "a process of the program closed faultline's event pipe (or put another file at its fd, or was started "
        "without it): findings, holds and its few per-process records came with checkpoints instead; its "
        "per-step, per-thread and pct wait records are missing";
  j["fence"] = {{"pid_namespace", r.pid_namespace}};
  if (r.processes_refused) j["fence"]["processes_refused"] = r.processes_refused;
  if (!r.loader_tunable_added.empty()) j["injector"]["glibc_tunables_added"] = r.loader_tunable_added;
  if (r.ptrace_allocator_symbols >= 0) j["ptrace_allocator_breakpoints"] = r.ptrace_allocator_symbols;
  if (r.lazy_symbols_in_handlers) j["injector"]["lazy_symbols_bound_in_handlers"] = r.lazy_symbols_in_handlers;
  if (!r.handlers_installed.empty()) {
    j["injector"]["handlers_installed"] = nlohmann::json::array();
    for (const auto& h : r.handlers_installed)
      j["injector"]["handlers_installed"].push_back({{"signal", signal_name(h.signo)}, {"at_call", h.at_call}, {"thread", h.thread},
                                                     {"pid", h.pid}, {"target_process", h.in_target_process},
                                                     {"found_at_start", h.found_at_start}});
  }
  if (!r.traced_steps.empty()) {
    j["trace"] = nlohmann::json::array();
    for (const auto& step : r.traced_steps) j["trace"].push_back(hex_address(step.pc));
  }
}

// Whose malloc it was, and whether frees were watched.
void add_heap(const CrashReport& r, nlohmann::json& j) {
  if (!r.allocator.empty()) j["allocator"] = r.allocator;
  // A clean run without the quarantine watched no frees: jemalloc, tcmalloc
  // and mimalloc take a double free silently (and glibc one that misses its
  // tcache check). Neither watch fits the idle budget (bench/heap_watch_cost.sh),
  // so a clean report says how to look.
  j["quarantine"] = {{"blocks", r.quarantine_blocks}};
  if (!r.quarantine_blocks && r.cls == CrashClass::None)
    j["quarantine"]["off"] = std::string(
                                 "frees were not watched: a double free or a write after free that the allocator takes silently "
                                 "is not seen; run with --schedule quarantine=64 (or `faultline alloc` on a reproducer: every row "
                                 "has it)") +
                             (r.live_pointers ? "" : ", or with --schedule 'live-pointers on' to catch a block handed out twice whatever the cause");
  if (!r.allocators_served.empty()) {
    j["allocators"] = nlohmann::json::array();
    for (const auto& a : r.allocators_served)
      j["allocators"].push_back({{"allocator", a.served.name}, {"library", a.served.library}, {"how", a.how},
                                 {"images", a.images}, {"first_process", a.first_process}});
  }
}

// The interleaving: the `delay` hold, pct's change points and waits.
void add_interleaving(const CrashReport& r, nlohmann::json& j) {
  if (r.held)
    j["held"] = {{"thread", r.held->thread}, {"at", r.held->at_sync ? "sync" : "call"}, {"n", r.held->n},
                 {"us", r.held->us}, {"call", r.held->call}, {"where", r.held->where}, {"frames", frames_json(r.held->frames)},
                 {"summary", hold_phrase(*r.held)}};
  if (!r.pct_changes.empty()) {
    j["pct_changes"] = nlohmann::json::array();
    for (const auto& c : r.pct_changes)
      j["pct_changes"].push_back({{"thread", c.thread}, {"point", c.point}, {"priority", c.priority}});
  }
  if (!r.pct_waits.empty()) {
    j["pct_waits"] = nlohmann::json::array();
    for (const auto& w : r.pct_waits)
      j["pct_waits"].push_back({{"thread", w.thread}, {"at", w.at_sync ? "sync" : "call"}, {"n", w.n}, {"us", w.us}});
  }
}

// What the stack hash is of: the reentrant pair, the deadlock and the hung
// threads, the recursion cycle.
void add_what_is_hashed(const CrashReport& r, nlohmann::json& j) {
  if (r.reentrancy) j["reentrancy"] = {{"handler", r.reentrancy->handler}, {"interrupted", r.reentrancy->interrupted}};
  if (r.deadlock)
    j["deadlock"] = {{"handler", r.deadlock->pair.handler}, {"interrupted", r.deadlock->pair.interrupted},
                     {"waits_in", r.deadlock->waits_in}, {"lock", r.deadlock->lock}};
  if (r.end == RunResult::End::TimedOut) {
    j["threads"] = threads_json(r);
    j["hang_snapshot"] = {{"seconds", r.hang_snapshot_seconds}, {"threads_left_out", r.threads_left_out},
                          {"threads_unstopped", r.threads_unstopped}};
  }
  if (!r.recursion_cycle) return;
  j["recursion_cycle"] = {{"functions", r.recursion_cycle->functions},
                          {"bytes_per_level", r.recursion_cycle->bytes_per_level},
                          {"irregular", r.recursion_cycle->irregular}};
  if (r.recursion_cycle->irregular) j["recursion_cycle"]["entry"] = r.recursion_cycle->entry;
  if (r.recursion_cycle->bytes_per_level && r.thread_stack_size)
    j["recursion_cycle"]["levels_that_fit"] = r.thread_stack_size / r.recursion_cycle->bytes_per_level;
}

}  // namespace

nlohmann::json report_json(const CrashReport& r) {
  nlohmann::json j = core_fields(r);
  add_stack(r, j);
  if (!r.note.empty()) j["note"] = r.note;
  if (r.core) j["core"] = core_json(*r.core);
  add_injection(r, j);
  add_injector_and_fence(r, j);
  add_heap(r, j);
  add_interleaving(r, j);
  add_what_is_hashed(r, j);
  return j;
}


std::string hold_phrase(const CrashReport::Hold& h) {
  const uint64_t n = h.n;
  const char* suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
  std::string s = thread_phrase(h.thread) + " held " +
                  std::to_string(h.us) + " us at its " + std::to_string(n) + suffix +
                  (h.at_sync ? " sync point" : " allocator call");
  if (!h.call.empty()) s += " (" + h.call + ")";
  if (!h.where.empty()) s += " in " + h.where;
  return s;
}

std::string verdict_line(const CrashReport& r) {
  std::string line = "faultline: " + std::string(to_string(r.cls));
  if (!r.findings.empty()) {
    const Finding& first = r.findings.front();
    line += " - " + first.detail;
    if (!first.process.empty() && first.process != "main") line += " in " + first.process;
    if (first.served && is_heap_class(first.cls)) line += ", on " + first.served->name;
  }
  // What the first finding led to: the crash it ended in (a double free that
  // then broke jemalloc), when that is another class.
  if (r.findings.size() > 1 && r.findings.back().cls != r.cls)
    line += "; then " + std::string(to_string(r.findings.back().cls)) + " - " + r.findings.back().detail;
  if (r.cls == CrashClass::None)
    line += r.end == RunResult::End::Exited ? " (exit " + std::to_string(r.exit_code) + ")" : "";
  if (!r.note.empty()) line += " (" + r.note + ")";
  if (r.recursion_cycle) {
    if (r.recursion_cycle->irregular) {
      line += "; irregular recursion entered at " + r.recursion_cycle->entry + " (" +
              std::to_string(r.recursion_cycle->functions.size()) + " functions recur)";
    } else {
      line += "; recursion cycle";
      for (const auto& fn : r.recursion_cycle->functions) line += " " + fn;
    }
    if (r.recursion_cycle->bytes_per_level) line += ", " + std::to_string(r.recursion_cycle->bytes_per_level) + " B/level";
  } else if (const Frame* f = blamed_frame(r)) {
    line += "; in " + frame_label(*f);
  }
  if (!r.stack_hash.empty()) line += " [" + r.stack_hash + "]";
  char t[32];
  std::snprintf(t, sizeof t, " %.2f s", r.wall_seconds);
  return line + t;
}

}  // namespace faultline
