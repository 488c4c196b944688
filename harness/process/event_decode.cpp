#include "process/event_decode.h"

#include <climits>
#include <cstring>
#include <map>
#include <set>

namespace faultline {

pid_t host_id(const HostIds& host, pid_t own) {
  const auto it = host.find(own);
  return it == host.end() ? own : it->second;
}

void decode_events(std::string& bytes, RunResult& r, const HostIds& host) {
  size_t off = 0;
  for (; off + sizeof(fl_event) <= bytes.size(); off += sizeof(fl_event)) {
    fl_event e;
    std::memcpy(&e, bytes.data() + off, sizeof e);
    if (e.magic != FL_EVENT_MAGIC || e.version != FL_EVENT_VERSION) continue;
    e.pid = host_id(host, e.pid);
    e.tid = host_id(host, e.tid);
    const bool finding = e.kind == FL_EVENT_FINDING, hold = e.kind == FL_EVENT_DELAYED && !(e.arg[1] & FL_HELD_BY_PCT);
    if (r.events.size() >= kEventCap || (finding && r.injector_findings.size() >= kFindingCap) ||
        (hold && r.delay_holds.size() >= kFindingCap)) {
      r.events_dropped++;
      continue;
    }
    r.events.push_back(e);
    if (finding) r.injector_findings.push_back({e, std::nullopt});
    if (hold) r.delay_holds.push_back({e, std::nullopt});
  }
  bytes.erase(0, off);
}

void adopt_injector_thread_numbers(RunResult& r) {
  std::map<pid_t, int> numbered;          // tid -> the injector's number
  std::set<pid_t> injected, incomplete;   // processes that said hello; those whose records may be missing
  for (const fl_event& e : r.events)
    if (e.kind == FL_EVENT_HELLO) injected.insert(e.pid);
    else if (e.kind == FL_EVENT_PIPE_LOST) incomplete.insert(e.pid);
    else if (e.kind == FL_EVENT_THREAD_NUMBERED && e.arg[3] > 0 && e.arg[3] <= INT_MAX)
      numbered[e.tid] = static_cast<int>(e.arg[3]);
  auto renumber = [&](pid_t pid, pid_t tid, int& index) {
    if (tid == pid) return;  // the main thread: 0 on both sides
    if (auto it = numbered.find(tid); it != numbered.end()) index = it->second;
    else if (injected.count(pid) && !incomplete.count(pid) && r.events_dropped == 0) index = kUnnumberedThread;
  };
  auto renumber_snapshot = [&](std::optional<CrashSnapshot>& s) {
    if (s) renumber(s->pid, s->tid, s->thread_index);
  };
  renumber_snapshot(r.first_caught);
  renumber_snapshot(r.fatal);
  for (auto& c : r.child_crashes) renumber(c.snapshot.pid, c.snapshot.tid, c.snapshot.thread_index);
  for (auto* list : {&r.injector_findings, &r.delay_holds})
    for (auto& f : *list) renumber_snapshot(f.snapshot);
  if (r.hang)
    for (auto& t : r.hang->threads) renumber(t.pid, t.tid, t.thread_index);
}

}  // namespace faultline
