#include "store/bucket_status.h"

namespace faultline {

namespace {
constexpr std::string_view kTexts[] = {
#define FAULTLINE_X(id, text) text,
    FAULTLINE_BUCKET_STATUSES(FAULTLINE_X)
#undef FAULTLINE_X
};
}  // namespace

std::string_view to_string(BucketStatus s) { return kTexts[static_cast<int>(s)]; }

std::optional<BucketStatus> bucket_met_before(const std::string& bucket, std::set<std::string>& met, BucketOnDisk on_disk,
                                              RepeatOfKnown repeat) {
  const bool known = on_disk == BucketOnDisk::InRegressions;
  if (known && repeat == RepeatOfKnown::Known) return BucketStatus::Known;
  if (!met.insert(bucket).second) return BucketStatus::Duplicate;
  if (known) return BucketStatus::Known;
  if (on_disk == BucketOnDisk::InStore) return BucketStatus::StoredBefore;
  return std::nullopt;
}

}  // namespace faultline
