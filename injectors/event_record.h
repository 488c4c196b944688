/* The one interface from the target process back to the harness: fixed-size
   binary records written with a single write(2) to an inherited pipe.
   Included by injectors/ (C) and harness/ (C++); change both sides together
   by bumping FL_EVENT_VERSION. */
#ifndef FAULTLINE_EVENT_RECORD_H
#define FAULTLINE_EVENT_RECORD_H

#include <stdint.h>

#define FL_EVENT_MAGIC 0x56454c46u /* "FLEV" little-endian */
#define FL_EVENT_VERSION 1

/* Environment contract between harness and injector. */
#define FL_ENV_SCHEDULE "FAULTLINE_SCHEDULE"
/* "<fd>:<inode>": the inode guards against writing into an unrelated file
   that reuses the fd number in a descendant that closed ours. */
#define FL_ENV_EVENT_FD "FAULTLINE_EVENT_FD"
/* "1": with no faultline reading the event pipe (a fuzz engine runs the
   program), a sentinel finding aborts the process so the engine saves it. */
#define FL_ENV_ABORT_ON_FINDING "FAULTLINE_ABORT_ON_FINDING"
/* The pid of the process faultline started, as decimal digits (zero-padded):
   malloc-signal interrupts that process (and what it execs in place), not
   the processes it forks, unless the schedule names one with process=NAME.
   Not set under a fuzz engine: every process it runs is the program. */
#define FL_ENV_ROOT_PID "FAULTLINE_ROOT_PID"

enum fl_event_kind {
  /* Injector constructor ran in a process. arg[0] = mask of schedule keys in force. */
  FL_EVENT_HELLO = 1,
  /* pthread_create under `stack threads=`. arg[0] = stack size given (0: the thread
     kept its own), arg[1] = the size the program chose itself (0: default). */
  FL_EVENT_THREAD_STACK = 2,
  /* sigaltstack under `stack altstack=`. arg[0] = size given, arg[1] = size asked for. */
  FL_EVENT_ALTSTACK = 3,
  /* A sentinel fired. arg[0] = enum fl_finding, arg[1] = detail (pointer, signal),
     arg[2] = allocator calls of this thread so far, arg[3] = thread index.
     Comes with a checkpoint (below): the tracer reads the record and the
     thread's stack, and swallows the signal. */
  FL_EVENT_FINDING = 4,
  /* malloc-signal: the scheduled signal was raised. arg[0] = signal, arg[1] = pc
     where the allocator is paused, arg[2] = call, arg[3] = instruction. */
  FL_EVENT_SIGNAL_RAISED = 5,
  /* malloc-signal trace: one single-step. arg[0] = step, arg[1] = pc, arg[2] = call,
     arg[3] = 1 when pc lies in faultline's own wrapper (not the allocator). */
  FL_EVENT_STEP = 6,
  /* The program installed a handler. arg[0] = signal, arg[1] = allocator calls
     of this thread so far (with malloc-signal in=F: calls of F, as call= counts), arg[2] = bit 0: this is the process malloc-signal
     interrupts; bit 1: found already installed when the injector started
     (another library's constructor), arg[3] = thread index. */
  FL_EVENT_HANDLER_INSTALLED = 7,
  /* malloc-signal: the scheduled call came but the program had no handler for
     the signal, so nothing was raised. arg[0] = signal, arg[2] = call. */
  FL_EVENT_POINT_MISSED = 8,
  /* A timer the program armed was not: under malloc-signal the schedule is the
     only source of timer signals. arg[0] = 1 setitimer, 2 timer_settime, 3 alarm. */
  FL_EVENT_TIMER_SUPPRESSED = 9,
  /* rtld-audit: a symbol was lazily bound while a handler ran (counted, not a finding). */
  FL_EVENT_LAZY_SYMBOL_IN_HANDLER = 10,
  /* delay: a thread was paused (with a checkpoint: the tracer reads the held
     stack), or, under pct, a thread waited at a point because a higher one was
     runnable (no checkpoint; the first 256 per process). arg[0] = microseconds,
     arg[1] = FL_HELD_*, arg[2] = the point's count (call= or sync=), arg[3] = thread index. */
  FL_EVENT_DELAYED = 11,
  /* The process is ending (exit or return from main), or a thread returned
     from its start routine. arg[0] = allocator calls of that thread (in=F: calls of F),
     arg[1] = its sync points (unsafe_calls.h), arg[2] = bit 0 as in HANDLER_INSTALLED, arg[3] = thread index. */
  FL_EVENT_EXITING = 12,
  /* pct: a change point. arg[0] = the new priority (1..d-1), arg[1] = the point's
     number over all threads, arg[3] = the thread index that passed it. */
  FL_EVENT_PCT_CHANGE = 13,
  /* The event pipe is gone from this process (it closed the fd, closefrom(3),
     put another file in its place, or was started without it): nothing more
     is written to it. Records that come with a checkpoint still reach the
     harness, and so do the ones a process makes only a few of (HELLO,
     ALLOCATOR, HANDLER_INSTALLED, ...: inject.c); per-step, per-thread and pct
     wait records are dropped. arg[0] = the fd. */
  FL_EVENT_PIPE_LOST = 14,
  /* At init, and in a forked child: whose malloc serves this process. arg[0] = FL_ALLOCATOR_* flags,
     arg[1..3] = the first 24 bytes of the file name (no directory) of the
     object that defines it, NUL-padded ("" with FL_ALLOCATOR_IN_EXECUTABLE). */
  FL_EVENT_ALLOCATOR = 15,
  /* A thread the program started with pthread_create begins, with the number
     the injector gave it (creation order: what a schedule's thread= means).
     The harness takes thread numbers from these, not from the order it sees
     clones in, which counts threads libc starts itself. arg[3] = thread index. */
  FL_EVENT_THREAD_NUMBERED = 16,
};
/* The program's malloc is not ours: a definition that comes before the
   injector (the executable's own) serves it, and the sentinels see nothing. */
#define FL_ALLOCATOR_NOT_INTERPOSED 1u
/* The serving malloc is defined in the executable. */
#define FL_ALLOCATOR_IN_EXECUTABLE 2u
#define FL_ALLOCATOR_NAME_BYTES 24
/* Records that come with a checkpoint (findings, `delay` holds, PIPE_LOST) are
   not written to the pipe: FL_CHECKPOINT_SIGNAL is queued with si_code
   SI_QUEUE and si_value pointing at the record in the thread's memory, which
   the tracer reads while it holds the thread. They survive whatever the
   program does to its file descriptors. */

/* A double free's detail: the pointer (user space: below 2^48) and the
   thread index + 1 that freed it first (0: not known). */
#define FL_DOUBLE_FREE_DETAIL(p, first_by) ((uint64_t)(p) | (uint64_t)(first_by) << 48)
#define FL_DOUBLE_FREE_POINTER(d) ((d) & ((1ull << 48) - 1))
#define FL_DOUBLE_FREE_FIRST_BY(d) ((int)((d) >> 48))

#define FL_HELD_AT_SYNC 1 /* at a sync point; else at an allocator call */
#define FL_HELD_BY_PCT 2  /* a pct wait; else the `delay` item */

enum fl_finding {
  FL_FINDING_SIGNAL_UNSAFE_REENTRANCY = 1, /* allocator entered from a handler that interrupted it; arg[1] = signal */
  FL_FINDING_DUPLICATE_ALLOCATION = 2,     /* allocator returned a pointer still live; arg[1] = it */
  FL_FINDING_LAZY_BINDING = 3,             /* library loaded in a handler; arg[1]: 0 dlopen, 1 la_objopen, 2 la_symbind */
  FL_FINDING_HEAP_SIZE_MISMATCH = 4,       /* sized/aligned delete disagreeing with the block; arg[1] = FL_MISMATCH(...) */
  FL_FINDING_DOUBLE_FREE = 5,              /* free of a block still held in quarantine; arg[1] = FL_DOUBLE_FREE_DETAIL(...) */
  FL_FINDING_USE_AFTER_FREE = 6,           /* a quarantined block was written; arg[1] = pointer */
  FL_FINDING_SIGNAL_UNSAFE_CALL = 7,       /* a handler called a function of unsafe_calls.h; arg[1] = FL_UNSAFE_DETAIL(...) */
};

/* heap-size-mismatch detail: the size the program gave (low 32 bits, saturated),
   what the block really holds (high 31 bits), and whether it is the alignment
   that is wrong (top bit). */
#define FL_MISMATCH_GIVEN_MAX 0xffffffffu
#define FL_MISMATCH_USABLE_MAX 0x7fffffffu
#define FL_MISMATCH(given, usable, bad_alignment)                                                          \
  ((uint64_t)((given) > FL_MISMATCH_GIVEN_MAX ? FL_MISMATCH_GIVEN_MAX : (given)) |                         \
   ((uint64_t)((usable) > FL_MISMATCH_USABLE_MAX ? FL_MISMATCH_USABLE_MAX : (usable)) << 32) |             \
   ((uint64_t)(bad_alignment) << 63))
#define FL_MISMATCH_GIVEN(d) ((uint64_t)(d) & FL_MISMATCH_GIVEN_MAX)
#define FL_MISMATCH_USABLE(d) (((uint64_t)(d) >> 32) & FL_MISMATCH_USABLE_MAX)
#define FL_MISMATCH_BAD_ALIGNMENT(d) ((int)((uint64_t)(d) >> 63))

/* Raised by the injector right after a finding so the tracer can read the
   thread's stack at that moment. Set to SIG_IGN, so outside a tracer it is a no-op. */
#define FL_CHECKPOINT_SIGNAL 16 /* SIGSTKFLT: unused on Linux */

struct fl_event {
  uint32_t magic;
  uint16_t version;
  uint16_t kind; /* enum fl_event_kind */
  int32_t pid;
  int32_t tid;
  uint64_t arg[4];
};

#ifdef __cplusplus
static_assert(sizeof(struct fl_event) == 48, "record layout is part of the protocol");
#else
_Static_assert(sizeof(struct fl_event) == 48, "record layout is part of the protocol");
#endif

#endif
