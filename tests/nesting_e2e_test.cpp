// `faultline gen nested --open/--template` and `faultline stack --open/--template
// -- PROGRAM` end to end, on programs nobody here wrote (jq, xmllint, python3)
// and on a recursive-descent parser with no depth limit (examples/listparse
// built as test-listparse). A parser with a depth limit gets no depth: it
// gets where it says no, with its exit status and its message, each checked
// here against the program run directly.
#include "test_support.h"

namespace faultline::test {
namespace {

std::string listparse(bool fixed = false) {
  return std::string(FAULTLINE_BIN_DIR) + (fixed ? "/test-listparse-fixed" : "/test-listparse");
}

// Runs a shell command; its exit status, and its stderr in `err`.
int sh(const ScratchDir& d, const std::string& cmd, std::string* err = nullptr) {
  const int status = std::system((cmd + " >/dev/null 2>" + shell_quote((d / ".sh-err").string())).c_str());
  if (err) *err = read_file(d / ".sh-err");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// gen nested's output at `depth`, as a file.
std::string nested_file(const ScratchDir& d, std::vector<std::string> nesting, uint64_t depth) {
  const auto path = d / ("nested-" + std::to_string(depth));
  nesting.insert(nesting.begin(), {"gen", "nested", "--depth", std::to_string(depth), "--output", path.string()});
  auto r = run_faultline(nesting, d);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return path.string();
}

TEST(GenNested, AnyParsersNestingToStdout) {
  ScratchDir d;
  auto json = run_faultline({"gen", "nested", "--open", "[", "--close", "]", "--leaf", "1", "--depth", "3"}, d);
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "[[[1]]]");
  auto sep = run_faultline({"gen", "nested", "--open", "{\"a\":", "--close", "}", "--leaf", "1", "--sep", " ", "--depth", "2"}, d);
  EXPECT_EQ(sep.out, "{\"a\": {\"a\":1} }");
  auto tmpl = run_faultline({"gen", "nested", "--template", "f(@,1)", "--leaf", "x", "--depth", "3"}, d);
  EXPECT_EQ(tmpl.exit_code, 0) << tmpl.err;
  EXPECT_EQ(tmpl.out, "f(f(f(x,1),1),1)");
  // What it makes is what jq reads: depth 3 of [ ] is three arrays deep.
  const std::string file = nested_file(d, {"--open", "[", "--close", "]", "--leaf", "1"}, 3);
  EXPECT_EQ(sh(d, "jq -e '.[0][0][0] == 1' " + shell_quote(file)), 0);
}

TEST(GenNested, RefusesWhatItCannotMakeInOneLine) {
  ScratchDir d;
  auto big = run_faultline({"gen", "nested", "--open", "[[", "--close", "]", "--depth", "100000000"}, d);
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_EQ(big.out, "");
  EXPECT_EQ(big.err, "faultline gen: --depth: depth 100000000 would make an input of 300000000 bytes, over the 256 MiB limit\n");
  auto two = run_faultline({"gen", "nested", "--template", "f(@,@)", "--depth", "3"}, d);
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("exactly one @"), std::string::npos) << two.err;
  EXPECT_EQ(run_faultline({"gen", "nested", "--open", "[", "--depth", "3"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"gen", "nested", "--open", "[", "--close", "]", "--template", "[@]", "--depth", "3"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"gen", "nested", "--open", "[", "--close", "]", "--shape", "block", "--depth", "3"}, d).exit_code, 2);
  EXPECT_EQ(run_faultline({"gen", "nested", "--leaf", "1", "--depth", "3"}, d).exit_code, 2);
}

// The one real exhaustion: listparse recurses once per level with no limit.
TEST(StackAnyParser, ARecursiveDescentParserRunsOutAtARealDepth) {
  ScratchDir d;
  const std::vector<std::string> nesting = {"--open", "[", "--close", "]", "--leaf", "1"};
  std::vector<std::string> args = nesting;
  for (const std::string& a : {std::string("--stack-size"), std::string("256K"), std::string("--"), listparse(),
                               std::string("@@")})
    args.push_back(a);
  auto s = stack_search(d, args);
  ASSERT_EQ(s.cli.exit_code, 0) << s.cli.err;
  const uint64_t depth = s.result["min_crashing_depth"];
  EXPECT_GT(depth, 300u);
  EXPECT_LT(depth, 5000u);
  EXPECT_TRUE(s.result["disagreements"].empty()) << s.result;
  EXPECT_NE(s.cli.out.find("smallest nesting depth that exhausts it: " + std::to_string(depth)), std::string::npos)
      << s.cli.out;
  EXPECT_NE(s.cli.out.find("the stack that ran out: guard gap below the main stack, 256K"), std::string::npos)
      << s.cli.out;
  const auto& cycle = s.result["recursion_cycle"]["functions"];
  EXPECT_NE(std::find(cycle.begin(), cycle.end(), "parse_list"), cycle.end()) << s.result;
  // The boundary, checked by running the parser on gen's output directly.
  auto run_at = [&](uint64_t n) {
    run_faultline({"run", "-q", "--report", (d / "r.json").string(), "--schedule", "stack main=256K threads=256K", "--",
                   listparse(), nested_file(d, nesting, n)},
                  d);
    return read_report(d / "r.json")["class"].get<std::string>();
  };
  EXPECT_EQ(run_at(depth - 1), "none");
  EXPECT_EQ(run_at(depth), "stack-exhaustion");
  auto replay = run_faultline({"replay", "--trust-argv", s.result["reproducer"], "--times", "3"}, d);
  EXPECT_NE(replay.out.find("3/3 reproduced"), std::string::npos) << replay.out << replay.err;

  // The template form: a list in a pair's value costs more stack per level.
  auto pairs = stack_search(d, {"--template", "[k=@]", "--leaf", "1", "--sep", " ", "--stack-size", "256K", "--",
                                listparse(), "@@"});
  ASSERT_EQ(pairs.cli.exit_code, 0) << pairs.cli.err;
  EXPECT_LT(pairs.result["min_crashing_depth"].get<uint64_t>(), depth) << pairs.result;
  EXPECT_GT(pairs.result["min_crashing_depth"].get<uint64_t>(), depth / 3) << pairs.result;
}

// The same parser with its limit of 100 levels: no depth, where it says no.
TEST(StackAnyParser, AParserWithADepthLimitGetsItsLimitNotADepth) {
  ScratchDir d;
  auto s = stack_search(d, {"--open", "[", "--close", "]", "--leaf", "1", "--stack-size", "256K", "--", listparse(true), "@@"});
  ASSERT_EQ(s.cli.exit_code, 0) << s.cli.err;
  EXPECT_FALSE(s.result.contains("min_crashing_depth")) << s.result;
  EXPECT_EQ(s.result["rejected_from_depth"], 101u) << s.result;
  EXPECT_EQ(s.result["rejection"]["exit_code"], 1);
  EXPECT_NE(s.result["rejection"]["stderr"].get<std::string>().find("nesting too deep"), std::string::npos) << s.result;
  EXPECT_TRUE(s.result["disagreements"].empty()) << s.result;
  EXPECT_NE(s.cli.out.find("no nesting depth up to 100000 exhausts it; from depth 101 (100 ends clean) the program "
                           "rejects its input, exit 1, no crash"),
            std::string::npos)
      << s.cli.out;
  EXPECT_FALSE(fs::exists(d / "repros"));
}

// A real program's limit, measured by the search and checked by running the
// program itself at the depth below and at the depth found.
void expect_limit_of(const ScratchDir& d, const StackSearch& s, const std::vector<std::string>& nesting,
                     const std::string& command, const std::string& message) {
  ASSERT_EQ(s.cli.exit_code, 0) << s.cli.out << s.cli.err;
  EXPECT_FALSE(s.result.contains("min_crashing_depth")) << s.result;
  ASSERT_TRUE(s.result.contains("rejected_from_depth")) << s.result;
  const uint64_t limit = s.result["rejected_from_depth"];
  const int exit_code = s.result["rejection"]["exit_code"];
  EXPECT_NE(exit_code, 0);
  EXPECT_NE(s.result["rejection"]["stderr"].get<std::string>().find(message), std::string::npos) << s.result;
  EXPECT_NE(s.cli.out.find("no nesting depth up to 100000 exhausts it; from depth " + std::to_string(limit)),
            std::string::npos)
      << s.cli.out;
  EXPECT_TRUE(s.result["disagreements"].empty()) << s.result;
  std::string err;
  EXPECT_EQ(sh(d, command + " " + shell_quote(nested_file(d, nesting, limit - 1))), 0);
  EXPECT_EQ(sh(d, command + " " + shell_quote(nested_file(d, nesting, limit)), &err), exit_code);
  EXPECT_NE(err.find(message), std::string::npos) << err;
}

// jq stops at its parser's depth limit (256 levels in jq 1.6, Debian 12's;
// 10000 in 1.7) with an error exit: no depth exhausts its stack.
TEST(StackAnyParser, JqRejectsAtItsDepthLimit) {
  ScratchDir d;
  const std::vector<std::string> nesting = {"--open", "[", "--close", "]"};
  std::vector<std::string> args = nesting;
  for (const char* a : {"--", "jq", ".", "@@"}) args.push_back(a);
  auto file = stack_search(d, args);
  expect_limit_of(d, file, nesting, "jq .", "Exceeds depth limit for parsing");
  // No @@: the input goes to its stdin, with the same answer.
  auto piped = stack_search(d, {"--open", "[", "--close", "]", "--", "jq", "."});
  ASSERT_EQ(piped.cli.exit_code, 0) << piped.cli.err;
  EXPECT_EQ(piped.result["rejected_from_depth"], file.result["rejected_from_depth"]) << piped.result;
}

// libxml2 refuses documents deeper than 256 elements (without --huge).
TEST(StackAnyParser, XmllintRejectsAtLibxml2sDepthLimit) {
  ScratchDir d;
  const std::vector<std::string> nesting = {"--open", "<a>", "--close", "</a>"};
  std::vector<std::string> args = nesting;
  for (const char* a : {"--", "xmllint", "--noout", "@@"}) args.push_back(a);
  expect_limit_of(d, stack_search(d, args), nesting, "xmllint --noout", "Excessive depth in document");
  // With --huge, libxml2 2.9's element loop does not recurse: a 256K stack
  // holds 20000 levels, and the search says no depth exhausts it.
  auto huge = stack_search(d, {"--open", "<a>", "--close", "</a>", "--stack-size", "256K", "--max-depth", "20000", "--",
                               "xmllint", "--noout", "--huge", "@@"});
  ASSERT_EQ(huge.cli.exit_code, 0) << huge.cli.err;
  EXPECT_FALSE(huge.result.contains("min_crashing_depth")) << huge.result;
  EXPECT_FALSE(huge.result.contains("rejected_from_depth")) << huge.result;
  EXPECT_NE(huge.cli.out.find("no stack exhaustion up to depth 20000"), std::string::npos) << huge.cli.out;
}

// Python's json raises RecursionError: an exception and exit 1, not a crash.
TEST(StackAnyParser, PythonsRecursionErrorIsARejectionNotACrash) {
  ScratchDir d;
  const std::string program = "import json,sys; json.load(open(sys.argv[1]))";
  const std::vector<std::string> nesting = {"--open", "[", "--close", "]", "--leaf", "1"};
  std::vector<std::string> args = nesting;
  for (const std::string& a : {std::string("--"), std::string("python3"), std::string("-c"), program, std::string("@@")})
    args.push_back(a);
  expect_limit_of(d, stack_search(d, args), nesting, "python3 -c " + shell_quote(program), "RecursionError");
}

// Point 2 holds for any parser too: a baseline (depth 1) that does not end
// clean gets its verdict and exit 2, never a depth.
TEST(StackAnyParser, ABaselineThatDoesNotEndCleanIsNoDepth) {
  ScratchDir d;
  auto missing = stack_search(d, {"--open", "[", "--close", "]", "--", "python3", (d / "no-such.py").string(), "@@"});
  EXPECT_EQ(missing.cli.exit_code, 2) << missing.cli.out;
  EXPECT_NE(missing.cli.err.find("the baseline run (depth 1, its own stacks) must end clean: with its own stacks at "
                                 "depth 1 the run ended none (exit 2)"),
            std::string::npos)
      << missing.cli.err;
  EXPECT_NE(missing.cli.err.find("its stderr: "), std::string::npos) << missing.cli.err;
  EXPECT_NE(missing.cli.err.find("No such file or directory"), std::string::npos) << missing.cli.err;
  EXPECT_EQ(missing.cli.out.find("depth that exhausts"), std::string::npos) << missing.cli.out;
  auto absent = stack_search(d, {"--open", "[", "--close", "]", "--stack-size", "256K", "--", (d / "no-such-program").string(), "@@"});
  EXPECT_EQ(absent.cli.exit_code, 2);
  EXPECT_NE(absent.cli.err.find("the baseline run (depth 1, 256K stack) must end clean: cannot execute"), std::string::npos)
      << absent.cli.err;
}

// Where the first run that does not end clean is neither exhaustion nor the
// program's own exit (here an abort past 50 levels), there is no answer: exit 2
// naming the depth and the verdict.
TEST(StackAnyParser, AnotherEndingAtTheBoundaryIsNoAnswer) {
  ScratchDir d;
  auto s = stack_search(d, {"--open", "[", "--close", "]", "--max-depth", "1000", "--", "python3", "-c",
                            "import os,sys; os.abort() if open(sys.argv[1]).read().count('[') > 50 else None", "@@"});
  EXPECT_EQ(s.cli.exit_code, 2) << s.cli.out;
  EXPECT_NE(s.cli.err.find("at depth 51, the shallowest that does not end clean (50 does), with its own stacks the run "
                           "ended abort"),
            std::string::npos)
      << s.cli.err;
  EXPECT_EQ(s.cli.out.find("exhausts it"), std::string::npos) << s.cli.out;
}

TEST(StackAnyParser, UsageErrors) {
  ScratchDir d;
  auto code = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "stack");
    return run_faultline(args, d);
  };
  EXPECT_EQ(code({"--open", "[", "--", "jq", ".", "@@"}).exit_code, 2);  // no --close
  EXPECT_EQ(code({"--template", "[]", "--", "jq", ".", "@@"}).exit_code, 2);  // no @
  EXPECT_EQ(code({"--open", "[", "--close", "]", "--input", "x", "--", "jq", ".", "@@"}).exit_code, 2);
  EXPECT_EQ(code({"--open", "[", "--close", "]", "--target", "nested_parser"}).exit_code, 2);
  EXPECT_EQ(code({"--open", "[", "--close", "]", "--shape", "block", "--", "jq", ".", "@@"}).exit_code, 2);
  auto big = code({"--open", "[", "--close", "]", "--max-depth", "300000000", "--", "jq", ".", "@@"});
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_EQ(big.err, "faultline stack: --max-depth: depth 300000000 would make an input of 600000000 bytes, over the 256 MiB limit\n");
}

// A manifest's `stack` table with a template: `faultline stack --target`, the
// campaign's curve and `stack --template -- PROGRAM` make the same input and
// find the same depth.
TEST(StackAnyParser, TheManifestsStackTableIsTheSameGenerator) {
  ScratchDir d;
  write_file(d / "faultline.toml", "[[target]]\nname = \"lp\"\nrun = [\"" + listparse() +
                                       "\", \"@@\"]\nstack = { template = \"[k=@]\", leaf = \"1\", sep = \" \", "
                                       "sizes = [\"256K\"] }\n");
  const std::string project = (d / "faultline.toml").string();
  auto target = stack_search(d, {"--project", project, "--target", "lp", "--stack-size", "256K"});
  ASSERT_EQ(target.cli.exit_code, 0) << target.cli.err;
  const uint64_t depth = target.result["min_crashing_depth"];
  auto any = stack_search(d, {"--template", "[k=@]", "--leaf", "1", "--sep", " ", "--stack-size", "256K", "--",
                              listparse(), "@@"});
  EXPECT_EQ(any.result["min_crashing_depth"], depth) << any.result;
  auto campaign = run_faultline({"campaign", "--project", project, "--budget", "60", "--out", (d / "out").string(),
                                 "--corpora", (d / "corpora").string()},
                                d);
  EXPECT_NE(campaign.exit_code, 2) << campaign.out << campaign.err;
  auto report = read_report(d / "out" / "report.json");
  ASSERT_TRUE(report.contains("stack_curves")) << campaign.out;
  ASSERT_EQ(report["stack_curves"]["lp"].size(), 1u) << report["stack_curves"];
  EXPECT_EQ(report["stack_curves"]["lp"][0]["min_crashing_depth"], depth) << report["stack_curves"];
  // A template the manifest cannot split is its error, naming the key.
  write_file(d / "bad.toml", "[[target]]\nname = \"lp\"\nrun = [\"" + listparse() +
                                 "\", \"@@\"]\nstack = { template = \"[k=]\", sizes = [\"256K\"] }\n");
  auto bad = run_faultline({"stack", "--project", (d / "bad.toml").string(), "--target", "lp"}, d);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("key 'target.lp.stack.template': template '[k=]' must have exactly one @"), std::string::npos)
      << bad.err;
}

// The campaign's curve follows the same rule as `faultline stack`: a probe
// that neither exhausts the stack nor exits clean (listparse-fixed refuses
// past 100 levels, exit 1) stops the bisection as the row's error; it is not
// counted as survival, which would report a depth that means nothing.
TEST(StackAnyParser, TheCampaignsCurveDoesNotCountARefusalAsSurvival) {
  ScratchDir d;
  write_file(d / "faultline.toml", "[[target]]\nname = \"lpf\"\nrun = [\"" + listparse(true) + "\", \"@@\"]\nstack = { open = \"[\", close = \"]\", "
                                       "leaf = \"1\", sizes = [\"256K\"] }\n");
  auto campaign = run_faultline({"campaign", "--project", (d / "faultline.toml").string(), "--budget", "60", "--out",
                                 (d / "out").string(), "--corpora", (d / "corpora").string()},
                                d);
  EXPECT_EQ(campaign.exit_code, 2) << campaign.out << campaign.err;
  auto report = read_report(d / "out" / "report.json");
  bool seen = false;
  for (const auto& row : report["rows"])
    if (row["kind"] == "stack-curve") {
      seen = true;
      EXPECT_EQ(row["status"], "error");
      EXPECT_NE(row["error"].get<std::string>().find("neither stack exhaustion nor a clean exit"), std::string::npos) << row;
    }
  EXPECT_TRUE(seen) << report["rows"];
  EXPECT_FALSE(report.contains("stack_curves") && report["stack_curves"].contains("lpf") &&
               !report["stack_curves"]["lpf"].empty())
      << report["stack_curves"];
}

}  // namespace
}  // namespace faultline::test
