/* libfaultline-inject.so: loaded into the target with LD_PRELOAD.
   Reads its schedule once, in the constructor, and reports to the harness
   through fixed-size records on the event pipe. See RULES.md. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inject_internal.h"
#include "protocol.h"
#include "raw_syscall.h"
#include "signal_context.h"

int fl_event_fd = -1;
int fl_watching;
int fl_in_target_process = 1;
/* No faultline around (a fuzz engine runs the program, or a fuzzer was
   linked with the injector and a baked-in schedule): a finding must be a
   crash the engine sees, so it aborts. */
static int fl_abort_on_finding;
static int fl_aborting; /* a finding is ending the process */

/* A fuzz target linked with the injector may define this: its schedule when
   FAULTLINE_SCHEDULE is not set (OSS-Fuzz / ClusterFuzzLite run the binary alone). */
extern const char FL_BUILTIN_SCHEDULE_VAR[] __attribute__((weak));
struct fl_schedule fl_sched;
FL_TLS struct fl_thread fl_self;

static uint64_t event_pipe_inode;

/* The pipe is still at fl_event_fd: a program that closed it (closefrom(3),
   as daemons do) may have opened one of its own files there since. */
static int event_pipe_still_ours(void) {
  struct stat st;
  return fl_sys_fstat(fl_event_fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_ino == event_pipe_inode;
}

static int few_per_process(uint16_t kind) {
  switch (kind) {
    case FL_EVENT_HELLO:
    case FL_EVENT_ALLOCATOR:
    case FL_EVENT_HANDLER_INSTALLED:
    case FL_EVENT_TIMER_SUPPRESSED:
    case FL_EVENT_SIGNAL_RAISED:
    case FL_EVENT_POINT_MISSED:
    case FL_EVENT_PCT_CHANGE:
    case FL_EVENT_ALTSTACK: return 1;
    default: return 0;
  }
}

void fl_emit(uint16_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  if (fl_event_fd < 0) return;
  if (!event_pipe_still_ours()) {
    static int lost_by; /* the pid that said so: once per process */
    const int pid = (int)fl_sys_getpid();
    if (__atomic_exchange_n(&lost_by, pid, __ATOMIC_RELAXED) != pid)
      fl_emit_checkpointed(FL_EVENT_PIPE_LOST, (uint64_t)fl_event_fd, 0, 0, 0);
    /* A record a process makes a few of still reaches the tracer, at the cost
       of a stop; one per step, thread or pct wait would change the timing
       the run is about, and is dropped. */
    if (few_per_process(kind)) fl_emit_checkpointed(kind, a0, a1, a2, a3);
    return;
  }
  struct fl_event ev = {FL_EVENT_MAGIC, FL_EVENT_VERSION, kind, (int32_t)fl_sys_getpid(),
                        (int32_t)fl_sys_gettid(), {a0, a1, a2, a3}};
  fl_sys_write(fl_event_fd, &ev, sizeof ev);
}

void fl_emit_checkpointed(uint16_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  if (fl_event_fd < 0) return; /* no harness, no tracer */
  const long pid = fl_sys_getpid(), tid = fl_sys_gettid();
  /* On this stack, not in TLS (static TLS comes off every thread's stack): the
     signal is delivered, and the tracer reads the record, before the syscall
     below returns. */
  struct fl_event record = {FL_EVENT_MAGIC, FL_EVENT_VERSION, kind, (int32_t)pid, (int32_t)tid, {a0, a1, a2, a3}};
  siginfo_t si = {0};
  si.si_signo = FL_CHECKPOINT_SIGNAL;
  si.si_code = SI_QUEUE;
  si.si_pid = (pid_t)pid;
  si.si_uid = (uid_t)fl_sys_getuid();
  si.si_value.sival_ptr = &record;
  /* Unblocked just for this: the tracer must take it now, on this stack. */
  uint64_t checkpoint = 1ull << (FL_CHECKPOINT_SIGNAL - 1), old;
  fl_sys_sigprocmask(SIG_UNBLOCK, &checkpoint, &old);
  fl_sys_rt_tgsigqueueinfo(pid, tid, FL_CHECKPOINT_SIGNAL, &si);
  fl_sys_sigprocmask(SIG_SETMASK, &old, 0);
}

int fl_thread_index(void) { return fl_self.index_plus1 - 1; }

/* One write(2) of a fixed line, then SIGABRT: what a sanitizer's report and
   abort look like to an engine, whose own handler saves the input. If the
   signal comes back (ignored), the default action ends the process. */
static void abort_with_finding(enum fl_finding what) {
  /* From here on the engine's crash handler runs on top of whatever we
     interrupted, and it allocates: what it does is not the program's bug, and
     a second abort would kill the process before the engine saves the input. */
  __atomic_store_n(&fl_aborting, 1, __ATOMIC_RELAXED);
  static const char *const lines[] = {
      "faultline: finding\n",
      "faultline: signal-unsafe-reentrancy (allocator entered from a handler that interrupted it)\n",
      "faultline: duplicate-allocation (the allocator returned a pointer still live)\n",
      "faultline: lazy-binding-in-signal-handler (a library loaded inside a handler)\n",
      "faultline: heap-size-mismatch (sized or aligned free disagreeing with the block)\n",
      "faultline: double-free (free of a block still in quarantine)\n",
      "faultline: use-after-free (a quarantined block was written)\n",
      "faultline: signal-unsafe-call (a handler called a function that is not async-signal-safe)\n"};
  const char *line = lines[(unsigned)what < sizeof lines / sizeof *lines ? what : 0];
  size_t n = 0;
  while (line[n]) n++;
  fl_sys_write(2, line, n);
  uint64_t abrt = 1ull << (SIGABRT - 1);
  fl_sys_sigprocmask(SIG_UNBLOCK, &abrt, 0);
  fl_sys_tgkill(fl_sys_getpid(), fl_sys_gettid(), SIGABRT);
  fl_sys_sigaction_default(SIGABRT);
  fl_sys_tgkill(fl_sys_getpid(), fl_sys_gettid(), SIGABRT);
}

/* Once per kind and process: the pid that reported it, so a forked child
   (which inherits the table) reports its own. */
void fl_report_finding(enum fl_finding what, uint64_t detail) {
  static int reported_by[8];
  const int pid = (int)fl_sys_getpid();
  if (__atomic_exchange_n(&reported_by[what & 7], pid, __ATOMIC_RELAXED) == pid) return;
  fl_report(what, detail);
}

void fl_report(enum fl_finding what, uint64_t detail) {
  if (__atomic_load_n(&fl_aborting, __ATOMIC_RELAXED)) return;
  if (fl_event_fd < 0) {
    if (fl_abort_on_finding) abort_with_finding(what);
    return;
  }
  fl_emit_checkpointed(FL_EVENT_FINDING, what, detail, fl_self.alloc_calls, (uint64_t)(int64_t)fl_thread_index());
}

static int parse_u64(const char **p, uint64_t *out) {
  uint64_t v = 0;
  const char *s = *p;
  if (*s < '0' || *s > '9') return -1;
  while (*s >= '0' && *s <= '9') v = v * 10 + (uint64_t)(*s++ - '0');
  *p = s;
  *out = v;
  return 0;
}

/* FAULTLINE_EVENT_FD is "<fd>:<inode>": faultline runs this process, and
   the pipe is written only while fstat finds it at that fd (a parent that
   closed its fds before the exec, as varnishtest does, leaves the variable
   and not the pipe: then every record comes with a checkpoint). */
static int inherited_event_fd(void) {
  const char *spec = getenv(FL_ENV_EVENT_FD);  // allowed: constructor only
  uint64_t fd, ino;
  if (!spec || parse_u64(&spec, &fd) || *spec++ != ':' || parse_u64(&spec, &ino) || fd > 0x7fffffff) return -1;
  event_pipe_inode = ino;
  return (int)fd;
}

/* Our own executable segment: single-steps there are faultline's wrapper, not the allocator. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
static uintptr_t own_text_start, own_text_end;
static void find_own_text(void) {
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)__ehdr_start;
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(__ehdr_start + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; i++)
    if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
      own_text_start = (uintptr_t)__ehdr_start + ph[i].p_vaddr;
      own_text_end = own_text_start + ph[i].p_memsz;
    }
}
int fl_pc_is_ours(uint64_t pc) { return pc >= own_text_start && pc < own_text_end; }

const char *fl_schedule_line(void) {
  const char *line = getenv(FL_ENV_SCHEDULE);  // allowed: init only
  return line || !FL_BUILTIN_SCHEDULE_VAR ? line : FL_BUILTIN_SCHEDULE_VAR;
}

/* Which process malloc-signal interrupts: the one faultline started (its pid
   is in the environment), or the one the schedule names. */
static int is_target_process(void) {
  if (fl_schedule_has(&fl_sched, FL_KEY_MS_PROCESS)) {
    char comm[32] = {0};
    int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);  // allowed: init only
    ssize_t n = fd >= 0 ? read(fd, comm, sizeof comm - 1) : 0;  // allowed: init only
    if (fd >= 0) close(fd);  // allowed: init only
    if (n > 0 && comm[n - 1] == '\n') comm[n - 1] = '\0';
    const char *want = fl_sched.word[FL_KEY_MS_PROCESS];
    /* comm keeps 15 characters of the name. */
    for (int i = 0; i < 15; i++) {
      if (want[i] != comm[i]) return 0;
      if (!want[i]) return 1;
    }
    return 1;
  }
  const char *root = getenv(FL_ENV_ROOT_PID);  // allowed: init only
  uint64_t pid;
  if (!root || parse_u64(&root, &pid)) return 1; /* nobody said: this is the program */
  return (long)pid == fl_sys_getpid();
}

int fl_ready;

/* A fork of the started process runs the program's child code (before an
   exec, or a worker): not the process the user named, unless named by
   process=, which a fork keeps. */
static void forked_child(void) {
  if (!fl_schedule_has(&fl_sched, FL_KEY_MS_PROCESS)) fl_in_target_process = 0;
  if (__atomic_load_n(&fl_ready, __ATOMIC_ACQUIRE)) fl_emit_allocator(); /* a new process: varnishd's cache-main is one */
  if (fl_pct_on) fl_pct_forked();
}


static void bind_next_definitions(void);
static void read_environment(void);
static void arm_schedule(void);

/* At our constructor, or earlier: another library's constructor may install
   a handler or arm a timer before ours runs (gperftools' profiler does), and
   our wrappers call this first. Runs once; a second thread waits for the
   first to finish, and the initialising thread's own calls (its signal())
   pass through. */
void fl_init_once(void) {
  static int initialiser;
  const int tid = (int)fl_sys_gettid();
  int none = 0;
  if (!__atomic_compare_exchange_n(&initialiser, &none, tid, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    if (none != tid)
      while (!__atomic_load_n(&fl_ready, __ATOMIC_ACQUIRE)) fl_sys_sched_yield();
    return;
  }
  /* Constructors run on the main thread; a library's may have started another first. */
  if (fl_sys_gettid() == fl_sys_getpid()) fl_self.index_plus1 = 1;
  /* dlsym and friends allocate (dlerror strings): those calls are ours, not
     the program's, and must not move the program's call numbers. */
  const uint64_t program_calls = fl_self.alloc_calls;
  bind_next_definitions();
  read_environment();
  arm_schedule();
  fl_in_target_process = is_target_process();
  pthread_atfork(0, 0, forked_child);  // allowed: init only
  fl_watch_thread_ends();
  find_own_text();
  fl_find_allocator(); /* after find_own_text: it asks whether malloc is ours */
  fl_self.alloc_calls = program_calls;
  fl_emit(FL_EVENT_HELLO, fl_sched.present, 0, 0, 0);
  fl_emit_allocator();
  fl_adopt_installed_handlers();
  fl_take_over_armed_timers();
  __atomic_store_n(&fl_ready, 1, __ATOMIC_RELEASE);
}

/* The next definitions of everything we wrap. */
static void bind_next_definitions(void) {
  fl_bind_signals(); /* first: a handler running on this thread may call sigaction */
  fl_bind_stack();
  fl_bind_sized_delete();
  fl_bind_unsafe_calls();
}

/* The pipe to faultline, the schedule, and whether a finding aborts. */
static void read_environment(void) {
  fl_event_fd = inherited_event_fd();
  const char *line = fl_schedule_line();
  const char *abort_env = getenv(FL_ENV_ABORT_ON_FINDING);  // allowed: constructor only
  fl_abort_on_finding = fl_event_fd < 0 && ((abort_env && abort_env[0] == '1') || (FL_BUILTIN_SCHEDULE_VAR && line == FL_BUILTIN_SCHEDULE_VAR));
  char err[256];
  /* The harness validated the line before exec; a bad one here means someone
     set the variable by hand, and running without faults is the safe answer. */
  if (line && fl_schedule_parse(line, &fl_sched, err, sizeof err) != 0) fl_sched.present = 0;
}

/* What the schedule turns on. */
static void arm_schedule(void) {
  /* Ignored: a checkpoint outside a tracer does nothing. */
  signal(FL_CHECKPOINT_SIGNAL, SIG_IGN);
  if (fl_schedule_has(&fl_sched, FL_KEY_DELAY_US)) fl_points_scheduled = 1;
  if (fl_schedule_has(&fl_sched, FL_KEY_LIVE_POINTERS)) fl_watch_live_pointers();
  fl_pct_init();
  /* Allocator calls and sync points are points only once they are watched. */
  if (fl_points_scheduled || fl_schedule_has(&fl_sched, FL_KEY_CENSUS_POINTS)) __atomic_store_n(&fl_watching, 1, __ATOMIC_RELAXED);
  if (fl_schedule_has(&fl_sched, FL_KEY_MS_IN)) fl_in_family = fl_unsafe_family_of(fl_sched.word[FL_KEY_MS_IN]);
  if (fl_schedule_has(&fl_sched, FL_KEY_MS_SIG) && !fl_schedule_has(&fl_sched, FL_KEY_MS_PTRACE)) {
    fl_install_step_handler();
    __atomic_store_n(&fl_watching, 1, __ATOMIC_RELAXED);
  }
}

/* Whichever thread ran fl_init first, the constructor runs on the main thread. */
__attribute__((constructor(101))) static void faultline_inject_init(void) {
  if (fl_sys_gettid() == fl_sys_getpid()) fl_self.index_plus1 = 1;
  fl_init();
  if (fl_pct_on) fl_pct_set_state(FL_PCT_RUNNABLE);
}

/* The process's end (exit, or return from main): the main thread's counts,
   and those of threads still running (a program need not join its workers). */
__attribute__((destructor)) static void faultline_inject_fini(void) {
  fl_thread_ends();
  fl_census_of_running_threads();
}
