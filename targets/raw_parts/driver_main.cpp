// target-raw_parts [--fixed] [FILE]: FILE is one input (see raw_parts.h),
// processed 20000 times, as a server would process a stream of them.
#include <cstdio>
#include <cstring>
#include <vector>

#include "raw_parts.h"

int main(int argc, char** argv) {
  int arg = 1;
  const bool fixed = arg < argc && std::strcmp(argv[arg], "--fixed") == 0;
  if (fixed) arg++;
  std::vector<uint8_t> data;
  if (arg < argc) {
    FILE* f = std::fopen(argv[arg], "rb");
    if (!f) {
      std::perror(argv[arg]);
      return 2;
    }
    uint8_t buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) data.insert(data.end(), buf, buf + n);
    std::fclose(f);
  }
  uint64_t sum = 0;
  for (int i = 0; i < 20000; i++) sum += raw_parts_run(data.data(), data.size(), fixed);
  std::printf("checksum=%llu\n", static_cast<unsigned long long>(sum));
  return 0;
}
