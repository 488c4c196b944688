// What filing one triaged run came to: its bucket (<class>-<stack hash>) new,
// already stored, met earlier this run, a known regression, or no bucket at
// all. One enum for run, explore, stack, fuzz and the campaign; its strings
// are the ones their tables and reports print.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace faultline {

// X(enumerator, "string shown").
#define FAULTLINE_BUCKET_STATUSES(X)                                                       \
  X(New, "new")                       /* stored now: this run found it */                 \
  X(StoredBefore, "stored before")    /* in the store, not a regression: an earlier run */ \
  X(Duplicate, "duplicate")           /* a bucket this run has met already */             \
  X(Known, "known")                   /* a regression already */                          \
  X(Clean, "clean")                   /* the run did not crash */                         \
  X(NotReproduced, "not reproduced")  /* an engine's crash that triage saw end clean */   \
  X(NotTriaged, "not triaged (budget)")                                                    \
  X(Pending, "pending")  /* triaged, not yet bucketed: a finished search has none */

enum class BucketStatus {
#define FAULTLINE_X(id, text) id,
  FAULTLINE_BUCKET_STATUSES(FAULTLINE_X)
#undef FAULTLINE_X
};

std::string_view to_string(BucketStatus s);

// Where a crash's bucket is on disk before this run stores it.
enum class BucketOnDisk { Absent, InStore, InRegressions };

// Which a repeat of a known bucket counts as. A fuzz run accounts for each
// crash the engine saved, so a known bucket's second crash is a duplicate;
// the campaign calls a known bucket known every time and never counts it
// among the night's.
enum class RepeatOfKnown { Duplicate, Known };

// A crash's status when its bucket needs no storing; nullopt when the bucket
// is new to this run and to disk, and the caller stores it. `met` holds the
// buckets this run has filed; this one joins it (a known one only when a
// repeat of it is a duplicate).
std::optional<BucketStatus> bucket_met_before(const std::string& bucket, std::set<std::string>& met, BucketOnDisk on_disk,
                                              RepeatOfKnown repeat);

}  // namespace faultline
