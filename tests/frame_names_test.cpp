// A name on every frame (issue 14): inline frames as addr2line -i shows them,
// the nearest exported symbol in a stripped Debian library, and debug
// information fetched by libdw's debuginfod client when DEBUGINFOD_URLS is
// set (served here by a local HTTP server, as a debuginfod server would).
#include <regex>

#include "test_support.h"

namespace faultline::test {
namespace {

nlohmann::json crash_report(const ScratchDir& d, const std::vector<std::string>& argv, const std::string& env = "") {
  std::vector<std::string> args = {"run", "--report", (d / "r.json").string(), "--"};
  args.insert(args.end(), argv.begin(), argv.end());
  CliResult cli;
  if (env.empty()) {
    cli = run_faultline_as_given(args, d);
  } else {
    std::string cmd = env + " " + shell_quote(std::string(FAULTLINE_BIN_DIR) + "/faultline");
    for (const auto& a : args) cmd += " " + shell_quote(a);
    cmd += " >/dev/null 2>" + shell_quote((d / ".err").string());
    const int status = std::system(cmd.c_str());
    cli.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    cli.err = read_file(d / ".err");
  }
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  return read_report(d / "r.json");
}

std::string program(const std::string& name) { return std::string(FAULTLINE_BIN_DIR) + "/" + name; }

TEST(FrameNames, InlinedFunctionsAreFramesOfTheirOwn) {
  ScratchDir d;
  auto cli = run_faultline_as_given({"run", "--report", (d / "r.json").string(), "--", program("test-inlined")}, d);
  EXPECT_NE(cli.err.find("in store_byte (inlined.c:7)"), std::string::npos) << cli.err;
  auto r = read_report(d / "r.json");
  const auto& f = r["frames"];
  ASSERT_GE(f.size(), 2u);
  EXPECT_EQ(f[0]["function"], "store_byte");
  EXPECT_EQ(f[0]["inlined"], true);
  EXPECT_EQ(f[0]["line"], 7);  // the write itself
  EXPECT_EQ(f[1]["function"], "parse_field");
  EXPECT_FALSE(f[1].contains("inlined"));
  EXPECT_EQ(f[1]["line"], 13);  // where store_byte was inlined
  EXPECT_EQ(f[0]["pc"], f[1]["pc"]);
}

TEST(FrameNames, StrippedDebianLibraryFramesGetTheNearestExportedSymbol) {
  ScratchDir d;
  auto r = crash_report(d, {program("test-bz2_bad_output")});
  const auto& top = r["frames"][0];
  EXPECT_EQ(top["module"].get<std::string>().rfind("libbz2.so", 0), 0u) << top;
  EXPECT_EQ(top["function"], "");  // a static function: no symbol of its own
  EXPECT_TRUE(std::regex_match(top.value("nearest_symbol", ""), std::regex("BZ2_[A-Za-z]+\\+0x[0-9a-f]+"))) << top;
  EXPECT_EQ(r["frames"][1]["function"], "BZ2_bzCompress");  // exported: its own name, from .dynsym
}

TEST(FrameNames, DebugInformationFromDebuginfod) {
  ScratchDir d;
  // A stripped copy of test-inlined; the full file is served as its debuginfo.
  const std::string full = program("test-inlined"), stripped = (d / "inlined-stripped").string();
  ASSERT_EQ(std::system(("strip --strip-all -o " + shell_quote(stripped) + " " + shell_quote(full)).c_str()), 0);
  const std::string id_cmd = "readelf -n " + shell_quote(full) + " | sed -n 's/.*Build ID: //p' > " + shell_quote((d / "id").string());
  ASSERT_EQ(std::system(id_cmd.c_str()), 0);
  std::string id = read_file(d / "id");
  id.erase(id.find_last_not_of(" \n") + 1);
  ASSERT_EQ(id.size(), 40u);
  fs::create_directories(d / "srv" / "buildid" / id);
  fs::copy_file(full, d / "srv" / "buildid" / id / "debuginfo");
  // Port 0: the kernel picks a free one; the server writes it down.
  write_file(d / "serve.py",
             "import http.server, functools, sys\n"
             "h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
             "s = http.server.HTTPServer(('127.0.0.1', 0), h)\n"
             "open(sys.argv[2] + '.tmp', 'w').write(str(s.server_address[1]))\n"
             "import os; os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n"
             "s.serve_forever()\n");
  const std::string pidfile = (d / "pid").string(), portfile = (d / "port").string();
  ASSERT_EQ(std::system(("python3 " + shell_quote((d / "serve.py").string()) + " " + shell_quote((d / "srv").string()) +
                         " " + shell_quote(portfile) + " >/dev/null 2>&1 & echo $! > " + shell_quote(pidfile))
                            .c_str()),
            0);
  for (int i = 0; i < 100 && !fs::exists(portfile); i++) usleep(50 * 1000);
  ASSERT_TRUE(fs::exists(portfile));
  const std::string url = "http://127.0.0.1:" + read_file(portfile);

  auto without = crash_report(d, {stripped}, "env -u DEBUGINFOD_URLS");
  EXPECT_EQ(without["frames"][0]["function"], "");  // no symbols at all
  auto with = crash_report(d, {stripped}, "env DEBUGINFOD_URLS=" + url + " DEBUGINFOD_CACHE_PATH=" + shell_quote((d / "cache").string()));
  std::system(("kill $(cat " + shell_quote(pidfile) + ")").c_str());
  EXPECT_EQ(with["frames"][0]["function"], "store_byte");
  EXPECT_EQ(with["frames"][1]["function"], "parse_field");
  EXPECT_EQ(with["frames"][1]["line"], 13);
}

}  // namespace
}  // namespace faultline::test
