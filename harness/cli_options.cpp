#include "cli_options.h"

#include <sstream>

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

bool belongs_to(const std::string& commands, const std::string& command) {
  std::istringstream in(commands);
  for (std::string c; in >> c;)
    if (c == command) return true;
  return false;
}

}  // namespace

const std::vector<OptionRow>& option_table() {
  static const std::vector<OptionRow> rows = {
      {"run replay campaign", "help,h", {}, "show this manual page and exit"},
      {"run", "schedule,s", value<std::string>("LINE", ""),
       "fault schedule, e.g. \"stack main=64K\" (`faultline --help` lists the items)"},
      {"run", "target", value<std::string>("NAME"),
       "run built-in target NAME (its driver target-NAME, input passed as @@) instead of `-- PROGRAM`"},
      {"run", "input,i", value<std::string>("FILE"),
       "input for the program: replaces an @@ argument, else becomes its stdin; kept in reproducers"},
      {"run", "report,r", value<std::string>("FILE"), "write the JSON crash report to FILE (atomically)"},
      {"run", "out,o", value<std::string>("DIR"),
       "when the run crashes, store a reproducer in DIR/<class>-<stack hash>/ (an existing one is kept)"},
      {"run replay", "timeout,t", value<double>("SECONDS"),
       "kill the whole process tree after SECONDS (run: default 10; replay: the reproducer's own)"},
      {"run", "memory-limit-mb", value<uint64_t>("MB", 8192), "address-space limit of the child (RLIMIT_AS)"},
      {"run", "file-size-limit-mb", value<uint64_t>("MB", 64), "largest file the child may write (RLIMIT_FSIZE)"},
      {"run", "output-limit-kb", value<uint64_t>("KB", 1024),
       "output kept and echoed per stream (stdout, stderr); the rest is drained and dropped"},
      {"run", "no-inject", {}, "do not preload libfaultline-inject.so"},
      {"run", "quiet,q", {}, "do not echo the program's output; print only the verdict"},
      {"replay", "times,n", value<int>("N", 1), "rerun the reproducer N times"},
      {"campaign", "budget,b", value<double>("SECONDS", 120), "stop starting new runs after SECONDS"},
      {"campaign", "out,o", value<std::string>("DIR", "campaign-out"),
       "where the campaign writes report.json and new reproducers"},
      {"campaign", "corpora", value<std::string>("DIR", "corpora"),
       "corpora root: <target>/regressions/ are replayed first, then <target>/seeds/ are run"},
  };
  return rows;
}

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
