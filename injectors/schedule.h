/* The schedule: one human-readable line that fully describes a run's faults,
   e.g. "stack main=64K ; seed=0x5eed". The same parser runs in the harness
   and, at constructor time, in libfaultline-inject.so, so it allocates
   nothing and calls no libc. */
#ifndef FAULTLINE_SCHEDULE_H
#define FAULTLINE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "allocator_table.h"

#ifdef __cplusplus
extern "C" {
#endif

enum fl_value_kind {
  FL_VAL_SIZE, /* bytes; suffixes K, M, G (powers of 1024) */
  FL_VAL_UINT, /* decimal or 0x-hex */
  FL_VAL_FLAG, /* a bare word: present or not */
  FL_VAL_SIGNAL, /* SIGPROF, PROF or 27 */
  FL_VAL_WORD, /* a name: 1..FL_SCHEDULE_MAX_WORD-1 of [A-Za-z0-9_.+-] (a process, a function) */
};

#define FL_SCHEDULE_MAX_WORD 32
#define FL_PCT_MAX_DEPTH 8

/* The one table of schedule keys. X(ID, item, key, kind, required, help), in
   canonical order. key "" is the item's own value, written item=value; a
   required key must be given whenever its item is.
   Add a row here and everything else (parser, formatter, --help) follows.
   The `alloc` item has a flag per allocator, from allocator_table.h. */
#define FL_ALLOC_SCHEDULE_KEY(X, id, name, library, package, module_prefix, help, ...) \
  X(ALLOC_##id, "alloc", name, FL_VAL_FLAG, 0, help(name, library))
#define FL_SCHEDULE_KEYS(X)                                                                  \
  X(MS_SIG, "malloc-signal", "sig", FL_VAL_SIGNAL, 1,                                        \
    "signal raised on the thread while the allocator is paused (the program must handle it)") \
  X(MS_THREAD, "malloc-signal", "thread", FL_VAL_UINT, 0,                                    \
    "thread index, 0 = main thread, then creation order (default 0)")                        \
  X(MS_CALL, "malloc-signal", "call", FL_VAL_UINT, 1,                                        \
    "which allocator call of that thread, counted from 1 at process start")                  \
  X(MS_IN, "malloc-signal", "in", FL_VAL_WORD, 0,                                            \
    "count and step calls of this function instead of the allocator's (one outside the "     \
    "async-signal-safe list that faultline interposes: syslog, printf, fputs, gettext, "     \
    "localtime, exit, pthread_mutex_lock, ...)")                                             \
  X(MS_INSN, "malloc-signal", "insn", FL_VAL_UINT, 0,                                        \
    "single-step that call and raise sig at this instruction (from the call site)")          \
  X(MS_TRACE, "malloc-signal", "trace", FL_VAL_FLAG, 0,                                      \
    "single-step the whole call and report every instruction address; raise nothing")        \
  X(MS_PTRACE, "malloc-signal", "ptrace", FL_VAL_FLAG, 0,                                    \
    "do it from the tracer: breakpoints on the executable's own allocator symbols and "      \
    "PTRACE_SINGLESTEP (static binaries, statically linked allocators)")                     \
  X(MS_PROCESS, "malloc-signal", "process", FL_VAL_WORD, 0,                                  \
    "interrupt the process with this program name (its comm, e.g. make; a longer name "     \
    "matches comm's 15 characters); default: the process faultline started, not its forks") \
  X(STACK_MAIN, "stack", "main", FL_VAL_SIZE, 0,                                             \
    "main-thread stack size; set as RLIMIT_STACK before exec (glibc also sizes default "     \
    "pthread stacks from it)")                                                               \
  X(STACK_THREADS, "stack", "threads", FL_VAL_SIZE, 0,                                       \
    "stack size of every thread the program creates (pthread_create interposed); threads "   \
    "that chose their own size keep it")                                                     \
  X(STACK_FORCE, "stack", "force", FL_VAL_FLAG, 0,                                           \
    "threads= applies to threads that chose their own size too")                             \
  X(STACK_ALTSTACK, "stack", "altstack", FL_VAL_SIZE, 0,                                     \
    "shrink every sigaltstack the program installs to this size")                            \
  X(LAZY_HANDLER, "lazy-handler", "on", FL_VAL_FLAG, 1,                                      \
    "every handler the program installs first dlopen()s a fresh library, as backtrace() "    \
    "does on first use")                                                                     \
  FL_ALLOCATORS(FL_ALLOC_SCHEDULE_KEY, X)                                                    \
  X(QUARANTINE, "quarantine", "", FL_VAL_UINT, 1,                                             \
    "hold this many freed blocks (at most 4096) before really freeing them, poisoned: a "   \
    "second free or a write to a held block is caught (double-free, use-after-free)")       \
  X(LIVE_POINTERS, "live-pointers", "on", FL_VAL_FLAG, 1,                                   \
    "check every pointer the allocator returns against those still live, from the start: "   \
    "duplicate-allocation whatever caused it (by default the check starts at a reentrancy)") \
  X(DELAY_THREAD, "delay", "thread", FL_VAL_UINT, 0, "thread index to pause (default 0)")    \
  X(DELAY_CALL, "delay", "call", FL_VAL_UINT, 0, "at this allocator call of that thread")    \
  X(DELAY_SYNC, "delay", "sync", FL_VAL_UINT, 0,                                             \
    "or at this sync point of that thread: its pthread mutex, condvar, rwlock, semaphore, "   \
    "sleep, sched_yield, create and join calls, counted from 1 (the pause comes before the call)") \
  X(DELAY_US, "delay", "us", FL_VAL_UINT, 1,                                                 \
    "for this many microseconds: widens a race window to make an interleaving happen")       \
  X(CENSUS_POINTS, "census", "points", FL_VAL_FLAG, 1,                                      \
    "count every thread's sync points for explore --injector interleave's census (without "  \
    "it, or a delay or pct, the sync-point wrappers only forward the call)")                 \
  X(PCT_DEPTH, "pct", "depth", FL_VAL_UINT, 1,                                              \
    "PCT-style schedule of depth d (1..8): every thread gets a priority drawn from seed=; "  \
    "at d-1 points drawn from 1..points= the thread passing it drops below all others; at "  \
    "each of its points a thread waits while a thread of higher priority is runnable")       \
  X(PCT_POINTS, "pct", "points", FL_VAL_UINT, 1,                                             \
    "k: the points (allocator calls and sync points of all threads) a census run passed")    \
  X(PCT_US, "pct", "us", FL_VAL_UINT, 0,                                                     \
    "longest wait at one point (default 2000): a higher thread that runs on without a point, " \
    "or blocks where faultline cannot see, lets the lower one go after this")                \
  X(TIMERS_OFF, "timers", "off", FL_VAL_FLAG, 1,                                            \
    "the program's timers (setitimer, timer_settime, alarm) are not armed, so only the "      \
    "schedule raises signals (implied by malloc-signal)")                                    \
  X(SEED, "seed", "", FL_VAL_UINT, 1, "seed of a sampled schedule, recorded so the run replays")

enum fl_schedule_key {
#define FL_X(id, item, key, kind, required, help) FL_KEY_##id,
  FL_SCHEDULE_KEYS(FL_X)
#undef FL_X
      FL_KEY_COUNT
};

struct fl_schedule {
  uint64_t present; /* bit k set when key k was given */
  uint64_t value[FL_KEY_COUNT];
  char word[FL_KEY_COUNT][FL_SCHEDULE_MAX_WORD]; /* FL_VAL_WORD keys: the name, NUL-terminated */
  /* Which item of the line (counted from 0) gave key k, and how many items
     the line had: the order the harness keeps when it edits a schedule item
     by item. Every item gives a new key, so there are at most FL_KEY_COUNT. */
  uint8_t item_of[FL_KEY_COUNT];
  uint8_t items;
};

struct fl_schedule_key_info {
  const char *item;
  const char *key;
  enum fl_value_kind kind;
  int required;
  const char *help;
};
extern const struct fl_schedule_key_info fl_schedule_keys[FL_KEY_COUNT];

#define FL_SCHEDULE_MAX_LINE 1024

/* Parses `line` (NUL-terminated, may be empty). Returns 0, or -1 with a
   one-line reason in err (always NUL-terminated when errlen > 0). */
int fl_schedule_parse(const char *line, struct fl_schedule *out, char *err, size_t errlen);

/* Writes the canonical form ("" for an empty schedule). Returns its length,
   or 0 if it does not fit. */
size_t fl_schedule_format(const struct fl_schedule *s, char *buf, size_t len);

/* The family (unsafe_calls.h) a name such as "syslog" is; -1 if none: what in= may name. */
int fl_unsafe_family_of(const char *name);

/* "SIGPROF" for 27; 0 for a number it has no name for. */
const char *fl_signal_name(int sig);

/* Parses a size such as "4096", "64K", "1M" (NUL-terminated). Returns 0 or -1. */
int fl_parse_size(const char *text, uint64_t *out);

/* pct's draws, the same in the injector and the harness: splitmix64. */
static inline uint64_t fl_pct_draw(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
/* Thread t's priority at start: above the 1..d-1 that change points give; higher runs first. */
static inline uint64_t fl_pct_priority(uint64_t seed, int t) {
  return FL_PCT_MAX_DEPTH + (fl_pct_draw(seed, 0x1000 + (uint64_t)t) >> 8);
}
/* Change point i (1..d-1): the number of the point, over all threads, whose thread drops to priority i. */
static inline uint64_t fl_pct_change_point(uint64_t seed, uint64_t points, int i) {
  return 1 + fl_pct_draw(seed, (uint64_t)i) % (points ? points : 1);
}

static inline int fl_schedule_has(const struct fl_schedule *s, enum fl_schedule_key k) {
  return (int)((s->present >> k) & 1u);
}

#ifdef __cplusplus
}
#endif

#endif
