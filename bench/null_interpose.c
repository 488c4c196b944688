/* libbench-null-interpose.so: the floor of interposing a program's scheduling
   calls, for bench/interleave_idle_cost.sh. Every scheduling call
   bench-lock-workload makes (the mutex, condvar, rwlock and semaphore calls,
   nanosleep, sched_yield, pthread_create and _join) is wrapped by a function
   that does nothing but call the next definition, found with
   dlsym(RTLD_NEXT) in a constructor: the cost of the PLT hop and the indirect
   call that any LD_PRELOAD injector pays, with none of its own work. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <time.h>

#define NULL_CALLS(X)                                                                                            \
  X(int, pthread_mutex_lock, (pthread_mutex_t * m), (m))                                                         \
  X(int, pthread_mutex_unlock, (pthread_mutex_t * m), (m))                                                       \
  X(int, pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t * m), (c, m))                                   \
  X(int, pthread_cond_signal, (pthread_cond_t * c), (c))                                                         \
  X(int, pthread_cond_broadcast, (pthread_cond_t * c), (c))                                                      \
  X(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l))                                                     \
  X(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l))                                                     \
  X(int, pthread_rwlock_unlock, (pthread_rwlock_t * l), (l))                                                     \
  X(int, sem_post, (sem_t * s), (s))                                                                             \
  X(int, sem_wait, (sem_t * s), (s))                                                                             \
  X(int, nanosleep, (const struct timespec *req, struct timespec *rem), (req, rem))                              \
  X(int, sched_yield, (void), ())                                                                                \
  X(int, pthread_create, (pthread_t * t, const pthread_attr_t *a, void *(*fn)(void *), void *arg), (t, a, fn, arg)) \
  X(int, pthread_join, (pthread_t t, void **ret), (t, ret))

#define NULL_POINTER(ret, fn, params, args) static ret(*real_##fn) params;
NULL_CALLS(NULL_POINTER)

__attribute__((constructor)) static void null_bind(void) {
#define NULL_BIND(ret, fn, params, args) real_##fn = (ret(*) params)dlsym(RTLD_NEXT, #fn);
  NULL_CALLS(NULL_BIND)
}

#define NULL_WRAP(ret, fn, params, args) \
  __attribute__((visibility("default"))) ret fn params { return real_##fn args; }
NULL_CALLS(NULL_WRAP)
