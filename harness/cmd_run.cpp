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

  Reproducer repro;
  if (o.count("target")) {
    if (!inv.program.empty()) return bad_input(inv, "give either --target or `-- PROGRAM`, not both");
    repro.target = o["target"].as<std::string>();
    repro.argv = {"target-" + repro.target, kInputPlaceholder};
  } else {
    if (inv.program.empty()) return bad_input(inv, "no program given (usage: faultline run [OPTIONS] -- PROGRAM [ARGS...])");
    repro.argv = inv.program;
  }
  std::optional<std::string> input;
  if (o.count("input")) {
    const std::string path = o["input"].as<std::string>();
    std::ifstream f(path, std::ios::binary);
    if (!f || std::filesystem::is_directory(path)) return bad_input(inv, path + ": cannot read input file");
    std::stringstream ss;
    ss << f.rdbuf();
    input = ss.str();
  }
  const bool has_placeholder = std::find(repro.argv.begin(), repro.argv.end(), kInputPlaceholder) != repro.argv.end();
  if (has_placeholder && !input) return bad_input(inv, "the command line has @@ but no --input FILE was given");
  repro.input = !input ? InputMode::None : has_placeholder ? InputMode::File : InputMode::Stdin;
  repro.schedule = schedule->canonical();
  if (o.count("timeout")) repro.timeout_seconds = o["timeout"].as<double>();
  if (!(repro.timeout_seconds > 0)) return bad_input(inv, "--timeout must be a positive number of seconds");

  // The run reads its input from where the user keeps it; the reproducer gets a copy.
  RunRequest req;
  req.schedule = schedule.value();
  req.argv = repro.argv;
  if (!repro.target.empty()) {
    req.argv[0] = binary_dir() + "/target-" + repro.target;
    if (access(req.argv[0].c_str(), X_OK) != 0) return bad_input(inv, "--target: no built target named '" + repro.target + "' (" + req.argv[0] + ")");
  }
  if (input) {
    const std::string abs = std::filesystem::absolute(o["input"].as<std::string>()).string();
    for (auto& a : req.argv)
      if (a == kInputPlaceholder) a = abs;
    if (repro.input == InputMode::Stdin) req.stdin_path = abs;
  }
  req.limits.timeout_seconds = repro.timeout_seconds;
  req.limits.address_space_bytes = o["memory-limit-mb"].as<uint64_t>() << 20;
  req.limits.file_size_bytes = o["file-size-limit-mb"].as<uint64_t>() << 20;
  req.limits.output_cap_bytes = o["output-limit-kb"].as<uint64_t>() << 10;
  req.forward_output = !o.count("quiet");
  auto lib = injector_for(!o.count("no-inject"));
  if (!lib) return bad_input(inv, lib.error().message);
  req.inject_library = lib.value();

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
  }
  return report.cls == CrashClass::None ? kExitClean : kExitFound;
}

}  // namespace faultline::cli
