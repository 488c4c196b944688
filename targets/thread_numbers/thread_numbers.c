/* thread_numbers: glibc starts a thread of its own (the helper that runs a
   SIGEV_THREAD timer's function, created inside libc, not through the
   program's pthread_create) before the program starts its one worker, which
   then crashes. The tracer sees two clones; the worker is the program's
   first thread, thread 1, which is what a schedule's thread=1 means. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int ticks;

static void thread_numbers_on_tick(union sigval v) {
  (void)v;
  ticks++;
}

static void *thread_numbers_worker(void *arg) {
  volatile int *nowhere = arg;
  return (void *)(long)*nowhere; /* the crash: a null read */
}

int main(int argc, char **argv) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = thread_numbers_on_tick;
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) return perror("timer_create"), 2;
  struct itimerspec soon = {{0, 0}, {0, 1000000}};
  timer_settime(timer, 0, &soon, 0);
  while (!ticks) usleep(1000); /* glibc's helper thread exists now */
  if (argc > 1 && strcmp(argv[1], "no-crash") == 0) return 0;
  pthread_t worker;
  pthread_create(&worker, 0, thread_numbers_worker, 0);
  pthread_join(worker, 0);
  return 0;
}
