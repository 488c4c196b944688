#include "process/event_decode.h"

#include <cstring>

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

}  // namespace faultline
