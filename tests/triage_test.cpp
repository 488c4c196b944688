// triage() on forged runs: what it makes of injector findings, without a
// program (the end-to-end tests crash for real; these pin the decoding).
#include <gtest/gtest.h>

#include "event_record.h"
#include "triage/triage.h"

namespace faultline {
namespace {

// A clean exit whose only record is one sentinel finding of main's thread 0.
RunResult clean_run_with_finding(uint64_t kind, uint64_t detail) {
  RunResult run;
  run.pid = 4242;
  run.end = RunResult::End::Exited;
  run.exit_code = 0;
  const fl_event e{FL_EVENT_MAGIC, FL_EVENT_VERSION, FL_EVENT_FINDING, 4242, 4242, {kind, detail, 7, 0}};
  run.events.push_back(e);
  run.injector_findings.push_back({e, std::nullopt});
  return run;
}

TEST(Triage, AnUnknownInjectorFindingKindIsNotedAndClaimsNoClass) {
  const CrashReport r = triage(RunRequest{}, clean_run_with_finding(99, 0));
  EXPECT_EQ(r.cls, CrashClass::None);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.note, "unknown injector finding kind 99");
  EXPECT_TRUE(r.stack_hash.empty());
}

TEST(Triage, ALazyBindingFindingIsStillLazyBinding) {
  const CrashReport r = triage(RunRequest{}, clean_run_with_finding(FL_FINDING_LAZY_BINDING, 0));
  EXPECT_EQ(r.cls, CrashClass::LazyBindingInSignalHandler);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].detail, "dlopen() called from a signal handler");
  EXPECT_TRUE(r.note.empty());
}

// FL_MISMATCH is encoded by the injector and decoded here: one layout.
TEST(Triage, AHeapSizeMismatchDecodesWhatTheInjectorEncoded) {
  CrashReport r = triage(RunRequest{}, clean_run_with_finding(FL_FINDING_HEAP_SIZE_MISMATCH, FL_MISMATCH(24, 40, 0)));
  EXPECT_EQ(r.cls, CrashClass::HeapSizeMismatch);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].detail, "sized delete or free of 24 bytes on a block of 40 usable bytes");
  r = triage(RunRequest{}, clean_run_with_finding(FL_FINDING_HEAP_SIZE_MISMATCH, FL_MISMATCH(1ull << 40, 1ull << 40, 1)));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].detail, "aligned delete of a block that is not aligned as it says (usable 2147483647 bytes)");
  EXPECT_EQ(FL_MISMATCH_GIVEN(FL_MISMATCH(1ull << 40, 3, 0)), 0xffffffffu);
  EXPECT_EQ(FL_MISMATCH_USABLE(FL_MISMATCH(5, 3, 1)), 3u);
  EXPECT_EQ(FL_MISMATCH_BAD_ALIGNMENT(FL_MISMATCH(5, 3, 1)), 1);
}

}  // namespace
}  // namespace faultline
