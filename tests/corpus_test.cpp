#include <gtest/gtest.h>

#include "corpus.h"
#include "test_support.h"

namespace faultline {
namespace {

using test::ScratchDir;

TEST(AtomicWrite, ReplacesWholeFileAndLeavesNoTemporaries) {
  ScratchDir d;
  auto p = d / "f.json";
  ASSERT_TRUE(write_file_atomic(p, "first"));
  ASSERT_TRUE(write_file_atomic(p, "second, longer"));
  EXPECT_EQ(test::read_file(p), "second, longer");
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(d.path())) entries += (void(e), 1);
  EXPECT_EQ(entries, 1u);
}

TEST(AtomicWrite, FailureNamesTheFileAndKeepsTheOld) {
  ScratchDir d;
  auto p = d / "keep.json";
  ASSERT_TRUE(write_file_atomic(p, "precious"));
  auto bad = write_file_atomic(d / "no-such-dir" / "x.json", "data");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("no-such-dir/x.json"), std::string::npos);
  EXPECT_EQ(test::read_file(p), "precious");
}

TEST(Store, BucketsByClassAndHashAndRoundTrips) {
  ScratchDir d;
  Reproducer r;
  r.argv = {"/bin/prog", "@@"};
  r.input = InputMode::File;
  r.schedule = "stack main=64K";
  r.expected_class = CrashClass::StackExhaustion;
  r.expected_hash = "0123456789abcdef";
  auto s = store_reproducer(d / "out", r, std::string("bytes"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->already_known);
  EXPECT_EQ(s->dir.filename(), "stack-exhaustion-0123456789abcdef");
  auto again = store_reproducer(d / "out", r, std::string("other bytes"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->already_known);
  EXPECT_EQ(test::read_file(s->dir / "input"), "bytes");  // the first one is kept
  auto loaded = load_reproducer(s->dir);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->argv, r.argv);
  EXPECT_EQ(loaded->schedule, r.schedule);
  EXPECT_EQ(loaded->expected_class, r.expected_class);
  auto req = request_for(loaded.value(), s->dir, nullptr);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->argv[1], fs::absolute(s->dir / "input").string());
}

}  // namespace
}  // namespace faultline
