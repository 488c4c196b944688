/* Calls into functions outside POSIX's async-signal-safe list (the table in
   unsafe_calls.h). From a program handler such a call is the finding
   signal-unsafe-call; under `malloc-signal ... in=NAME` the scheduled call of
   NAME is single-stepped as alloc.c does the allocator's. Only calls through
   the PLT reach these wrappers: libc calling its own stdio or locks does not,
   which is what we want (the finding is about the handler's own calls).
   They run in handlers and around libc's locks: RULES.md in full. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "inject_internal.h"
#include "raw_syscall.h"
#include "unsafe_calls.h"

/* Not <stdio.h>, <stdlib.h> or <libintl.h>: their inline and macro versions
   of these very functions (putchar, gettext under -O2) would clash with ours. */
typedef struct _IO_FILE FILE;

static void *real[FL_CALL_COUNT];
int fl_in_family = -1;

void fl_bind_unsafe_calls(void) {
#define FL_X(id, fn, family, traits, shape, ret, params, args) real[FL_CALL_##id] = dlsym(RTLD_NEXT, #fn);
  FL_UNSAFE_CALLS(FL_X)
#undef FL_X
  /* dlsym can give the GLIBC_2.2.5 compatibility condvars; programs use the 2.3.2 ones. */
  static const struct { int id; const char *name; } condvars[] = {
      {FL_CALL_PTHREAD_COND_WAIT, "pthread_cond_wait"}, {FL_CALL_PTHREAD_COND_TIMEDWAIT, "pthread_cond_timedwait"},
      {FL_CALL_PTHREAD_COND_SIGNAL, "pthread_cond_signal"}, {FL_CALL_PTHREAD_COND_BROADCAST, "pthread_cond_broadcast"}};
  for (size_t i = 0; i < sizeof condvars / sizeof condvars[0]; i++) {
    void *v = dlvsym(RTLD_NEXT, condvars[i].name, "GLIBC_2.3.2");
    if (v) real[condvars[i].id] = v;
  }
}

/* A crash reporter's printf runs after the root cause, the crash: handlers of
   crash signals are not reported. */
#define BIT(sig) (1ull << (sig))
static const uint64_t crash_signals =
    BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGABRT) | BIT(SIGTRAP) | BIT(SIGSYS);

static void called_in_handler(int id, int family) {
  static int reported_by[FL_CALL_COUNT]; /* the first call of each family per process: its pid */
  /* No harness listening (a fuzz engine runs the program): the engine's own
     handlers print (libFuzzer's timeout and interrupt reports), and aborting
     there would turn them into crashes. Our own probe load is not the program's. */
  if (fl_event_fd < 0 || fl_self.in_probe) return;
  const int depth = fl_handler_depth();
  if (depth <= 0 || depth > FL_MAX_HANDLER_DEPTH) return;
  const struct fl_handler_level *h = &fl_self.levels[depth - 1];
  if ((crash_signals >> h->sig) & 1 || h->in_safe_wait) return;
  /* The allocator's own locks (jemalloc's pthread_mutex_lock) are the allocator's business. */
  if (fl_self.in_allocator > h->interrupted_alloc) return;
  const int pid = (int)fl_sys_getpid();
  if (__atomic_exchange_n(&reported_by[family], pid, __ATOMIC_RELAXED) == pid) return;
  fl_report(FL_FINDING_SIGNAL_UNSAFE_CALL, FL_UNSAFE_DETAIL(id, h->sig, h->interrupted_call));
}

/* Inlined into each wrapper's watched path so single-stepping starts right at
   its call site. Returns the interposed call this one is inside. */
static inline __attribute__((always_inline)) int call_enter(int id, int family, uintptr_t object) {
  if (fl_not_ready() && !real[id]) fl_bind_unsafe_calls();  // allowed: only before init has finished
  const int outer = fl_self.in_call;
  fl_self.in_call = family + 1;
  const int traits = fl_call_traits(id); /* a constant: id is one after inlining */
  if (__builtin_expect(fl_self.in_handler, 0) && traits & FL_TRAIT_UNSAFE) called_in_handler(id, family);
  /* Sync points: where explore --injector interleave holds and orders threads.
     Out of line only when a delay or pct is scheduled: every mutex call passes here. */
  if (traits & FL_TRAIT_POINT) {
    fl_pass_sync_point();
    if (__builtin_expect(fl_pct_on, 0)) {
      if (traits & FL_TRAIT_WAITS) fl_self.pct_waiting = 1, fl_pct_wait_on(object);
      if (traits & FL_TRAIT_RELEASES) fl_self.pct_releasing = object;
    }
    if (traits & FL_TRAIT_EXITS) fl_thread_ends();
  }
  if (__builtin_expect(family == fl_in_family, 0)) fl_step_begin(FL_STEP_CALL, ++fl_self.in_calls);
  return outer;
}

static inline __attribute__((always_inline)) void call_leave(const int *outer) {
  if (__builtin_expect(fl_self.pct_waiting, 0)) {
    fl_self.pct_waiting = 0;
    fl_pct_set_state(FL_PCT_RUNNABLE);
  }
  if (__builtin_expect(fl_self.pct_releasing != 0, 0)) {
    fl_pct_release(fl_self.pct_releasing);
    fl_self.pct_releasing = 0;
  }
  fl_step_end(FL_STEP_CALL);
  fl_self.in_call = *outer;
}

/* The object a sync point waits on or releases: the call's first argument (0: none). */
#define FL_FIRST_ARG(...) FL_FIRST_ARG_(__VA_ARGS__ __VA_OPT__(, ) 0, ~)
#define FL_FIRST_ARG_(first, ...) first
#define FL_SCOPE(id, family, args)                                  \
  const int fl_outer __attribute__((cleanup(call_leave), unused)) = \
      call_enter(FL_CALL_##id, FL_CALL_##family, (uintptr_t)(FL_FIRST_ARG args))
#define FL_REAL(id) ((fl_fn_##id)real[FL_CALL_##id])

/* Nothing to note: no program handler can run, no in=, no delay, pct or
   census. A mutex call then costs one load and a branch more than the bare call. */
#define FL_UNWATCHED(id) (__builtin_expect(!__atomic_load_n(&fl_watching, __ATOMIC_RELAXED), 1) && real[FL_CALL_##id])

/* One wrapper per row, by its shape (see unsafe_calls.h). VALUE and VOID
   rows (the sync points among them) keep the watched path out of line, so
   the unwatched one is a load, a branch and a tail call: no frame to set up. */
#define FL_WRAP_VALUE(id, fn, family, ret, params, args)       \
  static __attribute__((noinline)) ret watched_##id params {   \
    FL_SCOPE(id, family, args);                                \
    return FL_REAL(id) args;                                   \
  }                                                            \
  FL_EXPORT ret fn params {                                    \
    if (FL_UNWATCHED(id)) return FL_REAL(id) args;             \
    return watched_##id args;                                  \
  }
#define FL_WRAP_VOID(id, fn, family, ret, params, args)        \
  static __attribute__((noinline)) void watched_##id params {  \
    FL_SCOPE(id, family, args);                                \
    FL_REAL(id) args;                                          \
  }                                                            \
  FL_EXPORT ret fn params {                                    \
    if (FL_UNWATCHED(id)) {                                    \
      FL_REAL(id) args;                                        \
      return;                                                  \
    }                                                          \
    watched_##id args;                                         \
  }
#define FL_WRAP_NORETURN(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                                 \
    FL_SCOPE(id, family, args);                                   \
    FL_REAL(id) args;                                       \
    __builtin_unreachable();                                \
  }
#define FL_WRAP_VA_VALUE(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                                 \
    FL_SCOPE(id, family, args);                                   \
    va_list ap;                                             \
    va_start(ap, fmt);                                      \
    ret r = FL_REAL(V##id) args;                            \
    va_end(ap);                                             \
    return r;                                               \
  }
#define FL_WRAP_VA_VOID(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                                \
    FL_SCOPE(id, family, args);                                  \
    va_list ap;                                            \
    va_start(ap, fmt);                                     \
    FL_REAL(V##id) args;                                   \
    va_end(ap);                                            \
  }

/* All the function types first: a variadic row calls its v-variant's. */
#define FL_X(id, fn, family, traits, shape, ret, params, args) typedef ret (*fl_fn_##id) params;
FL_UNSAFE_CALLS(FL_X)
#undef FL_X
#define FL_X(id, fn, family, traits, shape, ret, params, args) FL_WRAP_##shape(id, fn, family, ret, params, args)
FL_UNSAFE_CALLS(FL_X)
#undef FL_X
