// Programs that bring their own allocator (issue 16): which allocator really
// served each process is what the report, the reproducer and `alloc` say;
// `alloc glibc` runs glibc's malloc even for a program linked with jemalloc;
// every `alloc` row has the quarantine; and a real varnishd (jemalloc, its
// launcher closing descriptors, a forked cache process) has its double free
// reported in cache-main, on jemalloc, with the VCL's frames.
#include "test_support.h"

namespace faultline::test {
namespace {

std::string linked_jemalloc() { return std::string(FAULTLINE_BIN_DIR) + "/test-linked_jemalloc"; }

nlohmann::json run_report(const ScratchDir& d, std::vector<std::string> args) {
  args.insert(args.begin(), {"run", "-q", "--timeout", "20", "--report", (d / "r.json").string()});
  auto r = run_faultline_as_given(args, d);
  EXPECT_TRUE(fs::exists(d / "r.json")) << r.out << r.err;
  return fs::exists(d / "r.json") ? read_report(d / "r.json") : nlohmann::json();
}

// Rows of `faultline alloc`'s table: name -> its columns.
std::map<std::string, std::vector<std::string>> table_rows(const std::string& out) {
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream lines(out.substr(out.find("ALLOCATOR ")));
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream cols(line);
    std::vector<std::string> c;
    for (std::string w; cols >> w;) c.push_back(w);
    if (c.size() >= 4 && (c[0] == "glibc" || c[0] == "jemalloc" || c[0] == "tcmalloc" || c[0] == "mimalloc")) rows[c[0]] = c;
  }
  return rows;
}

fs::path only_reproducer(const fs::path& dir) {
  const auto found = entries(dir);
  EXPECT_EQ(found.size(), 1u);
  return found.empty() ? fs::path() : found[0];
}

// Its reproducer said "glibc" and alloc's first row was labelled glibc while
// the program ran on its own jemalloc under every row.
TEST(OwnAllocator, TheReportNamesTheAllocatorTheProgramLinks) {
  ScratchDir d;
  auto plain = run_report(d, {"--", linked_jemalloc()});
  EXPECT_EQ(plain["class"], "none") << "jemalloc takes the double free silently";
  ASSERT_TRUE(plain.contains("allocators")) << plain.dump(1);
  EXPECT_EQ(plain["allocators"][0]["allocator"], "jemalloc") << plain["allocators"];
  EXPECT_EQ(plain["allocators"][0]["library"], "libjemalloc.so.2");
  EXPECT_EQ(plain["allocators"][0]["how"], "the program's own: it links libjemalloc.so.2");
  EXPECT_EQ(plain["stderr_tail"], "") << "it loaded: the loader's static TLS surplus was raised for it";
  EXPECT_EQ(plain["injector"]["glibc_tunables_added"], "glibc.rtld.optional_static_tls=4096");

  auto caught = run_faultline_as_given({"run", "-q", "--schedule", "quarantine=64", "--out", (d / "out").string(), "--",
                                        linked_jemalloc()},
                                       d);
  EXPECT_EQ(caught.exit_code, 1) << caught.err;
  EXPECT_NE(caught.err.find("double-free"), std::string::npos) << caught.err;
  EXPECT_NE(caught.err.find(", on jemalloc"), std::string::npos) << caught.err;
  const auto repro = read_report(only_reproducer(d / "out") / "repro.json");
  EXPECT_EQ(repro["environment"]["allocator"], "jemalloc") << repro;
  EXPECT_EQ(repro["environment"]["allocator_library"], "libjemalloc.so.2") << repro;
}

// jemalloc hands the twice-freed block to the next two mallocs and the
// program exits 0: the default run says none, and how to look; the live
// pointer check, asked for, names the second handout.
TEST(OwnAllocator, ASilentDoubleFreeIsNoneByDefaultAndTheReportSaysHowToWatch) {
  ScratchDir d;
  auto plain = run_report(d, {"--", linked_jemalloc()});
  EXPECT_EQ(plain["class"], "none");
  EXPECT_EQ(plain["quarantine"]["blocks"], 0);
  EXPECT_NE(plain["quarantine"]["off"].get<std::string>().find("--schedule quarantine=64"), std::string::npos) << plain["quarantine"];
  auto live = run_report(d, {"--schedule", "live-pointers on", "--", linked_jemalloc()});
  EXPECT_EQ(live["class"], "duplicate-allocation") << live["findings"];
  EXPECT_NE(live["findings"][0]["detail"].get<std::string>().find("which is still live"), std::string::npos) << live["findings"];
  EXPECT_EQ(live["findings"][0]["allocator"], "jemalloc");
}

// The live-pointer check on from the start reports nothing on programs
// without the bug: every way a block is freed must reach it (sized deletes
// and jemalloc's own C++ operators included), or a reused block is a false
// duplicate-allocation.
TEST(OwnAllocator, LivePointersOnFindsNothingInCleanPrograms) {
  ScratchDir d;
  write_file(d / "text", std::string(200000, 'x'));
  const std::vector<std::vector<std::string>> clean = {
      {"--schedule", "live-pointers on", "--", "gzip", "-c", (d / "text").string()},
      {"--schedule", "live-pointers on", "--", "/usr/bin/python3", "-c",
       "import json, re; print(len(json.dumps([str(i) * 3 for i in range(100000)])))"},
      {"--schedule", "live-pointers on ; alloc jemalloc", "--", std::string(FAULTLINE_BIN_DIR) + "/target-raw_parts",
       "--fixed", (fs::path(FAULTLINE_SOURCE_DIR) / "corpora/raw_parts/seeds/eighty-records").string()},
      {"--schedule", "live-pointers on ; alloc jemalloc", "--", "/usr/bin/python3", "-c", "print(sum(range(10**5)))"},
  };
  for (const auto& args : clean) {
    auto rep = run_report(d, args);
    EXPECT_EQ(rep["class"], "none") << args.back() << ": " << rep["findings"];
    EXPECT_EQ(rep["exit"]["code"], 0) << args.back() << ": " << rep["stderr_tail"];
    // The hint names what is still off, not what the run already had.
    EXPECT_EQ(rep["quarantine"]["off"].get<std::string>().find("live-pointers"), std::string::npos) << rep["quarantine"];
  }
}

// `alloc glibc` preloads libc.so.6 in front of the program's jemalloc: glibc's
// own malloc serves it, and glibc's own double-free check then fires.
TEST(OwnAllocator, AllocGlibcReallyRunsGlibcForAProgramLinkedWithJemalloc) {
  ScratchDir d;
  auto on_glibc = run_report(d, {"--schedule", "alloc glibc", "--", linked_jemalloc()});
  EXPECT_EQ(on_glibc["allocators"][0]["allocator"], "glibc") << on_glibc["allocators"];
  EXPECT_EQ(on_glibc["allocators"][0]["how"], "preloaded by `alloc glibc`");
  EXPECT_EQ(on_glibc["class"], "heap-corruption") << on_glibc["stderr_tail"];
  EXPECT_NE(on_glibc["stderr_tail"].get<std::string>().find("double free"), std::string::npos) << on_glibc["stderr_tail"];
  auto on_mimalloc = run_report(d, {"--schedule", "alloc mimalloc", "--", linked_jemalloc()});
  EXPECT_EQ(on_mimalloc["allocators"][0]["allocator"], "mimalloc") << on_mimalloc["allocators"];
}

// Every row holds freed blocks back, so the double free shows on each, and
// SERVED BY is the allocator each row really ran on.
TEST(OwnAllocator, TheAllocTableSaysWhatTheProgramBringsAndEveryRowSeesTheDoubleFree) {
  ScratchDir d;
  auto run = run_faultline_as_given({"run", "-q", "--schedule", "quarantine=64", "--out", (d / "out").string(), "--",
                                     linked_jemalloc()},
                                    d);
  ASSERT_EQ(run.exit_code, 1) << run.err;
  // Stored without the quarantine: each row must add it.
  const fs::path dir = only_reproducer(d / "out");
  auto repro = read_report(dir / "repro.json");
  repro["schedule"] = "";
  write_file(dir / "repro.json", repro.dump(2));
  auto table = run_faultline_as_given({"alloc", "--trust-argv", dir.string()}, d);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("links libjemalloc.so.2 (DT_NEEDED)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("It also calls jemalloc's own API (mallctl)"), std::string::npos) << table.out;
  const auto rows = table_rows(table.out);
  for (const std::string a : {"glibc", "jemalloc", "tcmalloc", "mimalloc"}) {
    ASSERT_TRUE(rows.count(a)) << a << "\n" << table.out;
    EXPECT_EQ(rows.at(a)[2], "double-free") << a << "\n" << table.out;
    EXPECT_EQ(rows.at(a)[3], a) << "SERVED BY\n" << table.out;
  }
  EXPECT_EQ(rows.at("glibc")[1], "heap-corruption") << table.out;
  EXPECT_EQ(rows.at("jemalloc")[1], "none") << table.out;
}

// An allocator linked in under a prefix (_rjem_, as tikv-jemallocator builds
// it) is named, and the rows still run: they swap what reaches malloc.
TEST(OwnAllocator, APrefixedStaticAllocatorIsNamedAndTheRowsStillRun) {
  ScratchDir d;
  auto run = run_faultline_as_given({"run", "-q", "--schedule", "quarantine=64", "--out", (d / "out").string(), "--",
                                     std::string(FAULTLINE_BIN_DIR) + "/test-prefixed_allocator"},
                                    d);
  ASSERT_EQ(run.exit_code, 1) << run.err;
  auto table = run_faultline_as_given({"alloc", "--trust-argv", only_reproducer(d / "out").string()}, d);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("has jemalloc linked in under a prefix (_rjem_malloc)"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("swap impossible"), std::string::npos) << table.out;
  EXPECT_EQ(table_rows(table.out).size(), 4u) << table.out;
}

// A process the program starts that links jemalloc (not the executable
// faultline was given) failed to load under the audit namespace: faultline
// could not know to raise the static TLS surplus. It gets one more run.
TEST(OwnAllocator, ADescendantThatLinksJemallocStillLoads) {
  ScratchDir d;
  auto rep = run_report(d, {"--schedule", "quarantine=64", "--", "/bin/sh", "-c", linked_jemalloc() + "; exit $?"});
  EXPECT_EQ(rep["stderr_tail"].get<std::string>().find("static TLS"), std::string::npos) << rep["stderr_tail"];
  EXPECT_EQ(rep["injector"]["glibc_tunables_added"], "glibc.rtld.optional_static_tls=4096") << rep["injector"];
  EXPECT_EQ(rep["class"], "double-free") << rep["findings"];
  EXPECT_EQ(rep["findings"][0]["allocator"], "jemalloc") << rep["findings"];
  EXPECT_TRUE(rep["findings"][0]["process"].get<std::string>().starts_with("child ")) << rep["findings"];
}

// Seed 003 on a real Varnish. Plain varnishtest passes; under faultline with
// the quarantine the double free is found in varnishd's forked cache process,
// though the launcher closed faultline's event pipe before exec'ing varnishd.
TEST(OwnAllocator, VarnishdsDoubleFreeIsFoundInCacheMainOnJemalloc) {
  ScratchDir d;
  const std::string vtc = std::string(FAULTLINE_SOURCE_DIR) + "/tests/varnish/double_free.vtc";
  ASSERT_EQ(std::system(("varnishtest -q " + shell_quote(vtc) + " >/dev/null 2>&1").c_str()), 0)
      << "plain varnishtest must pass (is varnish installed? scripts/bootstrap.sh installs it)";
  auto run = run_faultline_as_given({"run", "-q", "--timeout", "60", "--schedule", "quarantine=64", "--report",
                                     (d / "r.json").string(), "--out", (d / "out").string(), "--", "varnishtest", vtc},
                                    d);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto rep = read_report(d / "r.json");
  ASSERT_EQ(rep["class"], "double-free") << rep["findings"] << rep["stderr_tail"];
  const auto& finding = rep["findings"][0];
  EXPECT_TRUE(finding["process"].get<std::string>().ends_with("(cache-main)")) << finding;
  EXPECT_EQ(finding["allocator"], "jemalloc") << finding;
  const std::string stack = finding["stack"].dump();
  EXPECT_NE(stack.find("VGC_function_vcl_recv"), std::string::npos) << stack;
  EXPECT_NE(stack.find("VCL_recv_method"), std::string::npos) << stack;
  EXPECT_EQ(blamed_frame(rep)["function"], "VGC_function_vcl_recv") << rep["frames"];
  bool varnishd_on_jemalloc = false;
  for (const auto& a : rep["allocators"])
    varnishd_on_jemalloc = varnishd_on_jemalloc || (a["allocator"] == "jemalloc" && a["how"] == "the program's own: it links libjemalloc.so.2");
  EXPECT_TRUE(varnishd_on_jemalloc) << rep["allocators"];
  EXPECT_EQ(read_report(only_reproducer(d / "out") / "repro.json")["environment"]["allocator"], "jemalloc");

  // varnishd's cache process on each allocator in turn: every row has the double free.
  auto table = run_faultline_as_given({"alloc", "--trust-argv", "--timeout", "60", only_reproducer(d / "out").string()}, d);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Captured on jemalloc (the program's own: it links libjemalloc.so.2) in the finding's process"),
            std::string::npos)
      << table.out;
  const auto rows = table_rows(table.out);
  for (const std::string a : {"glibc", "jemalloc", "tcmalloc", "mimalloc"}) {
    ASSERT_TRUE(rows.count(a)) << a << "\n" << table.out;
    EXPECT_EQ(rows.at(a)[2].substr(0, 11), "double-free") << a << "\n" << table.out;
    EXPECT_EQ(rows.at(a)[3], a) << "the cache process ran on it\n" << table.out;
  }
}

}  // namespace
}  // namespace faultline::test
