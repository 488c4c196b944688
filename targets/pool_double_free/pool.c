#define _GNU_SOURCE
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct job {
  int id;
  int done;       /* set by the worker when the job's work is done */
  int finished;   /* set by the worker when it has let go of the job */
  int cancelled;  /* set by the submitter */
  int released;   /* fixed variant: who frees is decided by one atomic exchange */
  char payload[40];
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_ready = PTHREAD_COND_INITIALIZER;
static struct job *queued;
static int stopping, fixed_variant, completed;
static size_t job_extra;

void pool_set_job_extra(size_t bytes) { job_extra = bytes; }

static long long now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The last side to let go of the job frees it. */
static void pool_release_job(struct job *j) {
  if (__atomic_exchange_n(&j->released, 1, __ATOMIC_ACQ_REL)) free(j);
}

__attribute__((noinline)) static void pool_worker_finish(struct job *j) {
  if (fixed_variant) {
    pool_release_job(j);
    return;
  }
  __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
  char *log = malloc(64); /* the window: between the worker's mark and its check */
  if (log) {
    snprintf(log, 64, "job %d done", j->id);
    free(log);
  }
  if (__atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE)) {
    free(j); /* the submitter gave up: we clean up */
    return;
  }
  __atomic_store_n(&j->finished, 1, __ATOMIC_RELEASE);
}

static void *pool_worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&queue_lock);
    while (!queued && !stopping) pthread_cond_wait(&queue_ready, &queue_lock);
    struct job *j = queued;
    queued = 0;
    pthread_mutex_unlock(&queue_lock);
    if (!j) return 0;
    memset(j->payload, j->id, sizeof j->payload);
    pool_worker_finish(j);
  }
}

__attribute__((noinline)) static void pool_submitter_give_up(struct job *j) {
  if (fixed_variant) {
    pool_release_job(j);
    return;
  }
  __atomic_store_n(&j->cancelled, 1, __ATOMIC_RELEASE);
  if (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) free(j); /* the worker finished: we clean up */
}

int pool_run(int jobs, long timeout_us, int fixed) {
  fixed_variant = fixed;
  stopping = 0; /* fuzz engines call this again and again in one process */
  completed = 0;
  pthread_t worker;
  pthread_create(&worker, 0, pool_worker, 0);
  for (int i = 0; i < jobs; i++) {
    struct job *j = calloc(1, sizeof *j + job_extra);
    j->id = i;
    pthread_mutex_lock(&queue_lock);
    queued = j;
    pthread_cond_signal(&queue_ready);
    pthread_mutex_unlock(&queue_lock);
    /* Wait until the worker has let go of the job, up to the timeout; then let
       go of it too. Only a worker stuck between its two steps for the whole
       timeout lets both sides free it. */
    struct timespec step = {0, 100000};
    /* By the clock, not by counting naps: on a loaded machine each nap
       oversleeps, and the timeout would stretch past a held worker. */
    const long long deadline = now_us() + timeout_us;
    while (!__atomic_load_n(&j->finished, __ATOMIC_ACQUIRE) && now_us() < deadline) nanosleep(&step, 0);
    if (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) completed++;
    pool_submitter_give_up(j);
    while (__atomic_load_n(&queued, __ATOMIC_ACQUIRE)) nanosleep(&step, 0); /* one job at a time */
    struct timespec settle = {0, 2000000};
    nanosleep(&settle, 0); /* let the worker finish with it */
  }
  pthread_mutex_lock(&queue_lock);
  stopping = 1;
  pthread_cond_signal(&queue_ready);
  pthread_mutex_unlock(&queue_lock);
  pthread_join(worker, 0);
  return completed;
}
