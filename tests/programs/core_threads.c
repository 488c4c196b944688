/* test-core_threads [MB]: three threads parked in pause(), then the main
   thread writes through a null pointer in core_crash_here(), whose locals the
   core test prints in gdb. With MB, a heap block of that many MiB is filled
   first: the mapping a core size limit must leave out. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t ready;

static void *parked(void *arg) {
  (void)arg;
  pthread_barrier_wait(&ready);
  for (;;) pause();
  return 0;
}

__attribute__((noinline)) void core_crash_here(int *where, int answer) {
  volatile int doubled = answer * 2;
  *where = doubled;
}

int main(int argc, char **argv) {
  const size_t mb = argc > 1 ? strtoul(argv[1], 0, 10) : 0;
  if (mb) memset(malloc(mb << 20), 0x5a, mb << 20);
  pthread_barrier_init(&ready, 0, 4);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, parked, 0);
  pthread_barrier_wait(&ready);
  core_crash_here(argc > 99 ? (int *)argv : 0, 42);
  return 0;
}
