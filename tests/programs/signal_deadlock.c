/* test-signal_deadlock [idle] [ITERATIONS]: a SIGPROF handler that calls
   malloc(2000), the size past the tcache that takes the arena lock. A second
   thread exists first, so glibc really locks its arenas; without `idle` it
   loops on malloc/free of the same size, with `idle` it blocks on a pipe
   (under a malloc-signal schedule the timer is the injector's, and only the
   main thread's allocator calls matter). The main thread allocates
   ITERATIONS (default 200000) 2000-byte blocks, then exits 0. When the
   signal lands while the main thread holds the arena lock, the handler's
   malloc waits for that lock forever. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

enum { kBlock = 2000 };
static int idle_pipe[2];

static void on_sigprof(int sig) {
  (void)sig;
  void *volatile p = malloc(kBlock); /* the bug: malloc is not async-signal-safe */
  free(p);
}

static void *second_thread(void *arg) {
  if (arg) {
    char c;
    while (read(idle_pipe[0], &c, 1) < 0) {
    }
    return 0;
  }
  for (;;) {
    void *volatile p = malloc(kBlock);
    free(p);
  }
}

int main(int argc, char **argv) {
  int idle = argc > 1 && strcmp(argv[1], "idle") == 0;
  long iterations = argc > 1 + idle ? atol(argv[1 + idle]) : 200000;
  pthread_t t;
  if (pipe(idle_pipe) != 0) return 2;
  pthread_create(&t, 0, second_thread, idle ? (void *)1 : 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigprof;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPROF, &sa, 0);
  struct itimerval it = {{0, 100}, {0, 100}};
  setitimer(ITIMER_PROF, &it, 0);
  for (long i = 0; i < iterations; i++) {
    void *volatile p = malloc(kBlock);
    free(p);
  }
  return 0;
}
