// faultline fuzz: one engine on one target under a schedule; a line per crash
// the engine saved and what became of it.
#include <cstdio>

#include "cli/commands.h"
#include "cli/core_option.h"
#include "store/reproducer_json.h"
#include "search/fuzz.h"
#include "cli/run_setup.h"

namespace faultline::cli {

namespace {

// --fuzzer BIN: a one-off binary, named by --name or its file name.
Result<FuzzTarget> one_off_target(const Invocation& inv) {
  const auto& o = inv.options;
  if (o.count("target") || o.count("project")) return Error{"give --fuzzer BINARY or --target NAME (with --project), not both"};
  FuzzTarget t;
  t.binary = std::filesystem::absolute(o["fuzzer"].as<std::string>());
  t.name = o.count("name") ? o["name"].as<std::string>() : t.binary.filename().string();
  if (!valid_target_name(t.name)) return Error{"--name must match [A-Za-z0-9_-]{1,64} (it names corpora/NAME/)"};
  return t;
}

// --target NAME of the project: its engine binary, dict, options and seeds.
Result<FuzzTarget> project_target(const Manifest& m, const std::string& name, const FuzzEngine& engine) {
  const ManifestTarget* mt = m.target(name);
  if (!mt) return Error{"--target: " + m.file.string() + " declares no target '" + name + "'"};
  if (mt->engine_binary(engine.name).empty())
    return Error{"--target: '" + name + "' has no " + engine.name + " binary in " + m.file.string() + " (key '" +
                 engine.name + "')"};
  return FuzzTarget{mt->name, mt->engine_binary(engine.name), mt->dict, mt->options, mt->seeds, &m};
}

}  // namespace

int cmd_fuzz(const Invocation& inv) {
  const auto& o = inv.options;
  if (!o.count("engine")) return bad_input(inv, "--engine is required (" + fuzz_engine_names() + ")");
  if (!o.count("target") && !o.count("fuzzer")) return bad_input(inv, "--target NAME (of the project) or --fuzzer BINARY is required");
  FuzzRequest req;
  req.engine = fuzz_engine_by_name(o["engine"].as<std::string>());
  if (!req.engine) return bad_input(inv, "--engine must be one of " + fuzz_engine_names());
  std::optional<Manifest> project;
  if (o.count("fuzzer")) {
    auto t = one_off_target(inv);
    if (!t) return bad_input(inv, t.error().message);
    req.target = t.value();
    req.corpora = o["corpora"].as<std::string>();
  } else {
    auto m = project_required(inv);
    if (!m) return bad_input(inv, m.error().message);
    project = std::move(m.value());
    auto t = project_target(*project, o["target"].as<std::string>(), *req.engine);
    if (!t) return bad_input(inv, t.error().message);
    req.target = t.value();
    req.corpora = o["corpora"].defaulted() ? project->corpora : std::filesystem::path(o["corpora"].as<std::string>());
  }
  req.budget_seconds = o["budget"].as<double>();
  req.jobs = o["jobs"].as<int>();
  auto schedule = Schedule::parse(o["schedule"].as<std::string>());
  if (!schedule) return bad_input(inv, "--schedule: " + schedule.error().message);
  req.schedule = schedule->canonical();
  req.work = std::filesystem::path(o["work"].as<std::string>()) / (req.target.name + "-" + req.engine->name);
  req.minimize = !o.count("no-minimize");
  req.minimize_seconds = o["minimize-time"].as<double>();
  if (!seconds_in_range(req.minimize_seconds)) return bad_input(inv, "--minimize-time must be a number of seconds in (0, 604800]");
  auto lib = injector_for(true);
  if (!lib) return bad_input(inv, lib.error().message);
  req.inject_library = lib.value();
  auto core = core_option(inv, req.store.empty() ? req.corpora / req.target.name / "regressions" : req.store);
  if (!core) return bad_input(inv, core.error().message);
  req.core = core.value();

  auto outcome = run_fuzz(req);
  if (!outcome) return bad_input(inv, outcome.error().message);
  const FuzzOutcome& out = outcome.value();
  if (!out.refused.empty()) return bad_input(inv, req.engine->name + std::string(" did not fuzz ") + req.target.name + ": " + out.refused);
  std::printf("%-9s %-26s %-16s %-15s %7s %9s  %s\n", "FOUND AT", "CLASS", "STACK HASH", "STATUS", "SIMILAR", "BYTES",
              "REPRODUCER");
  for (const auto& c : out.crashes)
    std::printf("%8.1fs %-26s %-16s %-15s %7zu %4zu->%-4zu  %s\n", c.found_at,
                std::string(to_string(c.report.cls)).c_str(), c.report.stack_hash.c_str(),
                std::string(to_string(c.status)).c_str(), c.similar,
                c.input_bytes, c.minimized_bytes, c.reproducer.empty() ? "-" : c.reproducer.c_str());
  for (const auto& c : out.crashes)
    if (c.report.core) std::printf("%s: %s\n", c.reproducer.filename().c_str(), core_line(*c.report.core).c_str());
  std::printf("\n%s on %s: %.0f s, %llu executions, %zu crashes saved by the engine, %d new buckets; corpus %zu -> %zu inputs\n",
              req.engine->name, req.target.name.c_str(), out.seconds, static_cast<unsigned long long>(out.executions),
              out.crashes.size(), out.new_buckets(), out.corpus_before, out.corpus_after);
  if (!out.merge_problem.empty()) std::printf("merge skipped: %s\n", out.merge_problem.c_str());
  std::printf("engine log: %s\n", out.engine_log.c_str());
  return out.new_buckets() ? kExitFound : kExitClean;
}

}  // namespace faultline::cli
