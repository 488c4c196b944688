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
  int in_allocator;         /* inside one of our allocator wrappers */
  int in_handler;           /* program handlers we wrapped that are running (nesting depth) */
  /* Per nesting level: where the wrapper's frame is (a siglongjmp out of the
     handler leaves it behind: the level is then stale), whether it runs on an
     alternate stack (no frame comparison there), the signal, and whether it
     interrupted the allocator. */
  struct fl_handler_level {
    uintptr_t frame;
    int on_altstack;
    int sig;
    int interrupted_alloc;
  } levels[FL_MAX_HANDLER_DEPTH];
  int stepping;             /* single-stepping the scheduled call */
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

#endif
