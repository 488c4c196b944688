// The one table of CLI options (cf. libFuzzer's FuzzerFlags.def): every
// option is declared once, with the commands it belongs to, its value type,
// its default and its help; parsing, defaults and --help all come from it.
#pragma once
#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

namespace faultline::cli {

namespace po = boost::program_options;

struct OptionRow {
  std::string commands;  // space-separated commands the option belongs to
  std::string name;      // "long" or "long,s"
  std::function<po::value_semantic*()> value;  // empty for a switch
  std::string help;
};

const std::vector<OptionRow>& option_table();

// The options of one command, in table order.
po::options_description options_for(const std::string& command);

}  // namespace faultline::cli
