/* Where explore --injector interleave holds and orders threads: at their
   points (allocator calls, alloc.c; sync points, unsafe.c and stack.c).
   `delay` holds one thread at one point; `pct` gives every thread a priority
   and lets a thread pass a point only while no runnable thread outranks it.
   Runs inside the allocator and around the program's locks: RULES.md in full
   (waits are raw nanosleeps, the shared state is atomics in .bss). */
#include <pthread.h>

#include "inject_internal.h"
#include "raw_syscall.h"
#include "signal_context.h"

int fl_points_scheduled;

static void nap_us(long us) {
  struct fl_timespec t = {0, us * 1000};
  fl_sys_nanosleep(&t);
}

/* ---- delay: one thread paused at one of its points ---- */

/* Points passed by every thread while a delay is scheduled: the held thread
   watches the others move. */
static uint64_t points_passed;
/* Threads created and not yet running: a thread the others started during
   the hold may wait a whole scheduler period (tens of ms on a loaded machine)
   before its first instruction, and the interleaving needs it. */
static int threads_unstarted;

void fl_thread_starting(int delta) {
  __atomic_add_fetch(&threads_unstarted, delta, __ATOMIC_RELAXED);
  __atomic_add_fetch(&points_passed, 1, __ATOMIC_RELAXED); /* a start is progress too */
}

/* `at` is call= or sync=, `count` this thread's count of those points.
   The hold lasts us= at least, and then as long as the other threads are
   still moving, have not moved at all yet (on a loaded machine they may
   not have had the CPU), or have created a thread that has not run yet: up
   to ten times us=. So the interleaving the hold
   opens happens even when the kernel is slow to run the others. */
static void delay_point(enum fl_schedule_key at, uint64_t count) {
  if (!fl_schedule_has(&fl_sched, FL_KEY_DELAY_US)) return;
  const uint64_t seen = __atomic_add_fetch(&points_passed, 1, __ATOMIC_RELAXED);
  if (!fl_schedule_has(&fl_sched, at) || fl_thread_index() != (int)fl_sched.value[FL_KEY_DELAY_THREAD] ||
      count != fl_sched.value[at])
    return;
  const uint64_t us = fl_sched.value[FL_KEY_DELAY_US];
  /* With where it is held: the reproducer names the function. */
  fl_emit_checkpointed(FL_EVENT_DELAYED, us, at == FL_KEY_DELAY_SYNC ? FL_HELD_AT_SYNC : 0, count,
                       (uint64_t)(int64_t)fl_thread_index());
  struct fl_timespec t = {(long)(us / 1000000), (long)(us % 1000000) * 1000};
  fl_sys_nanosleep(&t);
  for (uint64_t waited_us = us, last = seen; waited_us < 10 * us; waited_us += 1000) {
    const uint64_t now = __atomic_load_n(&points_passed, __ATOMIC_RELAXED);
    const int unstarted = __atomic_load_n(&threads_unstarted, __ATOMIC_RELAXED);
    if (now != seen && now == last && unstarted <= 0) break; /* the others moved, and have stopped */
    last = now;
    nap_us(1000);
  }
}

/* ---- pct: priorities, d-1 change points, and waits at every point ----

   PCT (Burckhardt et al., ASPLOS 2010) runs the highest-priority enabled
   thread. Here the kernel schedules; a thread only waits at its points while
   a thread of higher priority is runnable: started, not exited, not inside a
   call that may block (FL_TRAIT_WAITS). A wait ends after us= (default 2 ms)
   even if it is still outranked, because a thread may run on without points
   or block where we cannot see (read, poll). So the calls at points happen in
   priority order; the code between two points of different threads may still
   overlap. Threads past PCT_THREADS are not ordered. */

#define PCT_THREADS 64
#define PCT_NAP_US 50
static struct {
  uint64_t priority;
  int state;          /* enum fl_pct_state */
  uintptr_t waits_on; /* FL_PCT_WAITING: the object */
} pct[PCT_THREADS];
static uint64_t pct_points; /* points passed by all threads */
static uint64_t change_at[FL_PCT_MAX_DEPTH];
static int changes;
int fl_pct_on;

void fl_pct_init(void) {
  if (!fl_schedule_has(&fl_sched, FL_KEY_PCT_DEPTH)) return;
  const uint64_t seed = fl_sched.value[FL_KEY_SEED];
  changes = (int)fl_sched.value[FL_KEY_PCT_DEPTH] - 1;
  for (int i = 0; i < changes; i++) change_at[i] = fl_pct_change_point(seed, fl_sched.value[FL_KEY_PCT_POINTS], i + 1);
  for (int t = 0; t < PCT_THREADS; t++) pct[t].priority = fl_pct_priority(seed, t);
  fl_pct_on = 1;
  fl_points_scheduled = 1;
}

static int pct_slot(void) {
  const int t = fl_thread_index();
  return t >= 0 && t < PCT_THREADS ? t : -1;
}

void fl_pct_set_thread_state(int thread, enum fl_pct_state s) {
  if (thread >= 0 && thread < PCT_THREADS) __atomic_store_n(&pct[thread].state, s, __ATOMIC_RELEASE);
}

void fl_pct_set_state(enum fl_pct_state s) { fl_pct_set_thread_state(fl_thread_index(), s); }

void fl_pct_wait_on(uintptr_t object) {
  const int t = pct_slot();
  if (t < 0) return;
  __atomic_store_n(&pct[t].waits_on, object, __ATOMIC_RELAXED);
  __atomic_store_n(&pct[t].state, FL_PCT_WAITING, __ATOMIC_RELEASE);
}

/* A waiter that loses the race for the object blocks again while we count it
   runnable: lower threads then wait at their points, at most us= each. */
void fl_pct_release(uintptr_t object) {
  for (int t = 0; t < PCT_THREADS; t++) {
    int waiting = FL_PCT_WAITING;
    if (__atomic_load_n(&pct[t].waits_on, __ATOMIC_RELAXED) == object)
      __atomic_compare_exchange_n(&pct[t].state, &waiting, FL_PCT_RUNNABLE, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
  }
}

/* In a fork only the forking thread lives on: the parent's others must not outrank it. */
void fl_pct_forked(void) {
  const int me = pct_slot();
  for (int t = 0; t < PCT_THREADS; t++)
    if (t != me) __atomic_store_n(&pct[t].state, FL_PCT_EXITED, __ATOMIC_RELAXED);
}

void fl_pct_thread_exits(void) {
  fl_pct_set_state(FL_PCT_EXITED);
  fl_pct_release((uintptr_t)pthread_self());
}

static int outranked(int me) {
  const uint64_t mine = __atomic_load_n(&pct[me].priority, __ATOMIC_RELAXED);
  for (int t = 0; t < PCT_THREADS; t++) {
    if (t == me || __atomic_load_n(&pct[t].state, __ATOMIC_ACQUIRE) != FL_PCT_RUNNABLE) continue;
    const uint64_t theirs = __atomic_load_n(&pct[t].priority, __ATOMIC_RELAXED);
    if (theirs > mine || (theirs == mine && t < me)) return 1;
  }
  return 0;
}

static uint64_t pct_waits_reported;

static void pct_point(enum fl_schedule_key at, uint64_t count) {
  const int me = pct_slot();
  if (me < 0) return;
  __atomic_store_n(&pct[me].state, FL_PCT_RUNNABLE, __ATOMIC_RELEASE);
  const uint64_t n = __atomic_add_fetch(&pct_points, 1, __ATOMIC_RELAXED);
  for (int i = 0; i < changes; i++)
    if (n == change_at[i]) {
      __atomic_store_n(&pct[me].priority, (uint64_t)(i + 1), __ATOMIC_RELAXED); /* below every initial priority */
      fl_emit(FL_EVENT_PCT_CHANGE, (uint64_t)(i + 1), n, 0, (uint64_t)me);
    }
  const uint64_t bound = fl_schedule_has(&fl_sched, FL_KEY_PCT_US) ? fl_sched.value[FL_KEY_PCT_US] : 2000;
  uint64_t waited = 0;
  for (; waited < bound && outranked(me); waited += PCT_NAP_US) nap_us(PCT_NAP_US);
  /* The waits are what minimize turns a pct schedule into single delays from. */
  if (waited && __atomic_fetch_add(&pct_waits_reported, 1, __ATOMIC_RELAXED) < 256)
    fl_emit(FL_EVENT_DELAYED, waited, FL_HELD_BY_PCT | (at == FL_KEY_DELAY_SYNC ? FL_HELD_AT_SYNC : 0), count,
            (uint64_t)me);
}

void fl_scheduled_point(enum fl_schedule_key at, uint64_t count) {
  delay_point(at, count);
  if (fl_pct_on) pct_point(at, count);
}
