/* test-sleepers: two threads that sleep forever, no signal handler: a plain
   hang that a timeout must report as `timeout`, with both threads' stacks. */
#include <pthread.h>
#include <unistd.h>

static void *sleep_forever(void *arg) {
  (void)arg;
  for (;;) pause();
  return 0;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, 0, sleep_forever, 0);
  sleep_forever(0);
  return 0;
}
