// bench-run-overhead: what one `faultline run` costs on top of a plain
// fork + exec + wait. Five cases, each a warm-up then N timed runs; prints a
// table (and JSON with --json FILE). See bench/README.md.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process/runner.h"
#include "triage/triage.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Case {
  std::string name;
  std::string what;
  int iterations = 0;
  std::function<bool()> run_once;  // false: the run did not end as expected
};

struct Stats {
  int iterations = 0;
  double runs_per_second = 0, mean_ms = 0, p50_ms = 0, p95_ms = 0;
};

[[noreturn]] void die(const std::string& message) {
  std::cerr << "bench-run-overhead: " << message << "\n";
  std::exit(2);
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

Stats measure(const Case& c) {
  const int warmup = std::max(3, c.iterations / 20);
  for (int i = 0; i < warmup; i++)
    if (!c.run_once()) die(c.name + ": unexpected outcome during warm-up");

  std::vector<double> ms;
  ms.reserve(c.iterations);
  const auto start = Clock::now();
  for (int i = 0; i < c.iterations; i++) {
    const auto t0 = Clock::now();
    if (!c.run_once()) die(c.name + ": unexpected outcome in run " + std::to_string(i));
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();

  std::sort(ms.begin(), ms.end());
  Stats s;
  s.iterations = c.iterations;
  s.runs_per_second = c.iterations / total_s;
  for (double v : ms) s.mean_ms += v;
  s.mean_ms /= static_cast<double>(ms.size());
  s.p50_ms = percentile(ms, 50);
  s.p95_ms = percentile(ms, 95);
  return s;
}

// Case a: the floor every runner pays.
bool plain_fork_exec_wait(const char* path) {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    char* argv[] = {const_cast<char*>(path), nullptr};
    execv(path, argv);
    _exit(127);
  }
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return false;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

// With an injector, a run only counts if the injector really reported in.
bool injector_ok(const faultline::RunRequest& req, const faultline::RunResult& r) {
  if (req.inject_library.empty()) return true;
  return std::any_of(r.events.begin(), r.events.end(), [](const fl_event& e) { return e.kind == FL_EVENT_HELLO; });
}

bool run_exits_zero(const faultline::RunRequest& req) {
  auto r = faultline::run_program(req);
  return r && r->end == faultline::RunResult::End::Exited && r->exit_code == 0 && injector_ok(req, r.value());
}

bool run_and_triage(const faultline::RunRequest& req, faultline::CrashClass expected) {
  auto r = faultline::run_program(req);
  if (!r) return false;
  const faultline::CrashReport report = faultline::triage(req, r.value());
  return report.cls == expected && report.injected_processes == 1;
}

std::string binary_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) die("cannot read /proc/self/exe: " + ec.message());
  return exe.parent_path().string();
}

std::string write_input(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::path p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

void usage() {
  std::cout << "usage: bench-run-overhead [--iterations N] [--json FILE]\n"
               "  --iterations N  timed runs per case (default 200; the crash case runs N/10, at least 10)\n"
               "  --json FILE     also write the results as JSON\n";
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 200;
  std::string json_path;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::atoi(argv[++i]);
      if (iterations < 1) die("--iterations must be a positive number");
    } else if (a == "--json" && i + 1 < argc) {
      json_path = argv[++i];
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      usage();
      return 2;
    }
  }

  const std::string bin = binary_dir();
  const std::string inject = bin + "/../lib/libfaultline-inject.so";
  const std::string zoo = bin + "/target-crash_zoo";
  const char* true_path = "/bin/true";
  for (const std::string& f : {inject, zoo, std::string(true_path)})
    if (access(f.c_str(), R_OK) != 0) die(f + ": not found (build everything first)");

  char tmpl[] = "/tmp/faultline-bench-XXXXXX";
  if (!mkdtemp(tmpl)) die(std::string("mkdtemp: ") + std::strerror(errno));
  const fs::path tmp = tmpl;
  const std::string clean_input = write_input(tmp, "clean", "clean\n");
  const std::string null_input = write_input(tmp, "null", "null\n");

  faultline::RunRequest bare;
  bare.argv = {true_path};
  faultline::RunRequest injected = bare;
  injected.inject_library = inject;
  // Cases d and e are what `faultline run --target crash_zoo --input FILE` does.
  faultline::RunRequest zoo_clean;
  zoo_clean.argv = {zoo, clean_input};
  zoo_clean.inject_library = inject;
  faultline::RunRequest zoo_null = zoo_clean;
  zoo_null.argv = {zoo, null_input};

  using faultline::CrashClass;
  const std::vector<Case> cases = {
      {"fork-exec-wait", "fork + execv + waitpid of /bin/true (baseline)", iterations,
       [&] { return plain_fork_exec_wait(true_path); }},
      {"run_program", "run_program(/bin/true), no injector", iterations,
       [&] { return run_exits_zero(bare); }},
      {"run_program+inject", "run_program(/bin/true) with libfaultline-inject.so", iterations,
       [&] { return run_exits_zero(injected); }},
      {"run+triage clean", "run_program + triage, target-crash_zoo 'clean' (exit 0)", iterations,
       [&] { return run_and_triage(zoo_clean, CrashClass::None); }},
      {"run+triage SIGSEGV", "run_program + triage, target-crash_zoo 'null' (SIGSEGV)",
       std::max(10, iterations / 10), [&] { return run_and_triage(zoo_null, CrashClass::NullDereference); }},
  };

  std::vector<Stats> results;
  for (const Case& c : cases) {
    std::cerr << "  " << c.name << " (" << c.iterations << " runs)...\n";
    results.push_back(measure(c));
  }
  fs::remove_all(tmp);

  const double base_ms = results[0].mean_ms;
  std::printf("%-20s %6s %9s %9s %9s %9s %8s\n", "case", "runs", "runs/s", "mean ms", "p50 ms", "p95 ms",
              "x base");
  for (size_t i = 0; i < cases.size(); i++) {
    const Stats& s = results[i];
    std::printf("%-20s %6d %9.1f %9.3f %9.3f %9.3f %8.2f\n", cases[i].name.c_str(), s.iterations,
                s.runs_per_second, s.mean_ms, s.p50_ms, s.p95_ms, s.mean_ms / base_ms);
  }

  if (!json_path.empty()) {
    nlohmann::json out;
    out["benchmark"] = "run-overhead";
    out["nproc"] = sysconf(_SC_NPROCESSORS_ONLN);
    out["iterations"] = iterations;
    for (size_t i = 0; i < cases.size(); i++) {
      const Stats& s = results[i];
      out["cases"].push_back({{"name", cases[i].name},
                              {"measures", cases[i].what},
                              {"iterations", s.iterations},
                              {"runs_per_second", s.runs_per_second},
                              {"mean_ms", s.mean_ms},
                              {"p50_ms", s.p50_ms},
                              {"p95_ms", s.p95_ms},
                              {"ratio_to_baseline", s.mean_ms / base_ms}});
    }
    std::ofstream f(json_path);
    f << out.dump(2) << "\n";
    if (!f) die(json_path + ": cannot write");
  }
  return 0;
}
