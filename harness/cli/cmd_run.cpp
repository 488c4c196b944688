// faultline run: one program, one schedule, one triaged result.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/core_option.h"
#include "store/corpus.h"
#include "store/finding.h"
#include "report/report.h"
#include "cli/run_setup.h"

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
  // Each limit in a range where its unit shift cannot overflow; an address
  // space of 0 lets no program start (the kernel's SIGSEGV in exec would pass
  // for a crash).
  struct LimitOption {
    const char* name;
    uint64_t min, max;
    int shift;
    uint64_t* bytes;
  };
  for (const LimitOption& l : {LimitOption{"memory-limit-mb", 1, 1ull << 24, 20, &req.limits.address_space_bytes},
                               LimitOption{"file-size-limit-mb", 0, 1ull << 24, 20, &req.limits.file_size_bytes},
                               LimitOption{"output-limit-kb", 0, 1ull << 30, 10, &req.limits.output_cap_bytes}}) {
    const uint64_t v = o[l.name].as<uint64_t>();
    if (v < l.min || v > l.max)
      return bad_input(inv, std::string("--") + l.name + " must be " + std::to_string(l.min) + " to " + std::to_string(l.max));
    *l.bytes = v << l.shift;
  }
  req.forward_output = !o.count("quiet");
  // The core goes only into the reproducer directory, under --out.
  if (o.count("core") && !o.count("out")) return bad_input(inv, "--core needs --out DIR: the core is kept with the reproducer, in DIR only");
  auto core = core_option(inv, o.count("out") ? o["out"].as<std::string>() : std::string());
  if (!core) return bad_input(inv, core.error().message);
  req.core = core.value();

  auto triaged = run_and_triage(req);
  if (!triaged) return bad_input(inv, triaged.error().message);
  CrashReport& report = triaged.value();
  report.argv = repro.argv;  // as the user gave it: @@, not a temporary path
  std::cerr << verdict_line(report) << "\n";

  if (o.count("out") && report.cls != CrashClass::None) {
    auto stored = store_finding(o["out"].as<std::string>(), repro, report, input);
    if (!stored) return bad_input(inv, stored.error().message);
    std::cerr << "faultline: reproducer " << (stored->already_known ? "already stored at " : "stored at ")
              << stored->dir.string() << "\n";
    if (const std::string note = not_stored_note(stored.value()); !note.empty()) std::cerr << "faultline: " << note << "\n";
    if (report.core) std::cerr << "faultline: " << core_line(*report.core) << "\n";
  }
  // After the reproducer: the report names the core where it was kept.
  if (o.count("report")) {
    auto w = write_file_atomic(o["report"].as<std::string>(), json_text(report_json(report)) + "\n");
    if (!w) return bad_input(inv, w.error().message);
  }
  return report.cls == CrashClass::None ? kExitClean : kExitFound;
}

}  // namespace faultline::cli
