/* libfaultline-inject.so: loaded into the target with LD_PRELOAD.
   Reads its schedule once, in the constructor, and reports to the harness
   through fixed-size records on the event pipe. See RULES.md. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "event_record.h"
#include "raw_syscall.h"
#include "schedule.h"

#define FL_EXPORT __attribute__((visibility("default")))

static int event_fd = -1;
static struct fl_schedule schedule;

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*sigaltstack_fn)(const stack_t *, stack_t *);
static pthread_create_fn real_pthread_create;
static sigaltstack_fn real_sigaltstack;

static void emit(uint16_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  if (event_fd < 0) return;
  struct fl_event ev = {FL_EVENT_MAGIC, FL_EVENT_VERSION, kind, (int32_t)fl_sys_getpid(),
                        (int32_t)fl_sys_gettid(), {a0, a1, a2, a3}};
  fl_sys_write(event_fd, &ev, sizeof ev);
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

/* FAULTLINE_EVENT_FD is "<fd>:<inode>"; accept the fd only if it is still
   the pipe the harness gave us. */
static int inherited_event_fd(void) {
  const char *spec = getenv(FL_ENV_EVENT_FD);  // allowed: constructor only
  uint64_t fd, ino;
  if (!spec || parse_u64(&spec, &fd) || *spec++ != ':' || parse_u64(&spec, &ino)) return -1;
  struct stat st;
  if (fl_sys_fstat((int)fd, &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_ino != ino) return -1;
  return (int)fd;
}

/* Bound at init (RULES.md 4). A library whose constructor runs before ours
   and creates a thread gets the lookup then: still ordinary code, not a handler. */
static void bind_real_functions(void) {
  if (!real_pthread_create) real_pthread_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
  if (!real_sigaltstack) real_sigaltstack = (sigaltstack_fn)dlsym(RTLD_NEXT, "sigaltstack");
}

__attribute__((constructor(101))) static void faultline_inject_init(void) {
  bind_real_functions();
  event_fd = inherited_event_fd();
  const char *line = getenv(FL_ENV_SCHEDULE);  // allowed: constructor only
  char err[256];
  /* The harness validated the line before exec; a bad one here means someone
     set the variable by hand, and running without faults is the safe answer. */
  if (line && fl_schedule_parse(line, &schedule, err, sizeof err) != 0) schedule.present = 0;
  emit(FL_EVENT_HELLO, schedule.present, 0, 0, 0);
}

/* ---- stack: every new thread gets the scheduled stack size ---- */

static size_t scheduled_thread_stack(void) {
  size_t want = (size_t)schedule.value[FL_KEY_STACK_THREADS];
  const size_t min = (size_t)PTHREAD_STACK_MIN; /* a sysconf value since glibc 2.34 */
  return want < min ? min : want;
}

/* A size equal to the process default is indistinguishable from "not chosen". */
static size_t default_thread_stack(void) {
  pthread_attr_t def;
  size_t size = 0;
  if (pthread_getattr_default_np(&def) == 0) {
    pthread_attr_getstacksize(&def, &size);
    pthread_attr_destroy(&def);
  }
  return size;
}

static int caller_provided_stack_memory(const pthread_attr_t *attr) {
  void *addr = 0;
  size_t size = 0;
  /* glibc reports stackaddr - stacksize, which wraps to 0 when no stack was set. */
  return pthread_attr_getstack(attr, &addr, &size) == 0 && (uintptr_t)addr + size != 0;
}

FL_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg) {
  bind_real_functions();
  if (!fl_schedule_has(&schedule, FL_KEY_STACK_THREADS) || (attr && caller_provided_stack_memory(attr)))
    return real_pthread_create(thread, attr, start, arg);
  const size_t want = scheduled_thread_stack();
  if (!attr) {
    pthread_attr_t local;
    pthread_attr_init(&local);
    pthread_attr_setstacksize(&local, want);
    int rc = real_pthread_create(thread, &local, start, arg);
    pthread_attr_destroy(&local);
    emit(FL_EVENT_THREAD_STACK, want, 0, 0, 0);
    return rc;
  }
  size_t own = 0;
  pthread_attr_getstacksize(attr, &own);
  const int chose_own = own != default_thread_stack();
  if (chose_own && !fl_schedule_has(&schedule, FL_KEY_STACK_FORCE)) {
    emit(FL_EVENT_THREAD_STACK, 0, own, 0, 0);
    return real_pthread_create(thread, attr, start, arg);
  }
  /* The caller's attr is borrowed for the call and given back unchanged. */
  pthread_attr_t *borrowed = (pthread_attr_t *)attr;
  pthread_attr_setstacksize(borrowed, want);
  int rc = real_pthread_create(thread, borrowed, start, arg);
  pthread_attr_setstacksize(borrowed, own);
  emit(FL_EVENT_THREAD_STACK, want, chose_own ? own : 0, 0, 0);
  return rc;
}

FL_EXPORT int sigaltstack(const stack_t *ss, stack_t *old) {
  bind_real_functions();
  if (ss && fl_schedule_has(&schedule, FL_KEY_STACK_ALTSTACK) && !(ss->ss_flags & SS_DISABLE) &&
      ss->ss_size > schedule.value[FL_KEY_STACK_ALTSTACK]) {
    stack_t shrunk = *ss;
    shrunk.ss_size = (size_t)schedule.value[FL_KEY_STACK_ALTSTACK];
    emit(FL_EVENT_ALTSTACK, shrunk.ss_size, ss->ss_size, 0, 0);
    return real_sigaltstack(&shrunk, old);
  }
  return real_sigaltstack(ss, old);
}
