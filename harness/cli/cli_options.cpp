#include "cli/cli_options.h"

#include <sstream>

#include "protocol.h"

namespace faultline::cli {

namespace {

template <class T>
std::function<po::value_semantic*()> value(const char* metavar) {
  return [=] { return po::value<T>()->value_name(metavar); };
}
template <class T>
std::function<po::value_semantic*()> value(const char* metavar, T def) {
  return [=] { return po::value<T>()->value_name(metavar)->default_value(def); };
}

// The table itself: data, one row per option, in --help order.
const std::vector<OptionRow> kOptionRows = {
    {"run replay campaign stack gen explore minimize alloc fuzz init", "help,h", {}, "show this manual page and exit"},
    {"run fuzz", "schedule,s", value<std::string>("LINE", ""),
     "fault schedule, e.g. \"stack main=64K\" (`faultline --help` lists the items)"},
    {"run stack explore replay alloc minimize fuzz campaign", "project,p", value<std::string>("FILE"),
     "the project's manifest (default ./faultline.toml): its targets, their commands and fuzzing builds"},
    {"replay alloc minimize", "trust-argv", {},
     "run the command the reproducer's own argv gives when it names no target of the project: without it such a "
     "reproducer is refused, so a repro.json from a pull request cannot run a command (README: Running untrusted programs)"},
    {"run stack explore", "target", value<std::string>("NAME"),
     "run the project's target NAME (its `run` command from the manifest) instead of `-- PROGRAM`"},
    {"run stack explore", "input,i", value<std::string>("FILE"),
     "input for the program: replaces an @@ argument, else becomes its stdin; kept in reproducers"},
    {"run stack", "report,r", value<std::string>("FILE"), "write the JSON report to FILE (atomically)"},
    {"run", "out,o", value<std::string>("DIR"),
     "when the run crashes, store a reproducer in DIR/<class>-<stack hash>/ (an existing one is kept)"},
    {"run replay stack explore alloc", "timeout,t", value<double>("SECONDS"),
     "kill the whole process tree after SECONDS (default 10; replay: the reproducer's own)"},
    {"run replay explore fuzz", "core", {},
     "write an ELF core of the crashed process as faultline held it at the fatal signal (every thread's registers, "
     "the mappings and their memory) into the reproducer directory as `core`, for `gdb PROGRAM core`; run needs --out, "
     "replay replaces the reproducer's core"},
    {"run replay explore fuzz", "core-limit-mb", value<uint64_t>("MB", 256),
     "largest core --core writes: past it the largest mappings are left out first (a stack keeps its innermost frames), as the report's core.left_out says"},
    {"run", "memory-limit-mb", value<uint64_t>("MB", 8192), "address-space limit of the child (RLIMIT_AS), 1 to 16777216"},
    {"run", "file-size-limit-mb", value<uint64_t>("MB", 64), "largest file the child may write (RLIMIT_FSIZE), 0 to 16777216"},
    {"run", "output-limit-kb", value<uint64_t>("KB", 1024),
     "output kept and echoed per stream (stdout, stderr); the rest is drained and dropped"},
    {"run", "no-inject", {}, "do not preload " FL_INJECT_LIBRARY},
    {"run", "quiet,q", {}, "do not echo the program's output; print only the verdict"},
    {"stack gen", "open", value<std::string>("TEXT"),
     "any parser: what opens one nesting level (with --close); the input at depth N is N opens, the leaf, "
     "N closes, e.g. --open '[' --close ']' --leaf 1 gives [[[1]]] at depth 3"},
    {"stack gen", "close", value<std::string>("TEXT"), "what closes one nesting level (with --open)"},
    {"stack gen", "template", value<std::string>("TEXT"),
     "one nesting level as text with a single @ where the next level goes, instead of --open/--close: "
     "'f(@,1)' with --leaf x gives f(f(f(x,1),1),1) at depth 3 (an @ cannot be escaped: use --open/--close)"},
    {"stack gen", "leaf", value<std::string>("TEXT"), "what the innermost level holds (default: nothing)"},
    {"stack gen", "sep", value<std::string>("TEXT"),
     "text between two levels, going in and coming out: --sep ' ' gives '[ [ [1] ] ]' (a newline: $'\\n')"},
    {"stack gen", "shape", value<std::string>("SHAPE", "expr"),
     "nested_parser's generator (no --open/--template): what its source nests: expr, block, generic, array or mixed"},
    {"stack gen", "seed", value<uint64_t>("N", 1), "seed of the generated source's filler (identifiers, operators)"},
    {"gen", "depth,d", value<uint64_t>("N"), "nesting depth of the generated input (exact)"},
    {"gen", "output,o", value<std::string>("FILE"), "write the input to FILE (atomically) instead of stdout"},
    {"stack", "stack-size", value<std::string>("SIZE", "1M"),
     "the stack whose smallest crashing nesting depth is searched (--target or --open/--template, no --depth); "
     "with --open/--template and no --stack-size the program keeps its own stacks"},
    {"stack", "max-depth", value<uint64_t>("N", 100000), "deepest nesting tried when searching the depth"},
    {"stack", "depth,d", value<uint64_t>("N"),
     "search the smallest stack that survives this nesting depth instead (--target or --open/--template)"},
    {"stack", "min-stack", value<std::string>("SIZE", "16K"), "smallest stack tried when searching the size"},
    {"stack", "max-stack", value<std::string>("SIZE", "64M"), "largest stack tried when searching the size"},
    {"stack", "shrink", value<std::string>("WHICH", "both"),
     "which stacks to shrink: main, threads or both (--target: default from its stack table)"},
    {"stack", "out,o", value<std::string>("DIR", "stack-repros"),
     "where the boundary crash is stored as a reproducer"},
    {"explore", "injector", value<std::string>("KIND", "malloc-signal"),
     "what to explore: malloc-signal (a signal inside the allocator) or interleave (thread races: threads held "
     "and ordered at their allocator calls and sync points, the quarantine on)"},
    {"explore minimize", "max-runs,n", value<int>("N", 100), "stop after N runs (explore: the census and traces count)"},
    {"explore", "seed", value<uint64_t>("X"),
     "malloc-signal: sample (call, instruction) points at random from seed X, over the calls the census counted, "
     "instead of enumerating them; interleave: the first PCT schedule's seed (then X+1, ...; default 1)"},
    {"explore", "depth", value<int>("D", 2), "interleave: PCT schedules of depth D (D-1 priority-change points, 1..8)"},
    {"explore", "alloc", value<std::string>("NAME"),
     "interleave: every schedule also runs on this allocator (jemalloc, tcmalloc, mimalloc, glibc): a double free "
     "the quarantine catches then reaches it, and what it does with it is reported after"},
    {"explore", "search", value<std::string>("WHAT", "both"),
     "interleave: delays (every single delay at every point), pct (PCT-style schedules) or both, delays first"},
    {"explore", "signal", value<std::string>("SIG", "SIGPROF"), "the signal to raise inside the allocator"},
    {"explore", "thread", value<int>("T", 0), "the thread whose allocator calls are interrupted (0 = main)"},
    {"explore", "in", value<std::string>("FUNCTION"),
     "interrupt calls of FUNCTION instead of the allocator's: one outside the async-signal-safe list that "
     "the injector interposes (syslog, printf, fputs, gettext, localtime, exit, pthread_mutex_lock, ...)"},
    {"explore", "process", value<std::string>("NAME"),
     "interrupt the process with this program name (its comm), e.g. a program a wrapper script forks; default: "
     "the process faultline starts (and what it execs in place), never the processes it forks"},
    {"explore", "calls", value<std::string>("A-B"),
     "only allocator calls A to B of the thread (A- : from A on); default: every call after the handler is installed"},
    {"explore", "keep-going", {}, "do not stop at the first finding"},
    {"explore", "ptrace", {},
     "inject from the tracer (breakpoints on the executable's own allocator): for static binaries"},
    {"explore", "out,o", value<std::string>("DIR", "explore-out"), "where reproducers of findings are stored"},
    {"replay", "times,n", value<int>("N", 1), "rerun the reproducer N times"},
    {"fuzz", "engine,e", value<std::string>("ENGINE"), "the fuzz engine: libfuzzer or afl (AFL++)"},
    {"fuzz", "target", value<std::string>("NAME"),
     "the project's target whose engine binary (its `libfuzzer` or `afl` key in the manifest) is fuzzed"},
    {"fuzz", "fuzzer", value<std::string>("BINARY"),
     "fuzz this libFuzzer or AFL++ binary one-off, without a manifest (reproducers carry its path)"},
    {"fuzz", "name", value<std::string>("NAME"), "with --fuzzer: the name of its corpora/NAME/ (default: the file name)"},
    {"fuzz", "budget,b", value<double>("SECONDS", 60), "how long the engine fuzzes (triage and minimizing come after)"},
    {"fuzz", "jobs,j", value<int>("N", 1), "parallel workers: libFuzzer -fork=N, or N AFL++ instances (-M/-S)"},
    {"fuzz campaign", "corpora", value<std::string>("DIR", "corpora"),
     "corpora root instead of the manifest's: <target>/seeds/ start the engine, <target>/corpus/ is kept merged, new crashes go to "
     "<target>/regressions/ (campaign: regressions are replayed first)"},
    {"fuzz", "work", value<std::string>("DIR", "fuzz-work"),
     "scratch for the engine: DIR/<target>-<engine>/ (queue, artifacts, engine.log), cleared at start"},
    {"fuzz", "no-minimize", {}, "store crashing inputs (and the schedule) as the engine saved them"},
    {"fuzz", "minimize-time", value<double>("SECONDS", 20),
     "time the engine's minimizer (-minimize_crash, afl-tmin) gets per new bucket"},
    {"campaign", "budget,b", value<double>("SECONDS", 120), "stop starting new runs after SECONDS"},
    {"campaign", "no-fuzz", {},
     "only replay regressions and run seeds: no explore or stack tables, no fuzzing"},
    {"campaign", "oss-fuzz-out", value<std::string>("DIR"),
     "an OSS-Fuzz / ClusterFuzzLite $OUT directory as the project: each fuzzer with its .dict, .options and "
     "_seed_corpus.zip (corpora default to OUT/corpora of --out)"},
    {"campaign", "target", value<std::vector<std::string>>("NAME"),
     "only this target of the manifest (repeatable); other corpora directories must still be declared"},
    {"campaign explore", "shard", value<std::string>("K/N"),
     "run only the K-th of N deterministic shares of the work (a CI matrix); reproducers merge by name"},
    {"campaign", "out,o", value<std::string>("DIR", "campaign-out"),
     "where the campaign writes its reports (new reproducers go to <corpora>/<target>/regressions/)"},
    {"init", "output,o", value<std::string>("FILE", "faultline.toml"),
     "where the starter manifest is written (atomically); its paths are relative to FILE's directory"},
    {"init", "force,f", {}, "replace FILE if it exists"},
};

bool belongs_to(const std::string& commands, const std::string& command) {
  std::istringstream in(commands);
  for (std::string c; in >> c;)
    if (c == command) return true;
  return false;
}

}  // namespace

const std::vector<OptionRow>& option_table() { return kOptionRows; }

po::options_description options_for(const std::string& command) {
  po::options_description desc("OPTIONS", 100, 50);
  for (const auto& row : option_table()) {
    if (!belongs_to(row.commands, command)) continue;
    if (row.value) desc.add_options()(row.name.c_str(), row.value(), row.help.c_str());
    else desc.add_options()(row.name.c_str(), row.help.c_str());
  }
  return desc;
}

}  // namespace faultline::cli
