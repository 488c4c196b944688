/* test-event_flood N: a hostile program that forges N valid injector records
   (findings) on the event pipe faultline gives it, as fast as it can, then
   exits 0. The record layout is public (injectors/event_record.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct record {
  uint32_t magic;
  uint16_t version, kind;
  int32_t pid, tid;
  uint64_t arg[4];
};

int main(int argc, char **argv) {
  const char *env = getenv("FAULTLINE_EVENT_FD");
  if (!env || argc < 2) return 3;
  const int fd = atoi(env);
  const long n = atol(argv[1]);
  struct record batch[64];
  for (int i = 0; i < 64; i++) batch[i] = (struct record){0x56454c46u, 1, 4 /* finding */, getpid(), getpid(), {1, 0, 0, 0}};
  for (long sent = 0; sent < n; sent += 64)
    if (write(fd, batch, sizeof batch) < 0) return 4;
  puts("flooded");
  return 0;
}
