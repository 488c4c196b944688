#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/maps.h"

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

namespace faultline {
namespace {

// A process that is gone is no error for the /proc readers: nothing read.
TEST(Maps, ProcReadersTakeAVanishedProcessInTheirStride) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(read_proc_file("/proc/" + std::to_string(child) + "/stat"), "");
  EXPECT_EQ(proc_status_field(child, "Tgid"), "");
  EXPECT_EQ(process_name(child), "");
  EXPECT_TRUE(read_maps(child).empty());
  EXPECT_EQ(std::stoi(proc_status_field(getpid(), "Tgid")), getpid());
  EXPECT_EQ(proc_status_field(getpid(), "NoSuchKey"), "");
  EXPECT_LE(read_proc_file("/proc/self/maps", 100).size(), 100u);
}

}  // namespace
}  // namespace faultline
