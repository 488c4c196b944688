/* Handlers: every handler the program installs is wrapped so we know when a
   thread is inside one (the reentrancy sentinel) and, with `lazy-handler on`,
   so it first loads a library as backtrace() does on first use. Also the
   single-step handler of malloc-signal, the timer takeover and the dlopen
   sentinel. See RULES.md: the wrapper and the step handler run in signal context. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

#include "inject_internal.h"
#include "protocol.h"
#include "raw_syscall.h"
#include "signal_context.h"

#define FL_NSIG 65
#define FL_TRAP_FLAG 0x100

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*setitimer_fn)(int, const struct itimerval *, struct itimerval *);
typedef int (*timer_settime_fn)(timer_t, int, const struct itimerspec *, struct itimerspec *);
typedef unsigned (*alarm_fn)(unsigned);
typedef void *(*dlopen_fn)(const char *, int);
static sigaction_fn real_sigaction;
static setitimer_fn real_setitimer;
static timer_settime_fn real_timer_settime;
static alarm_fn real_alarm;
static dlopen_fn real_dlopen;

/* What the program asked for, per signal; the kernel holds our wrapper instead.
   A handler on one thread reads an entry while another thread's sigaction may
   be writing it (a torn copy is a torn function pointer): a writer publishes
   under the entry's sequence count with every signal blocked, so no handler on
   its own thread can ever wait for it, and a reader copies until no write came
   in between (a seqlock). */
static struct sigaction program_action[FL_NSIG];
static unsigned action_seq[FL_NSIG];
static int program_has_handler[FL_NSIG];
static char probe_path[512];

static void read_action(int sig, struct sigaction *out) {
  for (;;) {
    const unsigned seq = __atomic_load_n(&action_seq[sig], __ATOMIC_ACQUIRE);
    if (seq & 1) continue; /* a writer on another thread, signals blocked: it ends soon */
    *out = program_action[sig];
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&action_seq[sig], __ATOMIC_RELAXED) == seq) return;
  }
}

static void write_action(int sig, const struct sigaction *a) {
  const uint64_t all = ~0ull;
  uint64_t old;
  fl_sys_sigprocmask(SIG_SETMASK, &all, &old);
  unsigned seq = __atomic_load_n(&action_seq[sig], __ATOMIC_RELAXED) & ~1u;
  while (!__atomic_compare_exchange_n(&action_seq[sig], &seq, seq + 1, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) seq &= ~1u;
  program_action[sig] = *a;
  __atomic_store_n(&program_has_handler[sig], a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN, __ATOMIC_RELAXED);
  __atomic_store_n(&action_seq[sig], seq + 2, __ATOMIC_RELEASE);
  fl_sys_sigprocmask(SIG_SETMASK, &old, 0);
}

/* Each one once, so that our own init re-entering finds what is bound so far. */
void fl_bind_signals(void) {
  if (!real_sigaction) real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  if (!real_setitimer) real_setitimer = (setitimer_fn)dlsym(RTLD_NEXT, "setitimer");
  if (!real_timer_settime) real_timer_settime = (timer_settime_fn)dlsym(RTLD_NEXT, "timer_settime");
  if (!real_alarm) real_alarm = (alarm_fn)dlsym(RTLD_NEXT, "alarm");
  if (!real_dlopen) real_dlopen = (dlopen_fn)dlsym(RTLD_NEXT, "dlopen");
  if (probe_path[0]) return;
  /* The probe library lives next to us. */
  Dl_info self;
  if (dladdr((void *)fl_bind_signals, &self) && self.dli_fname) {
    const char *slash = strrchr(self.dli_fname, '/');
    size_t dir = slash ? (size_t)(slash - self.dli_fname) : 0;
    const char name[] = "/" FL_PROBE_LIBRARY;
    if (dir + sizeof name < sizeof probe_path) {
      memcpy(probe_path, self.dli_fname, dir);
      memcpy(probe_path + dir, name, sizeof name);
    }
  }
}

int fl_program_handles(int sig) { return sig > 0 && sig < FL_NSIG && __atomic_load_n(&program_has_handler[sig], __ATOMIC_RELAXED); }

/* For the rtld-audit module (another namespace, same threads): are we in a
   program handler right now? Our own probe load does not count. */
FL_EXPORT int FL_HANDLER_DEPTH_FN(void) { return fl_self.in_probe ? 0 : fl_handler_depth(); }

/* A level whose wrapper frame lies below the current frame (stacks grow down)
   was left without returning: a siglongjmp out of the handler. */
int fl_handler_depth(void) {
  const uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  while (fl_self.in_handler > 0) {
    const int top = fl_self.in_handler - 1;
    if (top >= FL_MAX_HANDLER_DEPTH) break;
    const struct fl_handler_level *l = &fl_self.levels[top];
    /* On an alternate stack a frame comparison means something only on that stack:
       off it, the handler was left. */
    const int on_its_stack = !l->on_altstack || (here >= l->altstack_lo && here < l->altstack_hi);
    if (on_its_stack && here < l->frame) break;
    fl_self.in_handler--;
  }
  return fl_self.in_handler;
}

const struct fl_handler_level *fl_interrupting_handler(void) {
  for (int i = fl_handler_depth(); i > 0; i--)
    if (i <= FL_MAX_HANDLER_DEPTH && fl_self.levels[i - 1].interrupted_alloc) return &fl_self.levels[i - 1];
  return 0;
}

/* For the rtld-audit module: a load (1) or a symbol binding (2) it saw in a
   handler. A load takes the loader lock and allocates: a finding. glibc's
   lazy PLT binding itself takes neither, so a binding is only counted. */
FL_EXPORT void FL_REPORT_LAZY_BINDING_FN(int how) {
  if (how == 1) fl_report_finding(FL_FINDING_LAZY_BINDING, (uint64_t)how);
  else fl_emit(FL_EVENT_LAZY_SYMBOL_IN_HANDLER, 0, fl_self.alloc_calls, 0, (uint64_t)(int64_t)fl_thread_index());
}

/* `lazy-handler on`: what backtrace() does the first time it is called. */
static void load_probe_once(void) {
  static int loaded;
  if (__atomic_exchange_n(&loaded, 1, __ATOMIC_RELAXED) || !probe_path[0]) return;
  fl_self.in_probe = 1;
  real_dlopen(probe_path, RTLD_NOW);
  fl_self.in_probe = 0;
}

/* The kernel decides by the handler value alone, whatever the flags say. */
static int is_handler(const struct sigaction *a) { return a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN; }

static void call_program_handler(const struct sigaction *a, int sig, siginfo_t *info, void *ctx) {
  if (!is_handler(a)) return;
  if (a->sa_flags & SA_SIGINFO) a->sa_sigaction(sig, info, ctx);
  else a->sa_handler(sig);
}

static void handler_wrapper(int sig, siginfo_t *info, void *ctx) {
  const int level = fl_handler_depth();
  if (level < FL_MAX_HANDLER_DEPTH) {
    const uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
    const uintptr_t interrupted_sp = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RSP];
    /* The kernel puts the signal frame right below the interrupted stack
       pointer, unless the handler runs on an alternate stack. */
    const uintptr_t gap = interrupted_sp > frame ? interrupted_sp - frame : frame - interrupted_sp;
    const uint64_t blocked = *(const uint64_t *)&((ucontext_t *)ctx)->uc_sigmask;
    stack_t alt = {0};
    const int on_altstack = gap > (256u << 10);
    if (on_altstack) fl_sys_sigaltstack_query(&alt);
    fl_self.levels[level] = (struct fl_handler_level){frame, on_altstack, (uintptr_t)alt.ss_sp,
                                                      (uintptr_t)alt.ss_sp + alt.ss_size, sig, fl_self.in_allocator,
                                                      fl_self.in_call, (int)((blocked >> (sig - 1)) & 1)};
  }
  fl_self.in_handler = level + 1;
  if (fl_schedule_has(&fl_sched, FL_KEY_LAZY_HANDLER)) load_probe_once();
  struct sigaction action;
  read_action(sig, &action);
  /* SA_RESETHAND: the kernel has put SIG_DFL back; so do we, or a scheduled
     signal would kill the program and sigaction() would report a stale handler. */
  if (action.sa_flags & SA_RESETHAND) {
    struct sigaction dfl = action;
    dfl.sa_handler = SIG_DFL;
    dfl.sa_flags = 0;
    write_action(sig, &dfl);
  }
  call_program_handler(&action, sig, info, ctx);
  fl_self.in_handler = level;
}

/* malloc-signal: one trap per instruction of the scheduled call. At the
   scheduled instruction, raise the signal and stop stepping; the signal is
   blocked here (sa_mask), so it is delivered the moment we return, with the
   allocator paused exactly at that instruction. */
static void step_handler(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = ctx;
  if (!fl_self.stepping) { /* not ours: the program's own SIGTRAP */
    struct sigaction a;
    read_action(SIGTRAP, &a);
    if (is_handler(&a)) {
      call_program_handler(&a, sig, info, ctx);
    } else if (a.sa_handler == SIG_DFL) {
      /* What would have happened without us: the default action, once we return. */
      fl_sys_sigaction_default(SIGTRAP);
      fl_sys_tgkill(fl_sys_getpid(), fl_sys_gettid(), SIGTRAP);
    }
    return;
  }
  const uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  const uint64_t step = ++fl_self.steps;
  if (fl_schedule_has(&fl_sched, FL_KEY_MS_TRACE)) {
    fl_emit(FL_EVENT_STEP, step, pc, fl_scheduled_calls(), (uint64_t)fl_pc_is_ours(pc));
    return;
  }
  if (step < fl_sched.value[FL_KEY_MS_INSN]) return;
  uc->uc_mcontext.gregs[REG_EFL] &= ~FL_TRAP_FLAG;
  fl_self.stepping = 0;
  const int raised = (int)fl_sched.value[FL_KEY_MS_SIG];
  fl_emit(FL_EVENT_SIGNAL_RAISED, (uint64_t)raised, pc, fl_scheduled_calls(), step);
  fl_sys_tgkill(fl_sys_getpid(), fl_sys_gettid(), raised);
}

int fl_step_owner;
uint64_t fl_step_call;

int fl_step_armed(int owner) {
  if (!fl_in_target_process || fl_thread_index() != (int)fl_sched.value[FL_KEY_MS_THREAD]) return 0;
  const int sig = (int)fl_sched.value[FL_KEY_MS_SIG];
  uint64_t blocked = 0;
  fl_sys_sigprocmask(SIG_BLOCK, 0, &blocked);
  const uint64_t needed = (1ull << (SIGTRAP - 1)) | (1ull << (sig - 1));
  /* A blocked trap would be forced to its default action: no stepping on such a thread. */
  if (!fl_program_handles(sig) || (blocked & needed)) {
    fl_emit(FL_EVENT_POINT_MISSED, (uint64_t)sig, 0, fl_step_call, 0);
    return 0;
  }
  fl_self.steps = 0;
  fl_self.stepping = owner;
  return 1;
}

void fl_install_step_handler(void) {
  fl_step_call = fl_sched.value[FL_KEY_MS_CALL];
  fl_step_owner = fl_in_family >= 0 ? FL_STEP_CALL : FL_STEP_ALLOC;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = step_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, (int)fl_sched.value[FL_KEY_MS_SIG]);
  real_sigaction(SIGTRAP, &sa, 0);
}

static int stepping_owns_sigtrap(void) {
  return fl_schedule_has(&fl_sched, FL_KEY_MS_SIG) && !fl_schedule_has(&fl_sched, FL_KEY_MS_PTRACE);
}

static void handler_installed(int sig, int found_at_start) {
  fl_emit(FL_EVENT_HANDLER_INSTALLED, (uint64_t)sig, fl_scheduled_calls(),
          (uint64_t)(fl_in_target_process | found_at_start << 1), (uint64_t)(int64_t)fl_thread_index());
}

/* Handlers already in place when we start (another library's constructor ran
   first, or installed them past sigaction): wrapped like any other. */
void fl_adopt_installed_handlers(void) {
  for (int sig = 1; sig < FL_NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == FL_CHECKPOINT_SIGNAL || fl_program_handles(sig)) continue;
    struct sigaction cur;
    if (real_sigaction(sig, 0, &cur) != 0 || !is_handler(&cur) || cur.sa_sigaction == handler_wrapper ||
        cur.sa_sigaction == step_handler)
      continue;
    write_action(sig, &cur);
    __atomic_store_n(&fl_watching, 1, __ATOMIC_RELAXED);
    struct sigaction wrapped = cur;
    wrapped.sa_sigaction = handler_wrapper;
    wrapped.sa_flags |= SA_SIGINFO;
    real_sigaction(sig, &wrapped, 0);
    handler_installed(sig, 1);
  }
}

FL_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  fl_init();
  if (fl_not_ready()) fl_bind_signals();
  if (sig <= 0 || sig >= FL_NSIG || sig == SIGKILL || sig == SIGSTOP) return real_sigaction(sig, act, old);
  struct sigaction previous;
  read_action(sig, &previous);
  const int had_handler = fl_program_handles(sig);
  struct sigaction kernel_old;
  int rc = 0;
  if (act) {
    const int handler = is_handler(act);
    write_action(sig, act);
    if (handler) __atomic_store_n(&fl_watching, 1, __ATOMIC_RELAXED);
    if (sig == SIGTRAP && stepping_owns_sigtrap()) {
      rc = real_sigaction(sig, 0, &kernel_old); /* keep the step handler; it forwards */
    } else if (handler) {
      struct sigaction wrapped = *act;
      wrapped.sa_sigaction = handler_wrapper;
      wrapped.sa_flags |= SA_SIGINFO;
      rc = real_sigaction(sig, &wrapped, &kernel_old);
    } else {
      rc = real_sigaction(sig, act, &kernel_old);
    }
    if (handler) handler_installed(sig, 0);
  } else {
    rc = real_sigaction(sig, 0, &kernel_old);
  }
  if (rc == 0 && old) {
    *old = kernel_old;
    /* The program sees what it installed, never our wrapper. */
    if (had_handler || kernel_old.sa_sigaction == handler_wrapper || kernel_old.sa_sigaction == step_handler)
      *old = previous;
  }
  return rc;
}

/* glibc's signal() reaches sigaction internally, past our interposition. */
static __sighandler_t install_simple(int sig, __sighandler_t handler, int flags) {
  struct sigaction act, old;
  memset(&act, 0, sizeof act);
  act.sa_handler = handler;
  act.sa_flags = flags;
  sigemptyset(&act.sa_mask);
  if (sigaction(sig, &act, &old) != 0) return SIG_ERR;
  return old.sa_handler;
}
FL_EXPORT __sighandler_t signal(int sig, __sighandler_t handler) { return install_simple(sig, handler, SA_RESTART); }
FL_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler) { return install_simple(sig, handler, SA_RESTART); }
FL_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler) {
  return install_simple(sig, handler, (int)(SA_RESETHAND | SA_NODEFER));
}

/* Under malloc-signal the schedule is the only source of timer signals. */
static int timers_taken_over(void) {
  return fl_schedule_has(&fl_sched, FL_KEY_MS_SIG) || fl_schedule_has(&fl_sched, FL_KEY_TIMERS_OFF);
}

/* Timers armed before we started: disarmed, so the schedule stays the only source. */
void fl_take_over_armed_timers(void) {
  if (!timers_taken_over()) return;
  static const struct itimerval off;
  for (int which = ITIMER_REAL; which <= ITIMER_PROF; which++) {
    struct itimerval cur;
    if (getitimer(which, &cur) != 0 || (!cur.it_value.tv_sec && !cur.it_value.tv_usec)) continue;  // allowed: init only
    real_setitimer(which, &off, 0);
    fl_emit(FL_EVENT_TIMER_SUPPRESSED, 1, (uint64_t)which, 0, 0);
  }
}

FL_EXPORT int setitimer(__itimer_which_t which, const struct itimerval *value, struct itimerval *old) {
  fl_init();
  if (fl_not_ready()) fl_bind_signals();
  if (!timers_taken_over()) return real_setitimer(which, value, old);
  if (old) memset(old, 0, sizeof *old);
  fl_emit(FL_EVENT_TIMER_SUPPRESSED, 1, (uint64_t)which, 0, 0);
  return 0;
}
FL_EXPORT int timer_settime(timer_t id, int flags, const struct itimerspec *value, struct itimerspec *old) {
  fl_init();
  if (fl_not_ready()) fl_bind_signals();
  if (!timers_taken_over()) return real_timer_settime(id, flags, value, old);
  if (old) memset(old, 0, sizeof *old);
  fl_emit(FL_EVENT_TIMER_SUPPRESSED, 2, 0, 0, 0);
  return 0;
}
FL_EXPORT unsigned alarm(unsigned seconds) {
  fl_init();
  if (fl_not_ready()) fl_bind_signals();
  if (!timers_taken_over()) return real_alarm(seconds);
  fl_emit(FL_EVENT_TIMER_SUPPRESSED, 3, seconds, 0, 0);
  return 0;
}

/* A library loaded from inside a handler: the dynamic linker takes its lock
   and allocates, whatever the handler interrupted. */
FL_EXPORT void *dlopen(const char *file, int mode) {
  fl_init();
  if (fl_not_ready()) fl_bind_signals();
  if (!fl_self.in_probe && fl_handler_depth() > 0) fl_report_finding(FL_FINDING_LAZY_BINDING, 0);
  return real_dlopen(file, mode);
}
