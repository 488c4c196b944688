/* State shared by the parts of libfaultline-inject.so. See RULES.md. */
#ifndef FAULTLINE_INJECT_INTERNAL_H
#define FAULTLINE_INJECT_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "event_record.h"
#include "schedule.h"

#define FL_EXPORT __attribute__((visibility("default")))
/* Static TLS: a __tls_get_addr call could allocate, inside malloc or a handler. */
#define FL_TLS __thread __attribute__((tls_model("initial-exec")))

#define FL_MAX_HANDLER_DEPTH 8

struct fl_thread {
  int index_plus1;          /* thread index + 1; 0 = not known */
  uint64_t alloc_calls;     /* allocator calls made by this thread */
  uint64_t in_calls;        /* calls of the function `in=` names (unsafe.c) */
  uint64_t sync_points;     /* sync points passed (unsafe_calls.h _POINT rows, pthread_create): `delay sync=` counts them */
  int pct_waiting;          /* inside a call that may block, under pct: not runnable */
  uintptr_t pct_releasing;  /* inside a call that releases this object, under pct */
  int in_allocator;         /* inside one of our allocator wrappers */
  int in_call;              /* family + 1 of the interposed unsafe call running (unsafe_calls.h); 0 none */
  int in_handler;           /* program handlers we wrapped that are running (nesting depth) */
  /* Per nesting level: where the wrapper's frame is (a siglongjmp out of the
     handler leaves it behind: the level is then stale), whether it runs on an
     alternate stack (no frame comparison there), the signal, whether it
     interrupted the allocator, and which unsafe call it interrupted (in_call). */
  struct fl_handler_level {
    uintptr_t frame;
    int on_altstack;
    uintptr_t altstack_lo, altstack_hi; /* the alternate stack it runs on */
    int sig;
    int interrupted_alloc;
    int interrupted_call;
    /* The interrupted code had the signal blocked: it came in a call that
       unblocks it for the wait (sigsuspend, pselect, ppoll), where POSIX
       allows any call in the handler. */
    int in_safe_wait;
  } levels[FL_MAX_HANDLER_DEPTH];
  int stepping;             /* single-stepping the scheduled call: its enum fl_step_owner, 0 not */
  uint64_t steps;
  int in_probe;             /* our own lazy-handler dlopen: not the program's doing */
};
extern FL_TLS struct fl_thread fl_self;

extern struct fl_schedule fl_sched;
/* Allocator calls are watched (reentrancy, stepping) once anything could
   interrupt them: a program handler, or a malloc-signal schedule; they and
   the sync-point wrappers (unsafe.c) are, too, once a delay, pct or a census
   counts points. Unwatched, a sync-point wrapper only forwards the call. */
extern int fl_watching;
extern int fl_event_fd;
/* This process is the one malloc-signal interrupts (FL_ENV_ROOT_PID / process=). */
extern int fl_in_target_process;

/* Every wrapper's first step: binds the next definitions of everything we
   interpose and reads the schedule, once, from our constructor or from the
   first wrapped call that comes before it (another library's constructor).
   After that, one load: no wrapper binds anything lazily (RULES.md 4). */
extern int fl_ready;
void fl_init_once(void);
static inline void fl_init(void) {
  if (__builtin_expect(!__atomic_load_n(&fl_ready, __ATOMIC_ACQUIRE), 0)) fl_init_once();
}
/* fl_init has not finished: a wrapper called from another library's
   constructor before ours, or our own init re-entering (its dlsym allocates,
   and jemalloc's first malloc takes a mutex through our wrapper). The wrapper
   then binds the few symbols it needs itself; after init this is one load. */
static inline int fl_not_ready(void) { return __builtin_expect(!__atomic_load_n(&fl_ready, __ATOMIC_RELAXED), 0); }
int fl_pc_is_ours(uint64_t pc);
/* At init: handlers and timers that were set up before we could see them. */
void fl_adopt_installed_handlers(void);
void fl_take_over_armed_timers(void);

/* The schedule's text: the environment's, or a fuzzer's baked-in one (init only). */
const char *fl_schedule_line(void);
/* At init, for `live-pointers on`: every returned pointer is checked from now on. */
void fl_watch_live_pointers(void);
/* At init: whose malloc serves this process (dlsym, dladdr: before the
   program's call count is restored). */
void fl_find_allocator(void);
/* FL_EVENT_ALLOCATOR from what fl_find_allocator found: at init, and in a forked child. */
void fl_emit_allocator(void);
/* A block is being freed by a path that may not reach our free (sized deletes, sdallocx). */
void fl_block_released(void *p);
void fl_emit(uint16_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
/* Reports a finding (first of each kind per process) and checkpoints the stack. */
void fl_report_finding(enum fl_finding what, uint64_t detail);
/* The same for every call: the caller decides what is a repeat. */
void fl_report(enum fl_finding what, uint64_t detail);
/* A record the tracer takes with this thread's stack, while it holds the
   thread (event_record.h: not through the pipe). */
void fl_emit_checkpointed(uint16_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
int fl_thread_index(void); /* -1 when unknown */
/* This thread is ending (its start routine returned, pthread_exit, or the
   process exits): its counts for explore's census (FL_EVENT_EXITING), and pct. */
void fl_thread_ends(void);
/* At the process's end: the census counts of numbered threads still running. */
void fl_census_of_running_threads(void);
/* At init: threads that end any way at all leave the census's table. */
void fl_watch_thread_ends(void);
/* Handler nesting depth now, after dropping levels a siglongjmp jumped out of. */
int fl_handler_depth(void);
/* The innermost running handler level that interrupted the allocator, if any. */
const struct fl_handler_level *fl_interrupting_handler(void);

/* Set by the sigaction wrapper: the program has a handler for this signal. */
int fl_program_handles(int sig);
/* Bound by fl_init: the next definitions of functions we interpose. */
void fl_bind_signals(void);
void fl_install_step_handler(void);
void fl_bind_stack(void);
void fl_bind_sized_delete(void);
void fl_bind_unsafe_calls(void);

/* ---- malloc-signal in-process: single-stepping one scheduled call ---- */

/* Whose call is stepped: the allocator's (alloc.c), or, under `in=`, the
   interposed unsafe function's (unsafe.c). A wrapper ends only its own stepping:
   syslog's allocations must not stop the stepping of syslog. */
enum fl_step_owner { FL_STEP_NONE, FL_STEP_ALLOC, FL_STEP_CALL };
extern int fl_step_owner;      /* set at init from the schedule */
extern uint64_t fl_step_call;  /* the `call=` counted by that owner's counter */
extern int fl_in_family;       /* the family `in=` names (unsafe_calls.h); -1 none */

/* ---- interleave.c: `delay` and `pct` at every point ---- */

/* A delay or a pct schedule is given: every point goes out of line to fl_scheduled_point. */
extern int fl_points_scheduled;
extern int fl_pct_on;
/* This thread passes its `count`-th point of kind `at` (FL_KEY_DELAY_CALL or _SYNC). */
void fl_scheduled_point(enum fl_schedule_key at, uint64_t count);
/* A thread is created (+1) or has begun to run, or failed to start (-1):
   a held thread waits for the ones the others started while it was held. */
void fl_thread_starting(int delta);
enum fl_pct_state { FL_PCT_UNSEEN, FL_PCT_RUNNABLE, FL_PCT_WAITING, FL_PCT_EXITED };
void fl_pct_init(void);
void fl_pct_set_state(enum fl_pct_state s); /* this thread's */
void fl_pct_set_thread_state(int thread, enum fl_pct_state s);
/* This thread blocks on `object` (a mutex, condvar, rwlock, semaphore; a pthread_t it joins). */
void fl_pct_wait_on(uintptr_t object);
/* Threads waiting on `object` may go now: they are runnable again. */
void fl_pct_release(uintptr_t object);
/* This thread ends: exited, and whoever joins it may go. */
void fl_pct_thread_exits(void);
/* In a forked child: the parent's other threads are gone. */
void fl_pct_forked(void);
static inline void fl_pass_sync_point(void) {
  ++fl_self.sync_points;
  if (__builtin_expect(fl_points_scheduled, 0)) fl_scheduled_point(FL_KEY_DELAY_SYNC, fl_self.sync_points);
}
/* The counter `call=` counts: calls of the in= function, or of the allocator. */
static inline uint64_t fl_calls_of(const struct fl_thread *t) { return fl_in_family >= 0 ? t->in_calls : t->alloc_calls; }
static inline uint64_t fl_scheduled_calls(void) { return fl_calls_of(&fl_self); }

/* The scheduled call has come on some thread: 1 when the caller must set the
   trap flag now (right thread, the program handles the signal, it can be delivered). */
int fl_step_armed(int owner);

static inline __attribute__((always_inline)) void fl_set_trap_flag(void) {
  __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
}
static inline __attribute__((always_inline)) void fl_clear_trap_flag(void) {
  __asm__ volatile("pushfq; andq $-0x101, (%%rsp); popfq" ::: "memory", "cc");
}
/* Inlined into a wrapper right before it calls the real function: the first
   step is the wrapper's next instruction. The empty asm keeps the stepping
   branch jumping back to the one call site (GCC would copy the call into it),
   so instruction numbers stay as they were: malloc's first is step 3. */
static inline __attribute__((always_inline)) void fl_step_begin(int owner, uint64_t call) {
  if (__builtin_expect(owner == fl_step_owner && call == fl_step_call, 0) && fl_step_armed(owner)) fl_set_trap_flag();
  __asm__ volatile("" ::: "memory");
}
static inline __attribute__((always_inline)) void fl_step_end(int owner) {
  if (__builtin_expect(fl_self.stepping == owner, 0)) {
    fl_clear_trap_flag();
    fl_self.stepping = FL_STEP_NONE;
  }
}

#endif
