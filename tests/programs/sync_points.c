/* test-sync_points census | handler safe|unsafe

   census: a worker passes each kind of sync point faultline interposes
   exactly once (mutex, condvar, rwlock, semaphore, sleep, sched_yield,
   pthread_exit: 25 points), the main thread 3 (pthread_create, sem_post,
   pthread_join). Nothing loops on timing, so the counts are exact.
   handler: a SIGALRM handler calls sem_post and sched_yield (on POSIX's
   async-signal-safe list: no finding), and with `unsafe` also
   pthread_cond_signal (not on it: signal-unsafe-call). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
static sem_t go;
static int unsafe;

static void *worker(void *arg) {
  (void)arg;
  sem_wait(&go);                                  /* 1 */
  pthread_mutex_lock(&m);                         /* 2 */
  pthread_mutex_unlock(&m);                       /* 3 */
  if (pthread_mutex_trylock(&m) == 0)             /* 4 */
    pthread_mutex_unlock(&m);                     /* 5 */
  struct timespec past = {0, 0};                  /* 1970: the wait times out at once */
  pthread_mutex_lock(&m);                         /* 6 */
  pthread_cond_timedwait(&c, &m, &past);          /* 7 */
  pthread_mutex_unlock(&m);                       /* 8 */
  pthread_cond_signal(&c);                        /* 9 */
  pthread_cond_broadcast(&c);                     /* 10 */
  pthread_rwlock_rdlock(&l);                      /* 11 */
  pthread_rwlock_unlock(&l);                      /* 12 */
  pthread_rwlock_wrlock(&l);                      /* 13 */
  pthread_rwlock_unlock(&l);                      /* 14 */
  if (pthread_rwlock_tryrdlock(&l) == 0)          /* 15 */
    pthread_rwlock_unlock(&l);                    /* 16 */
  if (pthread_rwlock_trywrlock(&l) == 0)          /* 17 */
    pthread_rwlock_unlock(&l);                    /* 18 */
  sem_trywait(&go);                               /* 19: EAGAIN */
  struct timespec tick = {0, 1000};
  nanosleep(&tick, 0);                            /* 20 */
  clock_nanosleep(CLOCK_MONOTONIC, 0, &tick, 0);  /* 21 */
  usleep(1);                                      /* 22 */
  sleep(0);                                       /* 23 */
  sched_yield();                                  /* 24 */
  pthread_exit(0);                                /* 25 */
}

static void on_alarm(int sig) {
  (void)sig;
  sem_post(&go);
  sched_yield();
  if (unsafe) pthread_cond_signal(&c);
}

int main(int argc, char **argv) {
  sem_init(&go, 0, 0);
  if (argc > 1 && strcmp(argv[1], "handler") == 0) {
    unsafe = argc > 2 && strcmp(argv[2], "unsafe") == 0;
    signal(SIGALRM, on_alarm);
    raise(SIGALRM);
    printf("handled\n");
    return 0;
  }
  pthread_t t;
  pthread_create(&t, 0, worker, 0);
  sem_post(&go);
  pthread_join(t, 0);
  printf("done\n");
  return 0;
}
