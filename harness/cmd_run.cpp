// faultline run: one program, one schedule, one triaged result.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "corpus.h"
#include "report.h"
#include "run_setup.h"

namespace faultline::cli {

int cmd_run(const Invocation& inv) {
  const auto& o = inv.options;
  auto schedule = Schedule::parse(o["schedule"].as<std::string>());
  if (!schedule) return bad_input(inv, "--schedule: " + schedule.error().message);

  auto spec = program_spec(inv);
  if (!spec) return bad_input(inv, spec.error().message);
  Reproducer& repro = spec->repro;
  const std::optional<std::string>& input = spec->input;
  repro.schedule = schedule->canonical();
  RunRequest& req = spec->request;
  req.schedule = schedule.value();
  req.limits.address_space_bytes = o["memory-limit-mb"].as<uint64_t>() << 20;
  req.limits.file_size_bytes = o["file-size-limit-mb"].as<uint64_t>() << 20;
  req.limits.output_cap_bytes = o["output-limit-kb"].as<uint64_t>() << 10;
  req.forward_output = !o.count("quiet");

  auto triaged = run_and_triage(req);
  if (!triaged) return bad_input(inv, triaged.error().message);
  CrashReport& report = triaged.value();
  report.argv = repro.argv;  // as the user gave it: @@, not a temporary path
  std::cerr << verdict_line(report) << "\n";

  if (o.count("report")) {
    auto w = write_file_atomic(o["report"].as<std::string>(), report_json(report).dump(2) + "\n");
    if (!w) return bad_input(inv, w.error().message);
  }
  if (o.count("out") && report.cls != CrashClass::None) {
    repro.expected_class = report.cls;
    repro.expected_hash = report.stack_hash;
    repro.environment = environment_facts();
    auto stored = store_reproducer(o["out"].as<std::string>(), repro, input);
    if (!stored) return bad_input(inv, stored.error().message);
    std::cerr << "faultline: reproducer " << (stored->already_known ? "already stored at " : "stored at ")
              << stored->dir.string() << "\n";
    if (const std::string note = not_stored_note(stored.value()); !note.empty()) std::cerr << "faultline: " << note << "\n";
  }
  return report.cls == CrashClass::None ? kExitClean : kExitFound;
}

}  // namespace faultline::cli
