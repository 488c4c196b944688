// faultline campaign: the options into a CampaignPlan (search/campaign.h
// runs the phases).
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/files.h"
#include "cli/commands.h"
#include "cli/run_setup.h"
#include "search/campaign.h"
#include "search/oss_fuzz_out.h"
#include "store/manifest.h"

namespace faultline::cli {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int cmd_campaign(const Invocation& inv) {
  const auto& o = inv.options;
  const double budget = o["budget"].as<double>();
  if (!seconds_in_range(budget)) return bad_input(inv, "--budget must be a number of seconds in (0, 604800]");
  auto shard = shard_option(inv);
  if (!shard) return bad_input(inv, shard.error().message);
  const fs::path out = o["out"].as<std::string>();
  std::error_code ec;
  Result<Manifest> project = Error{""};
  if (o.count("oss-fuzz-out")) {
    if (o.count("project")) return bad_input(inv, "give --project FILE or --oss-fuzz-out DIR, not both");
    const fs::path corpora = !o["corpora"].defaulted() ? fs::path(o["corpora"].as<std::string>()) : out / "corpora";
    fs::create_directories(corpora, ec);
    project = manifest_from_oss_fuzz_out(o["oss-fuzz-out"].as<std::string>(), corpora);
  } else {
    project = project_required(inv);
  }
  if (!project) return bad_input(inv, project.error().message);
  const fs::path corpora = !o["corpora"].defaulted() ? fs::absolute(o["corpora"].as<std::string>()) : project->corpora;
  // A project's first night (right after `faultline init`) has no corpora yet.
  if (!fs::is_directory(corpora, ec) && (fs::create_directories(corpora, ec), ec))
    return bad_input(inv, corpora.string() + ": cannot create the corpora directory: " + ec.message());
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);

  std::vector<const ManifestTarget*> targets;
  for (const auto& t : project->targets) targets.push_back(&t);
  if (o.count("target")) {
    targets.clear();
    for (const auto& name : o["target"].as<std::vector<std::string>>()) {
      if (!project->target(name)) return bad_input(inv, "--target: " + project->file.string() + " declares no target '" + name + "'");
      targets.push_back(project->target(name));
    }
  }

  // Two campaigns on one --out would mix their reports and wipe each other's .work.
  auto out_lock = RunLock::take(out / ".campaign.lock", "--out " + out.string());
  if (!out_lock) return bad_input(inv, out_lock.error().message);
  const CampaignPlan plan{project.value(), corpora, out / ".work", lib.value(),
                          Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(budget)),
                          shard.value(), targets, !o.count("no-fuzz")};
  auto totals = run_campaign(plan, out);
  if (!totals) return bad_input(inv, totals.error().message);
  if (totals->errors) return kExitBadInput;  // after the reports: what ran is not lost
  return totals->new_crashes || totals->regressions_failing ? kExitFound : kExitClean;
}

}  // namespace faultline::cli
