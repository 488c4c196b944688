// Standalone driver: target-crash_zoo FILE (or input on stdin).
#include <cstdio>
#include <vector>

#include "crash_zoo.h"

int main(int argc, char** argv) {
  FILE* in = argc > 1 ? std::fopen(argv[1], "rb") : stdin;
  if (!in) {
    std::perror(argv[1]);
    return 2;
  }
  std::vector<uint8_t> data;
  uint8_t buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, in)) > 0;) data.insert(data.end(), buf, buf + n);
  return crash_zoo_run(data.data(), data.size());
}
