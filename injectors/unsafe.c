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
#include <stdarg.h>
#include <time.h>

#include "inject_internal.h"
#include "unsafe_calls.h"

/* Not <stdio.h>, <stdlib.h> or <libintl.h>: their inline and macro versions
   of these very functions (putchar, gettext under -O2) would clash with ours. */
typedef struct _IO_FILE FILE;

static void *real[FL_CALL_COUNT];
int fl_in_family = -1;

void fl_bind_unsafe_calls(void) {
#define FL_X(id, fn, family, shape, ret, params, args) real[FL_CALL_##id] = dlsym(RTLD_NEXT, #fn);
  FL_UNSAFE_CALLS(FL_X)
#undef FL_X
}

/* A crash reporter's printf runs after the root cause, the crash: handlers of
   crash signals are not reported. */
#define BIT(sig) (1ull << (sig))
static const uint64_t crash_signals =
    BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGABRT) | BIT(SIGTRAP) | BIT(SIGSYS);

static void called_in_handler(int id, int family) {
  static int reported[FL_CALL_COUNT]; /* the first call of each function per process */
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
  if (__atomic_exchange_n(&reported[family], 1, __ATOMIC_RELAXED)) return;
  fl_report(FL_FINDING_SIGNAL_UNSAFE_CALL, FL_UNSAFE_DETAIL(id, h->sig, h->interrupted_call));
}

/* Inlined into each wrapper so single-stepping starts right at its call site.
   Until a handler runs and unless in= names this function, a call costs a
   few loads and one store. Returns the interposed call this one is inside. */
static inline __attribute__((always_inline)) int call_enter(int id, int family) {
  if (__builtin_expect(!real[id], 0)) fl_bind_unsafe_calls();  // allowed: only before our constructor ran
  const int outer = fl_self.in_call;
  fl_self.in_call = family + 1;
  if (__builtin_expect(fl_self.in_handler, 0)) called_in_handler(id, family);
  /* Lock points: where explore --injector interleave holds a thread back. */
  if (family == FL_CALL_PTHREAD_MUTEX_LOCK || family == FL_CALL_PTHREAD_MUTEX_UNLOCK) {
    ++fl_self.lock_points;
    /* Out of line only when a delay is scheduled: every mutex call passes here. */
    if (__builtin_expect(fl_schedule_has(&fl_sched, FL_KEY_DELAY_US), 0)) fl_delay_point(FL_KEY_DELAY_LOCK, fl_self.lock_points);
  }
  if (__builtin_expect(family == fl_in_family, 0)) fl_step_begin(FL_STEP_CALL, ++fl_self.in_calls);
  return outer;
}

static inline __attribute__((always_inline)) void call_leave(const int *outer) {
  fl_step_end(FL_STEP_CALL);
  fl_self.in_call = *outer;
}

#define FL_SCOPE(id, family) \
  const int fl_outer __attribute__((cleanup(call_leave), unused)) = call_enter(FL_CALL_##id, FL_CALL_##family)
#define FL_REAL(id) ((fl_fn_##id)real[FL_CALL_##id])

/* One wrapper per row, by its shape (see unsafe_calls.h). */
#define FL_WRAP_VALUE(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                              \
    FL_SCOPE(id, family);                                \
    return FL_REAL(id) args;                             \
  }
#define FL_WRAP_VOID(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                             \
    FL_SCOPE(id, family);                               \
    FL_REAL(id) args;                                   \
  }
#define FL_WRAP_NORETURN(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                                 \
    FL_SCOPE(id, family);                                   \
    FL_REAL(id) args;                                       \
    __builtin_unreachable();                                \
  }
#define FL_WRAP_VA_VALUE(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                                 \
    FL_SCOPE(id, family);                                   \
    va_list ap;                                             \
    va_start(ap, fmt);                                      \
    ret r = FL_REAL(V##id) args;                            \
    va_end(ap);                                             \
    return r;                                               \
  }
#define FL_WRAP_VA_VOID(id, fn, family, ret, params, args) \
  FL_EXPORT ret fn params {                                \
    FL_SCOPE(id, family);                                  \
    va_list ap;                                            \
    va_start(ap, fmt);                                     \
    FL_REAL(V##id) args;                                   \
    va_end(ap);                                            \
  }

/* All the function types first: a variadic row calls its v-variant's. */
#define FL_X(id, fn, family, shape, ret, params, args) typedef ret (*fl_fn_##id) params;
FL_UNSAFE_CALLS(FL_X)
#undef FL_X
#define FL_X(id, fn, family, shape, ret, params, args) FL_WRAP_##shape(id, fn, family, ret, params, args)
FL_UNSAFE_CALLS(FL_X)
#undef FL_X
