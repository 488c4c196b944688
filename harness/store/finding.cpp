#include "store/finding.h"

namespace faultline {

namespace {

// A bucket keeps the core of its first crash; a later one's goes now.
void keep_or_discard_core(CoreFile& core, const fs::path& dir) {
  if (auto kept = keep_core(core, dir, false); !kept) core.discard(kept.error().message);
  else if (!core.kept) core.discard("the reproducer already keeps one: " + kept->string());
}

}  // namespace

Result<Stored> store_finding(const fs::path& out_dir, Reproducer repro, const CrashReport& report,
                             const std::optional<std::string>& input, const nlohmann::json& environment_patch) {
  repro.expected_class = report.cls;
  repro.expected_hash = report.stack_hash;
  repro.environment = environment_facts(report);
  repro.environment.merge_patch(environment_patch);
  auto stored = store_reproducer(out_dir, repro, input);
  if (!stored) return stored.error();
  if (report.core) keep_or_discard_core(*report.core, stored->dir);
  return stored;
}

}  // namespace faultline
