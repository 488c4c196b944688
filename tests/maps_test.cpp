#include <gtest/gtest.h>

#include "maps.h"

namespace faultline {
namespace {

TEST(Maps, ParsesPermsPathsAndSkipsGarbage) {
  auto maps = parse_maps(
      "55d0c0a00000-55d0c0a21000 r-xp 00001000 fe:01 123 /opt/my app/bin\n"
      "7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
      "not a line\n"
      "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n");
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[0].path, "/opt/my app/bin");
  EXPECT_EQ(maps[0].start, 0x55d0c0a00000u);
  EXPECT_TRUE(maps[1].inaccessible());
  EXPECT_EQ(maps[1].path, "");
  EXPECT_TRUE(maps[2].writable());
  EXPECT_EQ(maps[2].path, "[stack]");
  EXPECT_TRUE(maps[2].contains(0x7ffc00020fffu));
  EXPECT_FALSE(maps[2].contains(0x7ffc00021000u));
}

}  // namespace
}  // namespace faultline
