/* The calls the injector interposes besides the allocator (unsafe.c): those
   outside POSIX's async-signal-safe list (a call to one from a program
   handler is the finding signal-unsafe-call; `malloc-signal ... in=NAME`
   raises the signal inside one of them) and the sync points where explore
   --injector interleave holds or orders threads (`delay sync=`, `pct`).
   Included by injectors/ (C) and harness/ (C++), which names them in reports
   and validates `--in`.

   X(ID, function, FAMILY, TRAITS, SHAPE, RET, PARAMS, ARGS)
     FAMILY  the function the source called: a fortified __syslog_chk is the
             compiler's spelling of syslog(). Reports and in= name families.
     TRAITS  UNSAFE: outside the safe list. _POINT: also a sync point. _WAIT:
             a sync point that may block (a thread inside it is not runnable
             for pct), on the object that is its first argument. _RELEASE:
             a sync point that lets threads waiting on that object go.
             _EXIT: the thread ends in it. SAFE_POINT, SAFE_RELEASE: on the
             safe list, interposed only as sync points. Sleeps are not
             _WAIT: to pct a sleeping thread is runnable (PCT has no clock).
     SHAPE   VALUE / VOID / NORETURN: forwarded as is; VA_VALUE / VA_VOID:
             variadic, forwarded to row V##ID with ARGS (which end in ap);
             the last named parameter is always fmt.
   Only the injector expands RET, PARAMS and ARGS. malloc and friends are not
   here (the reentrancy sentinel watches them), nor is dlopen (lazy-binding),
   nor pthread_create (stack.c numbers threads; it is a sync point too). */
#ifndef FAULTLINE_UNSAFE_CALLS_H
#define FAULTLINE_UNSAFE_CALLS_H

#define FL_UNSAFE_CALLS(X)                                                                                            \
  X(SYSLOG, syslog, SYSLOG, UNSAFE, VA_VOID, void, (int pri, const char *fmt, ...), (pri, fmt, ap))                           \
  X(SYSLOG_CHK, __syslog_chk, SYSLOG, UNSAFE, VA_VOID, void, (int pri, int flag, const char *fmt, ...),                       \
    (pri, flag, fmt, ap))                                                                                             \
  X(VSYSLOG, vsyslog, VSYSLOG, UNSAFE, VOID, void, (int pri, const char *fmt, va_list ap), (pri, fmt, ap))                    \
  X(VSYSLOG_CHK, __vsyslog_chk, VSYSLOG, UNSAFE, VOID, void, (int pri, int flag, const char *fmt, va_list ap),                \
    (pri, flag, fmt, ap))                                                                                             \
  X(PRINTF, printf, PRINTF, UNSAFE, VA_VALUE, int, (const char *fmt, ...), (fmt, ap))                                         \
  X(PRINTF_CHK, __printf_chk, PRINTF, UNSAFE, VA_VALUE, int, (int flag, const char *fmt, ...), (flag, fmt, ap))               \
  X(VPRINTF, vprintf, VPRINTF, UNSAFE, VALUE, int, (const char *fmt, va_list ap), (fmt, ap))                                  \
  X(VPRINTF_CHK, __vprintf_chk, VPRINTF, UNSAFE, VALUE, int, (int flag, const char *fmt, va_list ap), (flag, fmt, ap))        \
  X(FPRINTF, fprintf, FPRINTF, UNSAFE, VA_VALUE, int, (FILE * fp, const char *fmt, ...), (fp, fmt, ap))                       \
  X(FPRINTF_CHK, __fprintf_chk, FPRINTF, UNSAFE, VA_VALUE, int, (FILE * fp, int flag, const char *fmt, ...),                  \
    (fp, flag, fmt, ap))                                                                                              \
  X(VFPRINTF, vfprintf, VFPRINTF, UNSAFE, VALUE, int, (FILE * fp, const char *fmt, va_list ap), (fp, fmt, ap))                \
  X(VFPRINTF_CHK, __vfprintf_chk, VFPRINTF, UNSAFE, VALUE, int, (FILE * fp, int flag, const char *fmt, va_list ap),           \
    (fp, flag, fmt, ap))                                                                                              \
  X(PUTS, puts, PUTS, UNSAFE, VALUE, int, (const char *s), (s))                                                               \
  X(PUTCHAR, putchar, PUTCHAR, UNSAFE, VALUE, int, (int c), (c))                                                              \
  X(FPUTS, fputs, FPUTS, UNSAFE, VALUE, int, (const char *s, FILE *fp), (s, fp))                                              \
  X(FPUTC, fputc, FPUTC, UNSAFE, VALUE, int, (int c, FILE *fp), (c, fp))                                                      \
  X(FWRITE, fwrite, FWRITE, UNSAFE, VALUE, size_t, (const void *p, size_t size, size_t n, FILE *fp), (p, size, n, fp))        \
  X(FFLUSH, fflush, FFLUSH, UNSAFE, VALUE, int, (FILE * fp), (fp))                                                            \
  X(PERROR, perror, PERROR, UNSAFE, VOID, void, (const char *s), (s))                                                         \
  X(GETTEXT, gettext, GETTEXT, UNSAFE, VALUE, char *, (const char *msgid), (msgid))                                           \
  X(DGETTEXT, dgettext, DGETTEXT, UNSAFE, VALUE, char *, (const char *domain, const char *msgid), (domain, msgid))            \
  X(DCGETTEXT, dcgettext, DCGETTEXT, UNSAFE, VALUE, char *, (const char *domain, const char *msgid, int category),            \
    (domain, msgid, category))                                                                                        \
  X(LOCALTIME, localtime, LOCALTIME, UNSAFE, VALUE, struct tm *, (const time_t *t), (t))                                      \
  X(LOCALTIME_R, localtime_r, LOCALTIME_R, UNSAFE, VALUE, struct tm *, (const time_t *t, struct tm *out), (t, out))           \
  X(STRFTIME, strftime, STRFTIME, UNSAFE, VALUE, size_t, (char *s, size_t max, const char *fmt, const struct tm *tm),         \
    (s, max, fmt, tm))                                                                                                \
  X(EXIT, exit, EXIT, UNSAFE, NORETURN, void, (int status), (status))                                                         \
  X(PTHREAD_MUTEX_LOCK, pthread_mutex_lock, PTHREAD_MUTEX_LOCK, UNSAFE_WAIT, VALUE, int, (pthread_mutex_t * m), (m))        \
  X(PTHREAD_MUTEX_UNLOCK, pthread_mutex_unlock, PTHREAD_MUTEX_UNLOCK, UNSAFE_RELEASE, VALUE, int, (pthread_mutex_t * m), (m)) \
  X(PTHREAD_MUTEX_TRYLOCK, pthread_mutex_trylock, PTHREAD_MUTEX_TRYLOCK, UNSAFE_POINT, VALUE, int, (pthread_mutex_t * m), (m)) \
  X(PTHREAD_COND_WAIT, pthread_cond_wait, PTHREAD_COND_WAIT, UNSAFE_WAIT, VALUE, int, (pthread_cond_t * c, pthread_mutex_t * m), (c, m)) \
  X(PTHREAD_COND_TIMEDWAIT, pthread_cond_timedwait, PTHREAD_COND_TIMEDWAIT, UNSAFE_WAIT, VALUE, int, (pthread_cond_t * c, pthread_mutex_t * m, const struct timespec *t), (c, m, t)) \
  X(PTHREAD_COND_SIGNAL, pthread_cond_signal, PTHREAD_COND_SIGNAL, UNSAFE_RELEASE, VALUE, int, (pthread_cond_t * c), (c)) \
  X(PTHREAD_COND_BROADCAST, pthread_cond_broadcast, PTHREAD_COND_BROADCAST, UNSAFE_RELEASE, VALUE, int, (pthread_cond_t * c), (c)) \
  X(PTHREAD_RWLOCK_RDLOCK, pthread_rwlock_rdlock, PTHREAD_RWLOCK_RDLOCK, UNSAFE_WAIT, VALUE, int, (pthread_rwlock_t * l), (l)) \
  X(PTHREAD_RWLOCK_WRLOCK, pthread_rwlock_wrlock, PTHREAD_RWLOCK_WRLOCK, UNSAFE_WAIT, VALUE, int, (pthread_rwlock_t * l), (l)) \
  X(PTHREAD_RWLOCK_TRYRDLOCK, pthread_rwlock_tryrdlock, PTHREAD_RWLOCK_TRYRDLOCK, UNSAFE_POINT, VALUE, int, (pthread_rwlock_t * l), (l)) \
  X(PTHREAD_RWLOCK_TRYWRLOCK, pthread_rwlock_trywrlock, PTHREAD_RWLOCK_TRYWRLOCK, UNSAFE_POINT, VALUE, int, (pthread_rwlock_t * l), (l)) \
  X(PTHREAD_RWLOCK_UNLOCK, pthread_rwlock_unlock, PTHREAD_RWLOCK_UNLOCK, UNSAFE_RELEASE, VALUE, int, (pthread_rwlock_t * l), (l)) \
  X(SEM_WAIT, sem_wait, SEM_WAIT, UNSAFE_WAIT, VALUE, int, (sem_t * s), (s)) \
  X(SEM_TIMEDWAIT, sem_timedwait, SEM_TIMEDWAIT, UNSAFE_WAIT, VALUE, int, (sem_t * s, const struct timespec *t), (s, t)) \
  X(SEM_TRYWAIT, sem_trywait, SEM_TRYWAIT, UNSAFE_POINT, VALUE, int, (sem_t * s), (s)) \
  X(SEM_POST, sem_post, SEM_POST, SAFE_RELEASE, VALUE, int, (sem_t * s), (s)) \
  X(PTHREAD_JOIN, pthread_join, PTHREAD_JOIN, UNSAFE_WAIT, VALUE, int, (pthread_t t, void **result), (t, result)) \
  X(PTHREAD_EXIT, pthread_exit, PTHREAD_EXIT, UNSAFE_EXIT, NORETURN, void, (void *result), (result)) \
  X(NANOSLEEP, nanosleep, NANOSLEEP, SAFE_POINT, VALUE, int, (const struct timespec *t, struct timespec *left), (t, left)) \
  X(CLOCK_NANOSLEEP, clock_nanosleep, CLOCK_NANOSLEEP, SAFE_POINT, VALUE, int, (clockid_t clock, int flags, const struct timespec *t, struct timespec *left), (clock, flags, t, left)) \
  X(USLEEP, usleep, USLEEP, SAFE_POINT, VALUE, int, (useconds_t us), (us)) \
  X(SLEEP, sleep, SLEEP, SAFE_POINT, VALUE, unsigned, (unsigned s), (s)) \
  X(SCHED_YIELD, sched_yield, SCHED_YIELD, SAFE_POINT, VALUE, int, (void), ())

enum fl_unsafe_call {
#define FL_X(id, fn, family, traits, shape, ret, params, args) FL_CALL_##id,
  FL_UNSAFE_CALLS(FL_X)
#undef FL_X
      FL_CALL_COUNT
};

/* "syslog" for FL_CALL_SYSLOG; 0 out of range. */
static inline const char *fl_unsafe_call_name(int id) {
  static const char *const names[FL_CALL_COUNT] = {
#define FL_X(id, fn, family, traits, shape, ret, params, args) #fn,
      FL_UNSAFE_CALLS(FL_X)
#undef FL_X
  };
  return id >= 0 && id < FL_CALL_COUNT ? names[id] : 0;
}

/* FL_CALL_SYSLOG for FL_CALL_SYSLOG_CHK; -1 out of range. */
static inline int fl_unsafe_call_family(int id) {
  static const unsigned char families[FL_CALL_COUNT] = {
#define FL_X(id, fn, family, traits, shape, ret, params, args) FL_CALL_##family,
      FL_UNSAFE_CALLS(FL_X)
#undef FL_X
  };
  return id >= 0 && id < FL_CALL_COUNT ? families[id] : -1;
}

#define FL_TRAIT_UNSAFE 1
#define FL_TRAIT_POINT 2
#define FL_TRAIT_WAITS 4
#define FL_TRAIT_EXITS 8
#define FL_TRAIT_RELEASES 16
#define FL_TRAITS_UNSAFE FL_TRAIT_UNSAFE
#define FL_TRAITS_UNSAFE_POINT (FL_TRAIT_UNSAFE | FL_TRAIT_POINT)
#define FL_TRAITS_UNSAFE_WAIT (FL_TRAIT_UNSAFE | FL_TRAIT_POINT | FL_TRAIT_WAITS)
#define FL_TRAITS_UNSAFE_EXIT (FL_TRAIT_UNSAFE | FL_TRAIT_POINT | FL_TRAIT_EXITS)
#define FL_TRAITS_UNSAFE_RELEASE (FL_TRAIT_UNSAFE | FL_TRAIT_POINT | FL_TRAIT_RELEASES)
#define FL_TRAITS_SAFE_POINT FL_TRAIT_POINT
#define FL_TRAITS_SAFE_RELEASE (FL_TRAIT_POINT | FL_TRAIT_RELEASES)

/* The FL_TRAIT_* bits of row id; 0 out of range. */
static inline int fl_call_traits(int id) {
  static const unsigned char traits[FL_CALL_COUNT] = {
#define FL_X(id, fn, family, traits, shape, ret, params, args) FL_TRAITS_##traits,
      FL_UNSAFE_CALLS(FL_X)
#undef FL_X
  };
  return id >= 0 && id < FL_CALL_COUNT ? traits[id] : 0;
}

/* The finding's detail (event arg[1]): the function called (its row), the
   signal of the innermost handler, and the family + 1 of an interposed call
   that handler interrupted on the same thread (0: none). */
#define FL_UNSAFE_DETAIL(id, sig, interrupted) \
  ((uint64_t)(id) | ((uint64_t)(sig) & 0xff) << 16 | ((uint64_t)(interrupted) & 0xffff) << 24)
#define FL_UNSAFE_DETAIL_ID(d) ((int)((d) & 0xffff))
#define FL_UNSAFE_DETAIL_SIG(d) ((int)(((d) >> 16) & 0xff))
#define FL_UNSAFE_DETAIL_INTERRUPTED(d) ((int)(((d) >> 24) & 0xffff))

#endif
