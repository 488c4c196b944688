// A crash a search found, filed as a reproducer: the one way run, explore,
// stack, fuzz and the campaign store what they find.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/result.h"
#include "store/corpus.h"
#include "store/reproducer_json.h"
#include "triage/triage.h"

namespace faultline {

// Stores the crash under out_dir/<class>-<hash>/, never over an existing
// bucket. `repro` says how to run it again; it gains the report's class and
// stack hash and the facts of where it was captured, with `environment_patch`
// (a JSON merge patch: null removes a fact) over them for what the run itself
// does not show. A core the run wrote goes into the reproducer directory, or
// is discarded when the bucket keeps one already (report.core says which).
Result<Stored> store_finding(const fs::path& out_dir, Reproducer repro, const CrashReport& report,
                             const std::optional<std::string>& input,
                             const nlohmann::json& environment_patch = nlohmann::json::object());

}  // namespace faultline
