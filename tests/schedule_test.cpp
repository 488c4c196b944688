#include <gtest/gtest.h>

#include "base/schedule.hpp"

namespace faultline {
namespace {

TEST(Schedule, ParsesAndFormatsCanonically) {
  auto s = Schedule::parse("  stack   main=64K ;seed=0x5eed  ");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s->get(FL_KEY_STACK_MAIN), 64u * 1024);
  EXPECT_EQ(*s->get(FL_KEY_SEED), 0x5eedu);
  EXPECT_EQ(s->canonical(), "stack main=64K ; seed=0x5eed");
  EXPECT_EQ(Schedule::parse(s->canonical())->canonical(), s->canonical());
}

TEST(Schedule, SizesTakeSuffixesAndFormatBack) {
  EXPECT_EQ(*Schedule::parse("stack main=4096")->get(FL_KEY_STACK_MAIN), 4096u);
  EXPECT_EQ(*Schedule::parse("stack main=1M")->get(FL_KEY_STACK_MAIN), 1u << 20);
  EXPECT_EQ(*Schedule::parse("stack main=2g")->get(FL_KEY_STACK_MAIN), 2ull << 30);
  EXPECT_EQ(Schedule::parse("stack main=1048576")->canonical(), "stack main=1M");
  EXPECT_EQ(Schedule::parse("stack main=5000")->canonical(), "stack main=5000");
}

TEST(Schedule, BareWordFlagsAndCanonicalOrder) {
  auto s = Schedule::parse("stack force altstack=8K threads=256K main=64K");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s->get(FL_KEY_STACK_FORCE), 1u);
  EXPECT_EQ(*s->get(FL_KEY_STACK_THREADS), 256u * 1024);
  EXPECT_EQ(s->canonical(), "stack main=64K threads=256K force altstack=8K");
  EXPECT_FALSE(Schedule::parse("stack threads=256K")->get(FL_KEY_STACK_FORCE));
}

TEST(Schedule, MallocSignalWithSignalNamesAndTheDesignExample) {
  auto s = Schedule::parse(
      "malloc-signal sig=SIGPROF thread=0 call=4711 insn=31 ; stack main=64K threads=256K ; lazy-handler on ; "
      "seed=0x5eed");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s->get(FL_KEY_MS_SIG), 27u);
  EXPECT_EQ(*s->get(FL_KEY_MS_CALL), 4711u);
  EXPECT_EQ(*s->get(FL_KEY_MS_INSN), 31u);
  EXPECT_TRUE(s->get(FL_KEY_LAZY_HANDLER));
  EXPECT_EQ(s->canonical(),
            "malloc-signal sig=SIGPROF thread=0 call=4711 insn=31 ; stack main=64K threads=256K ; lazy-handler on ; "
            "seed=0x5eed");
  EXPECT_EQ(*Schedule::parse("malloc-signal sig=PROF call=1 insn=2")->get(FL_KEY_MS_SIG), 27u);
  EXPECT_EQ(Schedule::parse("malloc-signal sig=10 call=1 trace")->canonical(), "malloc-signal sig=SIGUSR1 call=1 trace");
}

TEST(Schedule, EmptyIsValidAndMeansNoFaults) {
  auto s = Schedule::parse("");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->empty());
  EXPECT_EQ(s->canonical(), "");
  EXPECT_TRUE(Schedule::parse(" ; ;")->empty());
}

TEST(Schedule, ErrorsSayWhatIsWrong) {
  struct Case {
    const char* line;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"warp main=1", "unknown schedule item 'warp' (known: malloc-signal, stack, lazy-handler, alloc, quarantine, live-pointers, delay, census, pct, timers, seed)"},
           {"stack size=1", "schedule item 'stack': unknown key 'size' (known: main, threads, force, altstack)"},
           {"stack main=", "bad value ''"},
           {"stack main=64X", "bad value '64X'"},
           {"stack main=99999999999999999999", "bad value"},
           {"stack main=17179869184G", "bad value"},
           {"stack", "needs a value (keys: main, threads, force, altstack)"},
           {"stack force=1", "'force' is a bare word and takes no value"},
           {"stack force force", "'force' given twice"},
           {"stack main", "expected key=value, got 'main'"},
           {"stack main=1M main=2M", "'main' given twice"},
           {"seed=0x", "bad value '0x'"},
           {"malloc-signal sig=SIGPROF insn=3", "'call' is required"},
           {"malloc-signal call=3 insn=3", "'sig' is required"},
           {"malloc-signal sig=SIGPROF call=3", "give exactly one of insn=K and trace"},
           {"malloc-signal sig=SIGPROF call=3 insn=4 trace", "give exactly one of insn=K and trace"},
           {"malloc-signal sig=SIGNOPE call=3 insn=4", "want a signal such as SIGPROF"},
           {"malloc-signal sig=99 call=3 insn=4", "bad value '99'"},
           {"lazy-handler off", "unknown key 'off'"},
           {"alloc jemalloc tcmalloc", "give exactly one allocator"},
           {"alloc dlmalloc", "unknown key 'dlmalloc'"},
           {"delay call=3 sync=4 us=10", "give exactly one of call=N and sync=N"},
           {"delay lock=3 us=10", "unknown key 'lock'"},
           {"pct depth=9 points=40", "depth= is 1..8 and points= at least 1"},
           {"pct depth=0 points=40", "depth= is 1..8"},
           {"pct depth=2", "'points' is required"},
       }) {
    auto s = Schedule::parse(c.line);
    ASSERT_FALSE(s) << c.line;
    EXPECT_NE(s.error().message.find(c.message), std::string::npos) << c.line << " -> " << s.error().message;
  }
}

TEST(Schedule, PctRoundTripsAndItsDrawsAreTheInjectorsOwn) {
  auto s = Schedule::parse("seed=7 ; pct points=17 depth=2 us=500 ; quarantine=64");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->canonical(), "quarantine=64 ; pct depth=2 points=17 us=500 ; seed=0x7");
  // The harness and the injector draw from the same inline functions: what a
  // report says about a seed is what the run did. Change points fall in 1..k.
  for (uint64_t seed = 0; seed < 200; seed++)
    for (int i = 1; i < 8; i++) {
      const uint64_t at = fl_pct_change_point(seed, 17, i);
      EXPECT_GE(at, 1u);
      EXPECT_LE(at, 17u);
    }
  // Initial priorities lie above every priority a change point gives (1..d-1).
  for (int t = 0; t < 64; t++) EXPECT_GT(fl_pct_priority(3, t), static_cast<uint64_t>(FL_PCT_MAX_DEPTH));
  EXPECT_NE(fl_pct_priority(3, 0), fl_pct_priority(3, 1));
  EXPECT_NE(fl_pct_priority(3, 1), fl_pct_priority(4, 1));
}

TEST(Schedule, OverlongLineIsRejectedNotTruncated) {
  std::string line = "stack main=64K ;";
  while (line.size() < 2000) line += " ;";
  EXPECT_FALSE(Schedule::parse(line));
}

TEST(Schedule, WordValuesNameAProcessAndRoundTrip) {
  auto s = Schedule::parse("malloc-signal process=make sig=INT call=266 insn=12");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->word(FL_KEY_MS_PROCESS), "make");
  EXPECT_EQ(s->canonical(), "malloc-signal sig=SIGINT call=266 insn=12 process=make");
  EXPECT_EQ(Schedule::parse(s->canonical())->canonical(), s->canonical());
  EXPECT_FALSE(Schedule::parse("malloc-signal sig=INT call=1 insn=1")->word(FL_KEY_MS_PROCESS));
  for (const char* bad : {"process=", "process=a/b", "process=0123456789012345678901234567890123"}) {
    auto r = Schedule::parse(std::string("malloc-signal sig=INT call=1 insn=1 ") + bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("want a name"), std::string::npos) << r.error().message;
  }
}

// What minimize and alloc edit: the items in the order given, each written
// by the formatter, joined back in any order and checked like a parse.
TEST(Schedule, ItemsKeepTheirOrderAndJoinBackChecked) {
  auto s = Schedule::parse("delay thread=1 call=3 us=20000 ;quarantine=64 ; stack main=65536 ; stack threads=1M");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->to_string(), "delay thread=1 call=3 us=20000 ; quarantine=64 ; stack main=64K ; stack threads=1M");
  auto items = s->items();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_TRUE(items[0].has_item("delay"));
  EXPECT_FALSE(items[0].has_item("quarantine"));
  EXPECT_EQ(items[1].to_string(), "quarantine=64");
  items.erase(items.begin() + 1);
  items.push_back(Schedule::item({{FL_KEY_ALLOC_JEMALLOC, 1}}));
  auto joined = Schedule::join(items);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->to_string(), "delay thread=1 call=3 us=20000 ; stack main=64K ; stack threads=1M ; alloc jemalloc");
  EXPECT_EQ(joined->canonical(), "stack main=64K threads=1M ; alloc jemalloc ; delay thread=1 call=3 us=20000");
  // An item that needs a key of another alone, and two that clash, make no schedule.
  auto split = Schedule::parse("delay call=1 us=5 ; delay thread=2");
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_FALSE(Schedule::join({split->items()[1]}));
  EXPECT_FALSE(Schedule::join({Schedule::item({{FL_KEY_ALLOC_JEMALLOC, 1}}), Schedule::item({{FL_KEY_ALLOC_GLIBC, 1}})}));
  EXPECT_TRUE(Schedule().items().empty());
}

}  // namespace
}  // namespace faultline
