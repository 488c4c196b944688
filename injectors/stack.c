/* `stack threads=` and `stack altstack=`, and thread numbering: every
   pthread_create passes through here, so threads are numbered in creation
   order (main = 0) the same way the harness numbers them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>

#include "inject_internal.h"
#include "signal_context.h"

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*sigaltstack_fn)(const stack_t *, stack_t *);
typedef int (*attr_fn)(pthread_attr_t *);
typedef int (*attr_size_fn)(pthread_attr_t *, size_t);
typedef int (*attr_stack_fn)(pthread_attr_t *, void *, size_t);
static pthread_create_fn real_pthread_create;
static sigaltstack_fn real_sigaltstack;
static attr_fn real_attr_init, real_attr_destroy;
static attr_size_fn real_attr_setstacksize;
static attr_stack_fn real_attr_setstack;
typedef int (*setattr_default_fn)(const pthread_attr_t *);
static setattr_default_fn real_setattr_default;

/* The process's default thread stack size and PTHREAD_STACK_MIN, read at init
   and whenever the program sets the default: pthread_getattr_default_np takes
   a lock, and PTHREAD_STACK_MIN is a sysconf call, neither for the
   pthread_create path (RULES.md 3). */
static size_t default_stack_size, min_stack_size;

static void read_default_stack_size(void) {
  pthread_attr_t def;
  size_t size = 0;
  if (pthread_getattr_default_np(&def) == 0) {  // allowed: init, or the program's own pthread_setattr_default_np
    pthread_attr_getstacksize(&def, &size);
    real_attr_destroy(&def);
  }
  __atomic_store_n(&default_stack_size, size, __ATOMIC_RELAXED);
}

/* Bound by fl_init (RULES.md 4); a library's constructor that creates a thread
   before ours ran binds them in the wrapper: still ordinary code, not a handler.
   Each one once, so a re-entered call finds what is bound so far. */
void fl_bind_stack(void) {
  if (!real_pthread_create) real_pthread_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
  if (!real_sigaltstack) real_sigaltstack = (sigaltstack_fn)dlsym(RTLD_NEXT, "sigaltstack");
  if (!real_attr_init) real_attr_init = (attr_fn)dlsym(RTLD_NEXT, "pthread_attr_init");
  if (!real_attr_destroy) real_attr_destroy = (attr_fn)dlsym(RTLD_NEXT, "pthread_attr_destroy");
  if (!real_attr_setstacksize) real_attr_setstacksize = (attr_size_fn)dlsym(RTLD_NEXT, "pthread_attr_setstacksize");
  if (!real_attr_setstack) real_attr_setstack = (attr_stack_fn)dlsym(RTLD_NEXT, "pthread_attr_setstack");
  if (!real_setattr_default) real_setattr_default = (setattr_default_fn)dlsym(RTLD_NEXT, "pthread_setattr_default_np");
  if (!min_stack_size) {
    min_stack_size = (size_t)PTHREAD_STACK_MIN; /* a sysconf value since glibc 2.34 */
    read_default_stack_size();
  }
}

FL_EXPORT int pthread_setattr_default_np(const pthread_attr_t *attr) {
  if (fl_not_ready()) fl_bind_stack();
  const int rc = real_setattr_default(attr);
  if (rc == 0) read_default_stack_size();
  return rc;
}

/* Attributes the program set a stack size on (pthread_attr_setstacksize or
   _setstack): that size is its choice even when it equals the default (rustc
   asks for exactly 8 MiB). A fixed set of addresses, without locks; one the
   set has no room for counts as not chosen, as before. */
#define CHOSEN_ATTRS 256
static const pthread_attr_t *chosen[CHOSEN_ATTRS];

static int size_was_chosen(const pthread_attr_t *attr) {
  for (int i = 0; i < CHOSEN_ATTRS; i++)
    if (__atomic_load_n(&chosen[i], __ATOMIC_ACQUIRE) == attr) return 1;
  return 0;
}

static void remember_chosen(const pthread_attr_t *attr) {
  if (size_was_chosen(attr)) return;
  for (int i = 0; i < CHOSEN_ATTRS; i++) {
    const pthread_attr_t *free_slot = 0;
    if (__atomic_compare_exchange_n(&chosen[i], &free_slot, attr, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return;
  }
}

static void forget_chosen(const pthread_attr_t *attr) {
  for (int i = 0; i < CHOSEN_ATTRS; i++) {
    const pthread_attr_t *held = attr;
    __atomic_compare_exchange_n(&chosen[i], &held, (const pthread_attr_t *)0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
  }
}

FL_EXPORT int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size) {
  if (fl_not_ready()) fl_bind_stack();
  const int rc = real_attr_setstacksize(attr, size);
  if (rc == 0) remember_chosen(attr);
  return rc;
}

FL_EXPORT int pthread_attr_setstack(pthread_attr_t *attr, void *addr, size_t size) {
  if (fl_not_ready()) fl_bind_stack();
  const int rc = real_attr_setstack(attr, addr, size);
  if (rc == 0) remember_chosen(attr);
  return rc;
}

/* A fresh or destroyed attr has no size of the program's (its memory may be reused). */
FL_EXPORT int pthread_attr_init(pthread_attr_t *attr) {
  if (fl_not_ready()) fl_bind_stack();
  forget_chosen(attr);
  return real_attr_init(attr);
}

FL_EXPORT int pthread_attr_destroy(pthread_attr_t *attr) {
  if (fl_not_ready()) fl_bind_stack();
  forget_chosen(attr);
  return real_attr_destroy(attr);
}

/* Start trampolines: a fixed pool, claimed and released without locks. */
#define FL_START_SLOTS 256
static struct start_slot {
  int used;
  int index;
  void *(*start)(void *);
  void *arg;
} start_slots[FL_START_SLOTS];
static int next_thread_index = 1;

/* The numbered threads that are running, by index: the process's end reports
   their counts too. A thread's fl_self lives as long as the thread: one that
   ends without returning from its start routine (cancelled, or pthread_exit
   before we watched) leaves the table through a thread-specific destructor,
   which glibc runs however a thread ends. */
#define CENSUS_THREADS 256
static struct fl_thread *running[CENSUS_THREADS];
static pthread_key_t ending_key;
static int ending_key_made;

static void thread_gone(void *index_plus1) {
  const intptr_t index = (intptr_t)index_plus1 - 1;
  if (index > 0 && index < CENSUS_THREADS) __atomic_store_n(&running[index], 0, __ATOMIC_RELEASE);
}

void fl_watch_thread_ends(void) {
  __atomic_store_n(&ending_key_made, pthread_key_create(&ending_key, thread_gone) == 0, __ATOMIC_RELEASE);  // allowed: init only
}

static void emit_census(const struct fl_thread *t, int index) {
  fl_emit(FL_EVENT_EXITING, fl_calls_of(t), t->sync_points, (uint64_t)fl_in_target_process, (uint64_t)(int64_t)index);
}

void fl_thread_ends(void) {
  if (fl_pct_on) fl_pct_thread_exits();
  const int index = fl_thread_index();
  if (index > 0 && index < CENSUS_THREADS) __atomic_store_n(&running[index], 0, __ATOMIC_RELEASE);
  emit_census(&fl_self, index);
}

void fl_census_of_running_threads(void) {
  for (int i = 1; i < CENSUS_THREADS; i++) {
    const struct fl_thread *t = __atomic_load_n(&running[i], __ATOMIC_ACQUIRE);
    if (t) emit_census(t, i);
  }
}

static void *numbered_start(void *p) {
  struct start_slot *slot = p;
  void *(*start)(void *) = slot->start;
  void *arg = slot->arg;
  fl_self.index_plus1 = slot->index + 1;
  if (slot->index < CENSUS_THREADS && __atomic_load_n(&ending_key_made, __ATOMIC_ACQUIRE) &&
      pthread_setspecific(ending_key, (void *)(intptr_t)(slot->index + 1)) == 0)
    __atomic_store_n(&running[slot->index], &fl_self, __ATOMIC_RELEASE);
  __atomic_store_n(&slot->used, 0, __ATOMIC_RELEASE);
  fl_emit(FL_EVENT_THREAD_NUMBERED, 0, 0, 0, (uint64_t)(int64_t)(fl_self.index_plus1 - 1));
  fl_thread_starting(-1);
  void *result = start(arg);
  fl_thread_ends();
  return result;
}

static size_t scheduled_thread_stack(void) {
  size_t want = (size_t)fl_sched.value[FL_KEY_STACK_THREADS];
  return want < min_stack_size ? min_stack_size : want;
}

static int caller_provided_stack_memory(const pthread_attr_t *attr) {
  void *addr = 0;
  size_t size = 0;
  /* glibc reports stackaddr - stacksize, which wraps to 0 when no stack was set. */
  return pthread_attr_getstack(attr, &addr, &size) == 0 && (uintptr_t)addr + size != 0;
}

/* The program's pthread_create, with the scheduled stack size where it applies. */
static int create_sized(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg) {
  if (!fl_schedule_has(&fl_sched, FL_KEY_STACK_THREADS) || (attr && caller_provided_stack_memory(attr)))
    return real_pthread_create(thread, attr, start, arg);
  const size_t want = scheduled_thread_stack();
  if (!attr) {
    pthread_attr_t local;
    real_attr_init(&local);
    real_attr_setstacksize(&local, want);
    int rc = real_pthread_create(thread, &local, start, arg);
    real_attr_destroy(&local);
    fl_emit(FL_EVENT_THREAD_STACK, want, 0, 0, 0);
    return rc;
  }
  size_t own = 0;
  pthread_attr_getstacksize(attr, &own);
  const int chose_own = size_was_chosen(attr) || own != __atomic_load_n(&default_stack_size, __ATOMIC_RELAXED);
  if (chose_own && !fl_schedule_has(&fl_sched, FL_KEY_STACK_FORCE)) {
    fl_emit(FL_EVENT_THREAD_STACK, 0, own, 0, 0);
    return real_pthread_create(thread, attr, start, arg);
  }
  /* The caller's attr is borrowed for the call and given back unchanged. */
  pthread_attr_t *borrowed = (pthread_attr_t *)attr;
  real_attr_setstacksize(borrowed, want);
  int rc = real_pthread_create(thread, borrowed, start, arg);
  real_attr_setstacksize(borrowed, own);
  fl_emit(FL_EVENT_THREAD_STACK, want, chose_own ? own : 0, 0, 0);
  return rc;
}

FL_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg) {
  if (fl_not_ready()) fl_bind_stack();
  fl_pass_sync_point();
  for (int i = 0; i < FL_START_SLOTS; i++) {
    struct start_slot *slot = &start_slots[i];
    if (__atomic_exchange_n(&slot->used, 1, __ATOMIC_ACQUIRE)) continue;
    /* Numbered once it has a slot: a thread left unnumbered takes no number. */
    const int index = __atomic_fetch_add(&next_thread_index, 1, __ATOMIC_RELAXED);
    slot->index = index;
    slot->start = start;
    slot->arg = arg;
    /* Runnable from now on, not from when the kernel first runs it. */
    if (fl_pct_on) fl_pct_set_thread_state(index, FL_PCT_RUNNABLE);
    fl_thread_starting(1);
    int rc = create_sized(thread, attr, numbered_start, slot);
    if (rc != 0) __atomic_store_n(&slot->used, 0, __ATOMIC_RELEASE);
    if (rc != 0) fl_thread_starting(-1);
    if (rc != 0 && fl_pct_on) fl_pct_set_thread_state(index, FL_PCT_EXITED);
    return rc;
  }
  return create_sized(thread, attr, start, arg); /* pool exhausted: the thread stays unnumbered */
}

FL_EXPORT int sigaltstack(const stack_t *ss, stack_t *old) {
  if (fl_not_ready()) fl_bind_stack();
  if (ss && fl_schedule_has(&fl_sched, FL_KEY_STACK_ALTSTACK) && !(ss->ss_flags & SS_DISABLE) &&
      ss->ss_size > fl_sched.value[FL_KEY_STACK_ALTSTACK]) {
    stack_t shrunk = *ss;
    shrunk.ss_size = (size_t)fl_sched.value[FL_KEY_STACK_ALTSTACK];
    fl_emit(FL_EVENT_ALTSTACK, shrunk.ss_size, ss->ss_size, 0, 0);
    return real_sigaltstack(&shrunk, old);
  }
  return real_sigaltstack(ss, old);
}
