#include <gtest/gtest.h>

#include <cmath>

#include "search/stack_search.h"

namespace faultline {
namespace {

TEST(Bisect, FindsTheThresholdWithinLog2PlusTwoRuns) {
  for (uint64_t lo : {1u, 4u}) {
    for (uint64_t hi : {2u, 3u, 17u, 100000u}) {
      if (hi <= lo) continue;
      for (uint64_t t = lo; t <= hi; t += std::max<uint64_t>(1, (hi - lo) / 7)) {
        auto b = bisect_first_true(lo, hi, [&](uint64_t x) -> Result<bool> { return x >= t; });
        ASSERT_TRUE(b);
        EXPECT_EQ(b->first_true, t) << lo << ".." << hi;
        EXPECT_LE(b->runs, std::ceil(std::log2(hi - lo)) + 2) << lo << ".." << hi << " t=" << t;
      }
    }
  }
}

TEST(Bisect, NoTrueAnywhereIsOneRun) {
  auto b = bisect_first_true(1, 1000, [](uint64_t) -> Result<bool> { return false; });
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->first_true);
  EXPECT_EQ(b->runs, 1);
}

TEST(Bisect, ProbeErrorsStopTheSearch) {
  int calls = 0;
  auto b = bisect_first_true(1, 1000, [&](uint64_t x) -> Result<bool> {
    if (++calls == 3) return Error{"program vanished"};
    return x > 500;
  });
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message, "program vanished");
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace faultline
