#include "replay.h"

namespace faultline {

Result<ReplayOutcome> replay(const Reproducer& r, const std::filesystem::path& dir, int times,
                             std::optional<double> timeout_override, const std::string& inject_library, const Manifest* project) {
  auto req = request_for(r, dir, project);
  if (!req) return req.error();
  req->inject_library = inject_library;
  if (timeout_override) req->limits.timeout_seconds = *timeout_override;
  ReplayOutcome out;
  for (int i = 0; i < times; i++) {
    auto triaged = run_and_triage(req.value());
    if (!triaged) return triaged.error();
    const CrashReport& rep = triaged.value();
    bool matched = rep.cls == r.expected_class && rep.stack_hash == r.expected_hash;
    out.matched += matched;
    out.runs.push_back({rep.cls, rep.stack_hash, matched, rep.wall_seconds, rep});
  }
  return out;
}

}  // namespace faultline
