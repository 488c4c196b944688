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
  uint64_t lock_points;     /* pthread_mutex_lock and _unlock calls (unsafe.c): `delay lock=` counts them */
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
   interrupt them: a program handler, or a malloc-signal schedule. */
extern int fl_watching;
extern int fl_event_fd;
/* This process is the one malloc-signal interrupts (FL_ENV_ROOT_PID / process=). */
extern int fl_in_target_process;

/* Runs once, from our constructor or from the first sigaction/timer call
   that comes before it. */
void fl_init(void);
int fl_pc_is_ours(uint64_t pc);
/* At init: handlers and timers that were set up before we could see them. */
void fl_adopt_installed_handlers(void);
void fl_take_over_armed_timers(void);

void fl_emit(uint16_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
/* Reports a finding (first of each kind per process) and checkpoints the stack. */
void fl_report_finding(enum fl_finding what, uint64_t detail);
/* The same for every call: the caller decides what is a repeat. */
void fl_report(enum fl_finding what, uint64_t detail);
int fl_thread_index(void); /* -1 when unknown */
/* Handler nesting depth now, after dropping levels a siglongjmp jumped out of. */
int fl_handler_depth(void);
/* The innermost running handler level that interrupted the allocator, if any. */
const struct fl_handler_level *fl_interrupting_handler(void);

/* Set by the sigaction wrapper: the program has a handler for this signal. */
int fl_program_handles(int sig);
/* Bound at init: the next definitions of functions we interpose. */
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

/* `delay`: pause this thread if `at` (call= or lock=) names its `count`-th point. */
void fl_delay_point(enum fl_schedule_key at, uint64_t count);
/* The counter `call=` counts: calls of the in= function, or of the allocator. */
static inline uint64_t fl_scheduled_calls(void) { return fl_in_family >= 0 ? fl_self.in_calls : fl_self.alloc_calls; }

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
