// libFuzzer target for faultline's own parsers of untrusted bytes: schedule
// lines, repro.json, faultline.toml and the event records a program writes
// to its pipe. None may crash; what the first two accept must survive a round
// trip through its canonical form unchanged, and what the others accept must
// keep the promises their callers rely on.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "process/event_decode.h"
#include "store/manifest.h"
#include "store/reproducer_json.h"
#include "base/schedule.hpp"

namespace {

void schedule_line(const std::string& text) {
  auto s = faultline::Schedule::parse(text);
  if (!s) return;
  auto again = faultline::Schedule::parse(s->canonical());
  if (!again || again->canonical() != s->canonical()) std::abort();
}

void repro_json(const std::string& text) {
  auto r = faultline::parse_reproducer_json(text);
  if (!r) return;
  auto again = faultline::parse_reproducer_json(faultline::reproducer_json_text(r.value()));
  if (!again || faultline::reproducer_to_json(again.value()) != faultline::reproducer_to_json(r.value())) std::abort();
}

// Paths resolve against a directory that is not there: only commands found
// in PATH (sh, cat) make a target that loads.
void manifest(const std::string& text) {
  auto m = faultline::parse_manifest(text, "/nonexistent-faultline-fuzz/faultline.toml");
  if (!m) return;
  for (const auto& t : m->targets) {
    if (!faultline::valid_target_name(t.name) || t.run.empty() || t.run.size() != t.written_run.size()) std::abort();
    for (const auto& a : t.run)
      if (a.find('\0') != std::string::npos) std::abort();
  }
}

// Written as a pipe delivers them: in two reads, the first one cut anywhere;
// from a program in a PID namespace whose init (1) is 4242 outside it.
void event_records(const std::string& bytes) {
  faultline::RunResult r;
  const faultline::HostIds host = {{1, 4242}};
  std::string pipe = bytes.substr(0, bytes.size() / 3);
  faultline::decode_events(pipe, r, host);
  if (pipe.size() >= sizeof(fl_event)) std::abort();
  pipe += bytes.substr(bytes.size() / 3);
  faultline::decode_events(pipe, r, host);
  if (pipe.size() != bytes.size() % sizeof(fl_event)) std::abort();  // only the torn tail is left
  if (r.events.size() + r.events_dropped > bytes.size() / sizeof(fl_event) || r.events.size() > faultline::kEventCap ||
      r.injector_findings.size() > faultline::kFindingCap || r.delay_holds.size() > faultline::kFindingCap)
    std::abort();
  for (const auto& e : r.events)
    if (e.magic != FL_EVENT_MAGIC || e.version != FL_EVENT_VERSION || e.pid == 1 || e.tid == 1) std::abort();
}

}  // namespace

// The first byte picks the parser (seeds in tests/parsers_fuzz/seeds start with it).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: repro_json(text); break;
    case 1: schedule_line(text); break;
    case 2: manifest(text); break;
    case 3: event_records(text); break;
  }
  return 0;
}
