#include <gtest/gtest.h>

#include "store/argv_files.h"
#include "store/bucket_status.h"
#include "store/corpus.h"
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

// fuzz accounts for each saved crash (a known bucket's repeat is a duplicate);
// the campaign calls a known bucket known each time and never records it.
TEST(BucketStatus, AKnownBucketsRepeatIsADuplicateToFuzzAndKnownToTheCampaign) {
  std::set<std::string> fuzz_met, campaign_met;
  for (auto repeat : {RepeatOfKnown::Duplicate, RepeatOfKnown::Known}) {
    auto& met = repeat == RepeatOfKnown::Duplicate ? fuzz_met : campaign_met;
    EXPECT_EQ(bucket_met_before("abort-1", met, BucketOnDisk::InRegressions, repeat), BucketStatus::Known);
    EXPECT_EQ(bucket_met_before("abort-2", met, BucketOnDisk::InStore, repeat), BucketStatus::StoredBefore);
    EXPECT_EQ(bucket_met_before("abort-3", met, BucketOnDisk::Absent, repeat), std::nullopt);
    EXPECT_EQ(bucket_met_before("abort-3", met, BucketOnDisk::Absent, repeat), BucketStatus::Duplicate);
  }
  EXPECT_EQ(bucket_met_before("abort-1", fuzz_met, BucketOnDisk::InRegressions, RepeatOfKnown::Duplicate),
            BucketStatus::Duplicate);
  EXPECT_EQ(bucket_met_before("abort-1", campaign_met, BucketOnDisk::InRegressions, RepeatOfKnown::Known),
            BucketStatus::Known);
  EXPECT_EQ(campaign_met.count("abort-1"), 0u);
  EXPECT_EQ(to_string(BucketStatus::StoredBefore), "stored before");
  EXPECT_EQ(to_string(BucketStatus::NotTriaged), "not triaged (budget)");
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

// A reproducer stored from a loaded one (minimize's new bucket) takes its
// argv files from the stored copies, not from where the first run found them.
TEST(Store, ArgvFilesTravelFromAStoredReproducerToTheNextAndPathsStayAsGiven) {
  ScratchDir d;
  fs::create_directories(d / "work/sub");
  test::write_file(d / "work/sub/data.txt", "payload");
  test::write_file(d / "work/conf", "c");
  Reproducer r;
  r.argv = {"/bin/cat", "sub/data.txt", "--config=conf", "--verbose", "@@", "missing.txt"};
  r.input = InputMode::File;
  r.expected_class = CrashClass::Abort;
  record_invocation(r, d / "work");
  EXPECT_EQ(r.cwd, (d / "work").string());
  EXPECT_EQ(r.executable, "/bin/cat");
  ASSERT_EQ(r.argv_files.size(), 2u);
  EXPECT_EQ(r.argv_files[0].index, 1u);
  EXPECT_EQ(r.argv_files[1].path, "conf");
  auto first = store_reproducer(d / "one", r, std::string("in"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->not_stored.empty());
  fs::remove_all(d / "work");
  auto loaded = load_reproducer(first->dir);
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto second = store_reproducer(d / "two", loaded.value(), std::string("in"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(test::read_file(second->dir / "argv-1-data.txt"), "payload");
  EXPECT_EQ(test::read_file(second->dir / "argv-2-conf"), "c");
  auto req = request_for(load_reproducer(second->dir).value(), second->dir, nullptr);
  ASSERT_TRUE(req) << req.error().message;
  const std::string dir = fs::absolute(second->dir).string();
  EXPECT_EQ(req->cwd, dir);  // the recorded one is gone
  EXPECT_EQ(req->argv, std::vector<std::string>({"/bin/cat", dir + "/argv-1-data.txt", "--config=" + dir + "/argv-2-conf",
                                                 "--verbose", dir + "/input", "missing.txt"}));
}

}  // namespace
}  // namespace faultline
