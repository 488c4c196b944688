/* A lock-heavy workload for the interleave injector's idle cost
   (bench/interleave_idle_cost.sh): prints the nanoseconds per iteration
   measured inside the process, over all rounds.

   bench-lock-workload [THREADS [ROUNDS [ITERATIONS]]]   (defaults 4 20 100000)

   Each round the main thread creates THREADS threads and joins them (thread
   create/join points). Every iteration of a thread locks the shared mutex
   around a counter increment; on top of that, every 4th iteration takes the
   rwlock to read, every 64th to write, every 16th posts and waits its own
   semaphore (never blocks), every 128th signals and broadcasts the condvar,
   every 1024th calls sched_yield, every 65536th nanosleep(0), and every 5000th
   meets the others at a barrier made of the mutex and the condvar
   (pthread_cond_wait). These are the scheduling points the interleave
   injector holds threads at, now (mutex lock/unlock) and once condvar,
   rwlock, semaphore, sleep, yield and thread points are interposed.
   The counter is checked at the end: exit 1 if a lock let two threads in. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kMaxThreads = 64, kBarrierEvery = 5000 };

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static long counter, signals, table[16];
static int threads;
static long iterations;
/* The barrier: under `shared`, waited on with `changed`. */
static int arrived;
static unsigned long generation;

struct worker {
  pthread_t id;
  sem_t sem;
  int index;
  long reads;
};

static void barrier(void) {
  pthread_mutex_lock(&shared);
  const unsigned long gen = generation;
  if (++arrived == threads) {
    arrived = 0;
    generation++;
    pthread_cond_broadcast(&changed);
  } else {
    while (gen == generation) pthread_cond_wait(&changed, &shared);
  }
  pthread_mutex_unlock(&shared);
}

static void *work(void *arg) {
  struct worker *w = arg;
  const struct timespec zero = {0, 0};
  for (long i = 1; i <= iterations; i++) {
    pthread_mutex_lock(&shared);
    counter++;
    pthread_mutex_unlock(&shared);
    if (i % 4 == 0) {
      pthread_rwlock_rdlock(&table_lock);
      w->reads += table[i & 15];
      pthread_rwlock_unlock(&table_lock);
    }
    if (i % 64 == 0) {
      pthread_rwlock_wrlock(&table_lock);
      table[(i >> 6) & 15] += w->index + 1;
      pthread_rwlock_unlock(&table_lock);
    }
    if (i % 16 == 0) {
      sem_post(&w->sem);
      sem_wait(&w->sem);
    }
    if (i % 128 == 0) {
      pthread_mutex_lock(&shared);
      signals++;
      pthread_cond_signal(&changed); /* nobody waits for it to matter: the barrier rechecks its generation */
      pthread_cond_broadcast(&changed);
      pthread_mutex_unlock(&shared);
    }
    if (i % 1024 == 0) sched_yield();
    if (i % 65536 == 0) nanosleep(&zero, 0); /* ~80 us each here (timer slack): rare, or it is all we measure */
    if (i % kBarrierEvery == 0) barrier();
  }
  return 0;
}

int main(int argc, char **argv) {
  threads = argc > 1 ? atoi(argv[1]) : 4;
  const int rounds = argc > 2 ? atoi(argv[2]) : 20;
  iterations = argc > 3 ? atol(argv[3]) : 100000;
  if (threads < 1 || threads > kMaxThreads || rounds < 1 || iterations < 1) {
    fprintf(stderr, "usage: bench-lock-workload [THREADS (1-%d) [ROUNDS [ITERATIONS]]]\n", kMaxThreads);
    return 2;
  }
  struct worker w[kMaxThreads];
  for (int t = 0; t < threads; t++) {
    w[t].index = t;
    w[t].reads = 0;
    sem_init(&w[t].sem, 0, 0);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int r = 0; r < rounds; r++) {
    for (int t = 0; t < threads; t++)
      if (pthread_create(&w[t].id, 0, work, &w[t]) != 0) {
        perror("pthread_create");
        return 2;
      }
    for (int t = 0; t < threads; t++) pthread_join(w[t].id, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long reads = 0;
  for (int t = 0; t < threads; t++) {
    reads += w[t].reads;
    sem_destroy(&w[t].sem);
  }
  const long total = (long)threads * rounds * iterations;
  const double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)total;
  printf("%.2f ns per iteration (%d threads x %d rounds x %ld iterations; counter %ld, %ld signals, checksum %ld)\n", ns,
         threads, rounds, iterations, counter, signals, reads & 0xffff);
  if (counter != total) {
    fprintf(stderr, "bench-lock-workload: counter %ld, expected %ld: a lock let two threads in\n", counter, total);
    return 1;
  }
  return 0;
}
