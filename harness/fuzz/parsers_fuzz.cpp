// libFuzzer target for faultline's own parsers of untrusted text: schedule
// lines and repro.json. Neither may crash, and what they accept must survive
// a round trip through its canonical form unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "reproducer_json.h"
#include "schedule.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto s = faultline::Schedule::parse(text);
    if (s) {
      auto again = faultline::Schedule::parse(s->canonical());
      if (!again || again->canonical() != s->canonical()) std::abort();
    }
  } else {
    auto r = faultline::parse_reproducer_json(text);
    if (r) {
      auto again = faultline::parse_reproducer_json(faultline::reproducer_to_json(r.value()).dump());
      if (!again || faultline::reproducer_to_json(again.value()) != faultline::reproducer_to_json(r.value())) std::abort();
    }
  }
  return 0;
}
