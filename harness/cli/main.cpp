// faultline: the CLI. Commands and their manual pages are declared here once;
// their options come from the table in cli_options.cpp.
#include <sys/prctl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <typeinfo>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cli/cli_options.h"
#include "cli/commands.h"
#include "cli/manual.h"
#include "base/version.h"
#include "cli/run_setup.h"
#include "triage/crash_class.h"
#include "protocol.h"
#include "schedule.h"

namespace faultline::cli {

namespace {

struct Command {
  const char* name;
  int (*run)(const Invocation&);
  const char* synopsis;
  const char* summary;
  const char* description;
  const char* exit_status;
  const char* examples;
  int max_operands;
  bool takes_program;  // accepts `-- PROGRAM ARGS...`
};

const Command kCommands[] = {
    {"run", cmd_run, "faultline run [OPTIONS] (--target NAME | -- PROGRAM [ARGS...])",
     "run any program once under a fault schedule and triage the result",
     "Runs PROGRAM in a child process with its own process group, rlimits (address space, core 0,\n"
     "file size, processes), a timeout that kills every descendant, captured and capped output,\n"
     "and " FL_INJECT_LIBRARY " preloaded. The child is held at its first crash signal so its\n"
     "registers, memory maps and stack are read before it dies; frames are symbolized with libdw.\n"
     "Prints a one-line verdict on stderr: class, evidence, top meaningful frame, stack hash.",
     "0 the program exited without a crash; 1 it crashed, hung or was killed (any class but `none`);\n"
     "2 usage error, bad schedule or input, or the program could not be started.",
     "faultline run -- /bin/true\n"
     "faultline run --schedule 'stack main=256K' --report r.json -- \\\n"
     "    python3 -c 'import sys, json; sys.setrecursionlimit(10**7); json.loads(\"[\" * 10**6)'\n"
     "faultline run --target crash_zoo --input corpora/crash_zoo/seeds/null --out repros/",
     0, true},
    {"replay", cmd_replay, "faultline replay REPRO [--times N] [--timeout SECONDS]",
     "rerun a stored reproducer and check it still gives its class and stack hash",
     "REPRO is a reproducer directory (or its repro.json). Each run must give the expected crash\n"
     "class and stack hash. Prints one line per mismatch and then `k/N reproduced`.",
     "0 all N runs matched; 1 at least one did not; 2 the reproducer is missing or invalid.",
     "faultline replay repros/null-dereference-0123456789abcdef --times 20", 1, false},
    {"campaign", cmd_campaign,
     "faultline campaign [--project FILE | --oss-fuzz-out DIR] [--budget SECONDS] [--out DIR] [--target NAME]... "
     "[--shard K/N] [--no-fuzz]",
     "the nightly job over a project's manifest: regressions, seeds, explore and stack tables, fuzzing",
     "Runs what the project's faultline.toml declares (--project, else ./faultline.toml or the\n"
     "nearest above; --oss-fuzz-out takes an OSS-Fuzz $OUT as the project). For every target: first\n"
     "replays each reproducer in <corpora>/<target>/regressions/ through the target's command from\n"
     "the manifest (a regression that no longer gives its class is `fixed`, one that gives it only\n"
     "sometimes is `flaky`, with its rate), then runs each seed. A corpora directory no target\n"
     "declares is an error. Then, with what is left of the budget: each target's `explore` and\n"
     "`stack` tables, and every target fuzzed (as `faultline fuzz` does) under each of its profiles.\n"
     "New crashes are stored in <corpora>/<target>/regressions/, where the next night replays them.\n"
     "A progress line runs on stderr. Writes DIR/report.json, DIR/report.sarif (SARIF 2.1.0),\n"
     "DIR/junit.xml, DIR/report.html and a page per finding; appends the night to the history\n"
     "beside the corpora. Killed and rerun, it resumes: stored reproducers are kept, none twice.\n",
     "0 nothing new and every regression still reproduces; 1 a new crash, or a regression that is\n"
     "fixed or flaky; 2 error.",
     "faultline campaign --budget 60 --out out/campaign\n"
     "faultline campaign --project faultline.toml --budget 3600 --shard 2/4 --out out\n"
     "faultline campaign --oss-fuzz-out $OUT --budget 600", 0, false},
    {"stack", cmd_stack,
     "faultline stack (--target T [--shape S] | (--open S --close S | --template T) [--leaf S] [--sep S] -- PROGRAM "
     "[ARGS with @@] | [--input FILE] -- PROGRAM [ARGS...]) [OPTIONS]",
     "bisect where the stack runs out: smallest crashing depth, or smallest surviving stack",
     "With --target T (its manifest entry's `stack` table says what nests: open/close/leaf, or the\n"
     "nested-source generator and its --shape), or for any `-- PROGRAM` with --open/--close or\n"
     "--template (the generated input is the @@ file, else stdin), and no --depth: for a stack of\n"
     "--stack-size (any program: its own stacks unless given), finds the smallest nesting depth that\n"
     "exhausts it. A depth that ends neither clean nor exhausted is the answer only as what it is: a\n"
     "program that exits non-zero on its own there (a parser's depth limit) is reported as rejecting\n"
     "from that depth, with its exit status and message; anything else is exit 2 with its verdict.\n"
     "With --depth N, or for any `-- PROGRAM` (reading --input, @@ or stdin): finds the smallest\n"
     "stack, to the page, that survives. Stacks are shrunk with the `stack` schedule item (--shrink,\n"
     "or the table's). Uses at most log2(range)+2 runs, reports bytes per nesting level and the\n"
     "recursion cycle, and stores the boundary crash in --out as a reproducer that replays N/N.",
     "0 the search ran (whatever it found); 2 usage error or the program could not be run.",
     "faultline stack --target nested_parser --shape expr --stack-size 1M\n"
     "faultline stack --target nested_parser-main --shape mixed --depth 5000\n"
     "faultline stack --open '[' --close ']' --leaf 1 --stack-size 256K -- ./myparser @@\n"
     "faultline stack --template 'f(@,1)' --leaf x -- ./calc        # input on stdin\n"
     "faultline stack --open '<a>' --close '</a>' -- xmllint --noout @@\n"
     "faultline stack --shrink main -- python3 -c 'import sys, json; sys.setrecursionlimit(10**6); json.loads(\"[\" * 20000)'",
     0, true},
    {"explore", cmd_explore,
     "faultline explore --injector malloc-signal (--target T | [--input F] -- PROGRAM [ARGS...]) [OPTIONS]",
     "search the instruction points inside malloc where the program's own signal handler breaks it",
     "First a census run finds when the program installs its handler for --signal. Then, call by\n"
     "call of --thread, one run single-steps the allocator call and records its instruction\n"
     "addresses, and one run per not-yet-covered address raises the signal exactly there, so the\n"
     "program's handler runs with the allocator paused at that instruction. Sentinels in the\n"
     "injector name the cause: signal-unsafe-reentrancy, duplicate-allocation,\n"
     "lazy-binding-in-signal-handler, signal-unsafe-call. With --in FUNCTION (syslog, printf, ...:\n"
     "a non-async-signal-safe function the injector interposes) the calls counted and stepped are\n"
     "FUNCTION's instead of the allocator's. With --seed, points are sampled at random instead. Each\n"
     "finding is stored in --out as a reproducer whose schedule replays it exactly.",
     "0 no finding within --max-runs; 1 a finding; 2 usage error.",
     "faultline explore --injector malloc-signal --target profiler_backtrace --max-runs 100\n"
     "faultline explore --keep-going --max-runs 400 -- ./server --selftest\n"
     "faultline explore --in syslog --signal SIGALRM --timeout 2 -- ./sshd-like", 0, true},
    {"minimize", cmd_minimize, "faultline minimize REPRO [--max-runs N]",
     "shrink a reproducer's schedule: fewest items, earliest allocator call, same class",
     "Reruns REPRO with each schedule item other than malloc-signal removed, keeping the removals\n"
     "that still give the expected class, then tries the earliest allocator call (same instruction)\n"
     "that still gives it. The smaller reproducer is stored beside REPRO under its own name.",
     "0 minimized (or already minimal); 1 REPRO no longer reproduces; 2 usage error or bad reproducer.",
     "faultline minimize explore-out/signal-unsafe-reentrancy-1b76b1f62557465c", 1, false},
    {"alloc", cmd_alloc, "faultline alloc REPRO [--timeout SECONDS]",
     "run a reproducer under glibc, jemalloc, tcmalloc and mimalloc and compare",
     "Reruns REPRO once per allocator (its schedule with `alloc <name>`: the allocator is preloaded\n"
     "under the injector) and prints allocator, class, stack hash, time and findings. A hang is a\n"
     "`timeout` (default 5 s here). If the executable defines malloc/free itself, no swap can\n"
     "reach it: says so and runs it once with its own allocator.",
     "0 the table was printed; 2 usage error or bad reproducer.",
     "faultline alloc repros/heap-size-mismatch-0123456789abcdef", 1, false},
    {"fuzz", cmd_fuzz,
     "faultline fuzz --engine libfuzzer|afl (--target NAME | --fuzzer BINARY [--name N]) [--budget SECONDS] "
     "[--schedule LINE] [--jobs N]",
     "fuzz a target under an injector schedule; triage, dedup, minimize and store new crashes",
     "Runs the engine on the target's binary (its `libfuzzer` or `afl` key in the manifest; or a\n"
     "one-off --fuzzer BINARY) with the schedule in force (libFuzzer: in-process with\n"
     FL_INJECT_LIBRARY " preloaded, -fork=N; AFL++: AFL_PRELOAD, -M main / -S workerN sharing one\n"
     "sync directory), starting from <target>/seeds/ and <target>/corpus/, with its dict and the\n"
     "engine's section of its .options. Under the engine a sentinel finding aborts, so the engine\n"
     "saves it. Every saved crash is replayed under triage and bucketed by class and stack hash\n"
     "(the recursion cycle for stack exhaustion, the handler/interrupted-call pair for a reentrancy).\n"
     "A new bucket is minimized (libFuzzer -minimize_crash, afl-tmin; then the schedule) and stored\n"
     "once in <target>/regressions/. Finally the engine's new inputs are merged into\n"
     "<target>/corpus/ (libFuzzer -merge=1, afl-cmin): only inputs that add coverage stay.",
     "0 no new crash bucket; 1 a new bucket was stored; 2 usage error, missing build or engine failure.",
     "faultline fuzz --engine libfuzzer --target raw_parts --budget 30\n"
     "faultline fuzz --engine libfuzzer --fuzzer out/png_read_fuzzer --budget 300\n"
     "faultline fuzz --engine afl --target nested_parser --schedule 'stack main=80K' --budget 600 --jobs 4",
     0, false},
    {"init", cmd_init, "faultline init [BUILD_DIR] [--output FILE] [--force]",
     "write a starter faultline.toml from the fuzz binaries in a build tree",
     "Searches BUILD_DIR (default `.`, up to 6 directories deep; hidden directories and CMakeFiles/\n"
     "skipped) for executables that define LLVMFuzzerTestOneInput, reading their ELF symbol tables\n"
     "(nothing is run). A binary with AFL++'s runtime (__afl_area_ptr, __afl_persistent_loop, ...)\n"
     "is an AFL++ build, one with libFuzzer's own code (LLVMFuzzerRunDriver, fuzzer::) a libFuzzer\n"
     "build. Binaries are named by their file name without fuzz-/fuzz_ and _fuzzer/_fuzz; a\n"
     "libFuzzer and an AFL++ build of the same name become one target, whose `run` command is the\n"
     "libFuzzer build on the input file (@@). A <name>.dict beside a binary (OSS-Fuzz's layout) is\n"
     "the target's dictionary. Writes the manifest atomically, with paths relative to its own\n"
     "directory and the project named after that directory, and prints what it found.",
     "0 the manifest was written; 2 no fuzz binary was found, FILE exists (without --force), or\n"
     "BUILD_DIR is not a directory.",
     "faultline init\n"
     "faultline init build --output faultline.toml\n"
     "faultline init /src/out --output /work/faultline.toml --force",
     1, false},
    {"gen", cmd_gen,
     "faultline gen nested --depth N ([--shape S] [--seed X] | (--open S --close S | --template T) [--leaf S] "
     "[--sep S]) [--output FILE]",
     "nested input of an exact depth: for any parser, or nested_parser's generated source",
     "With --open/--close: N opens, the leaf, N closes, with --sep between two levels on the way in\n"
     "and out. With --template: one level as text with a single @ where the next level goes (the\n"
     "innermost @ is the leaf). Inputs over 256 MiB are refused. Without them, the nested-source\n"
     "generator: valid source for nested_parser whose nesting depth is exactly N, shaped as nested\n"
     "expressions, blocks, generic type arguments, array literals, or a fixed mix of them, with\n"
     "machine-generated filler at every level (deterministic for N, shape and seed).",
     "0 written; 2 usage error (or an input too large).",
     "faultline gen nested --depth 3 --open '[' --close ']' --leaf 1           # [[[1]]]\n"
     "faultline gen nested --depth 3 --template 'f(@,1)' --leaf x              # f(f(f(x,1),1),1)\n"
     "faultline gen nested --depth 2 --open '{\"a\":' --close '}' --leaf 1 --sep ' '  # {\"a\": {\"a\":1} }\n"
     "faultline gen nested --depth 2000 --shape generic > deep.src", 1, false},
};

const Command* find_command(const std::string& name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

// "    stack main=SIZE         help...", help wrapped at 100 columns.
std::string schedule_reference() {
  constexpr size_t kHelpColumn = 28, kWidth = 100;
  std::ostringstream s;
  for (int k = 0; k < FL_KEY_COUNT; k++) {
    const auto& key = fl_schedule_keys[k];
    std::string form = std::string(key.item) + (key.key[0] ? std::string(" ") + key.key : "");
    switch (key.kind) {
      case FL_VAL_SIZE: form += "=SIZE"; break;
      case FL_VAL_UINT: form += "=N"; break;
      case FL_VAL_SIGNAL: form += "=SIG"; break;
      case FL_VAL_WORD: form += "=NAME"; break;
      case FL_VAL_FLAG: break;  // a bare word
    }
    std::string line = "    " + form;
    line += std::string(line.size() < kHelpColumn ? kHelpColumn - line.size() : 1, ' ');
    std::istringstream words(key.help);
    for (std::string word; words >> word;) {
      if (line.size() + word.size() + 1 > kWidth && line.size() > kHelpColumn) {
        s << line << "\n";
        line = std::string(kHelpColumn, ' ');
      }
      line += (line.back() == ' ' ? "" : " ") + word;
    }
    s << line << "\n";
  }
  return s.str();
}

std::string crash_class_names() {
  std::string names;
  for (int c = 0; c <= static_cast<int>(CrashClass::None); c++) names += (names.empty() ? "" : " ") + std::string(to_string(static_cast<CrashClass>(c)));
  return names;
}

constexpr const char* kEnvironment = "FAULTLINE_INJECT_LIB   injector to preload instead of the installed one (lib/faultline/, or ../lib in a build tree)\n";

void print_main_help() {
  std::cout << "NAME\n    faultline - make rare crashes happen on purpose, triage them, replay them\n\n"
               "SYNOPSIS\n    faultline COMMAND [OPTIONS] [-- PROGRAM ARGS...]\n    faultline COMMAND --help\n    faultline --version\n\n"
               "COMMANDS\n";
  for (const auto& c : kCommands) {
    std::string n = c.name;
    std::cout << "    " << n << std::string(12 - n.size(), ' ') << c.summary << "\n";
  }
  std::cout << "\nSCHEDULE\n    One line of `;`-separated items, e.g. \"stack main=64K ; seed=0x5eed\". Items:\n"
            << schedule_reference()
            << "\nCRASH CLASSES (the `class` of every report)\n   ";
  size_t column = 3;
  std::istringstream classes(crash_class_names());
  for (std::string name; classes >> name;) {
    if (column + name.size() + 1 > 96) {
      std::cout << "\n   ";
      column = 3;
    }
    std::cout << " " << name;
    column += name.size() + 1;
  }
  std::cout << "\n\nREPRODUCERS\n    A directory <class>-<stack hash>/ holding repro.json (argv or target, schedule,\n"
               "    expected class and stack hash, environment) and `input` when the program reads one.\n"
               "\nEXIT STATUS\n    0 nothing found, 1 a crash (or regression) found, 2 usage error or bad input.\n"
               "\nENVIRONMENT\n    " << kEnvironment;
}

std::vector<CommandDoc> command_docs() {
  std::vector<CommandDoc> docs;
  for (const auto& c : kCommands)
    docs.push_back({c.name, c.synopsis, c.summary, c.description, c.exit_status, c.examples, c.takes_program});
  return docs;
}

// The build's `faultline --write-manual DIR`: DIR/man/man1/*.1 and
// DIR/bash-completion/completions/faultline, from the tables --help uses.
int write_manual(const std::string& dir) {
  namespace fs = std::filesystem;
  const auto docs = command_docs();
  std::vector<std::pair<fs::path, std::string>> files = {
      {fs::path(dir) / "man/man1/faultline.1", main_man_page(docs, {schedule_reference(), crash_class_names(), kEnvironment})},
      {fs::path(dir) / "bash-completion/completions/faultline", bash_completion(docs)}};
  for (const auto& d : docs) files.push_back({fs::path(dir) / "man/man1" / ("faultline-" + d.name + ".1"), command_man_page(d)});
  for (const auto& [path, text] : files) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    const fs::path temp = path.string() + ".tmp";
    std::ofstream out(temp, std::ios::trunc);
    out << text;
    out.close();
    if (!out || (fs::rename(temp, path, ec), ec)) {
      std::cerr << "faultline: " << path.string() << ": cannot write the manual page\n";
      return kExitBadInput;
    }
  }
  return kExitClean;
}

void print_command_help(const Command& c) {
  std::cout << "NAME\n    faultline " << c.name << " - " << c.summary << "\n\nSYNOPSIS\n    " << c.synopsis
            << "\n\nDESCRIPTION\n";
  std::istringstream d(c.description);
  for (std::string line; std::getline(d, line);) std::cout << "    " << line << "\n";
  std::cout << "\n" << options_for(c.name) << "\nEXIT STATUS\n";
  std::istringstream e(c.exit_status);
  for (std::string line; std::getline(e, line);) std::cout << "    " << line << "\n";
  std::cout << "\nEXAMPLES\n";
  std::istringstream x(c.examples);
  for (std::string line; std::getline(x, line);) std::cout << "    " << line << "\n";
}

int usage(const std::string& message) {
  std::cerr << "faultline: " << message << " (try `faultline --help`)\n";
  return kExitBadInput;
}

}  // namespace

int bad_input(const Invocation& inv, const std::string& message) {
  std::cerr << "faultline " << inv.command << ": " << message << "\n";
  return kExitBadInput;
}

int main(int argc, char** argv) {
  // `faultline run ... | head -1` closes our stdout early: the verdict line
  // may be lost, the report and the reproducer must not be. Children get
  // SIGPIPE back at its default before exec (runner.cpp).
  std::signal(SIGPIPE, SIG_IGN);
  // The programs we run are untrusted and may run as our user: no ptrace of
  // us and no /proc/<our pid>/mem for them (issue 15; they also cannot see
  // us from inside their PID namespace).
  prctl(PR_SET_DUMPABLE, 0);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage("no command given");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_main_help();
    return kExitClean;
  }
  if (args[0] == "--version") {
    std::cout << "faultline " << version_described() << "\n";
    return kExitClean;
  }
  if (args[0] == "--write-manual" && args.size() == 2) return write_manual(args[1]);
  const Command* cmd = find_command(args[0]);
  if (!cmd) return usage("unknown command '" + args[0] + "'");

  Invocation inv;
  inv.command = cmd->name;
  std::vector<std::string> option_args(args.begin() + 1, args.end());
  if (auto dash = std::find(option_args.begin(), option_args.end(), "--"); dash != option_args.end()) {
    if (!cmd->takes_program) return bad_input(inv, "does not take `-- PROGRAM`");
    inv.program.assign(dash + 1, option_args.end());
    option_args.erase(dash, option_args.end());
  }
  namespace po = boost::program_options;
  po::options_description desc = options_for(cmd->name);
  po::options_description hidden;
  hidden.add_options()("operand", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("operand", -1);
  try {
    const po::parsed_options parsed = po::command_line_parser(option_args).options(all).positional(positional).run();
    po::store(parsed, inv.options);
    po::notify(inv.options);
    // Boost reads "-1" into an unsigned option as 2^64-1 (unlimited): a limit
    // of -1 must be an error, not the absence of a limit.
    for (const auto& opt : parsed.options) {
      if (!inv.options.count(opt.string_key)) continue;
      const auto& type = inv.options[opt.string_key].value().type();
      const bool is_unsigned = type == typeid(uint64_t) || type == typeid(unsigned) || type == typeid(size_t);
      for (const auto& v : opt.value)
        if (is_unsigned && v.find_first_not_of(" \t") != std::string::npos && v[v.find_first_not_of(" \t")] == '-')
          return bad_input(inv, "--" + opt.string_key + " must be a number of 0 or more, not '" + v + "'");
    }
  } catch (const po::error& e) {
    return bad_input(inv, e.what());
  }
  if (inv.options.count("help")) {
    print_command_help(*cmd);
    return kExitClean;
  }
  if (inv.options.count("operand")) inv.operands = inv.options["operand"].as<std::vector<std::string>>();
  if (static_cast<int>(inv.operands.size()) > cmd->max_operands)
    return bad_input(inv, "unexpected argument '" + inv.operands[cmd->max_operands] + "'" +
                              (cmd->takes_program ? " (put the program after `--`)" : ""));
  // Before any run: a long run must not end where it cannot write.
  if (auto writable = output_options_writable(inv); !writable) return bad_input(inv, writable.error().message);
  // Last resort: whatever escaped a command is one line and exit 2, never an abort.
  try {
    return cmd->run(inv);
  } catch (const std::exception& e) {
    return bad_input(inv, std::string("unexpected error: ") + e.what());
  }
}

}  // namespace faultline::cli

int main(int argc, char** argv) { return faultline::cli::main(argc, argv); }
