#include "search/replay.h"

namespace faultline {

Result<ReplayOutcome> replay(const Reproducer& r, const std::filesystem::path& dir, int times,
                             std::optional<double> timeout_override, const std::string& inject_library, const Manifest* project,
                             const CoreRequest& core) {
  auto req = request_for(r, dir, project);
  if (!req) return req.error();
  req->inject_library = inject_library;
  if (timeout_override) req->limits.timeout_seconds = *timeout_override;
  ReplayOutcome out;
  for (int i = 0; i < times; i++) {
    // Until one run that matched has given its core, every run writes one.
    req->core = core.wanted() && !(out.core && out.core->kept) ? core : CoreRequest{};
    auto triaged = run_and_triage(req.value());
    if (!triaged) return triaged.error();
    const CrashReport& rep = triaged.value();
    bool matched = rep.cls == r.expected_class && rep.stack_hash == r.expected_hash;
    if (rep.core && !(out.core && out.core->kept)) {
      out.core = rep.core;
      if (!matched) out.core->discard("no run reproduced the crash");
      else if (auto kept = keep_core(*out.core, dir, true); !kept) out.core->discard(kept.error().message);
    }
    out.matched += matched;
    out.runs.push_back({rep.cls, rep.stack_hash, matched, rep.wall_seconds, rep});
  }
  return out;
}

}  // namespace faultline
