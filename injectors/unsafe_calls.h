/* Functions outside POSIX's async-signal-safe list that the injector
   interposes (unsafe.c): a call to one from a program handler is the
   finding signal-unsafe-call, and `malloc-signal ... in=NAME` raises the
   signal inside one of them. Included by injectors/ (C) and harness/ (C++),
   which names them in reports and validates `--in`.

   X(ID, function, FAMILY, SHAPE, RET, PARAMS, ARGS)
     FAMILY  the function the source called: a fortified __syslog_chk is the
             compiler's spelling of syslog(). Reports and in= name families.
     SHAPE   VALUE / VOID / NORETURN: forwarded as is; VA_VALUE / VA_VOID:
             variadic, forwarded to row V##ID with ARGS (which end in ap);
             the last named parameter is always fmt.
   Only the injector expands RET, PARAMS and ARGS. malloc and friends are not
   here (the reentrancy sentinel watches them), nor is dlopen (lazy-binding). */
#ifndef FAULTLINE_UNSAFE_CALLS_H
#define FAULTLINE_UNSAFE_CALLS_H

#define FL_UNSAFE_CALLS(X)                                                                                            \
  X(SYSLOG, syslog, SYSLOG, VA_VOID, void, (int pri, const char *fmt, ...), (pri, fmt, ap))                           \
  X(SYSLOG_CHK, __syslog_chk, SYSLOG, VA_VOID, void, (int pri, int flag, const char *fmt, ...),                       \
    (pri, flag, fmt, ap))                                                                                             \
  X(VSYSLOG, vsyslog, VSYSLOG, VOID, void, (int pri, const char *fmt, va_list ap), (pri, fmt, ap))                    \
  X(VSYSLOG_CHK, __vsyslog_chk, VSYSLOG, VOID, void, (int pri, int flag, const char *fmt, va_list ap),                \
    (pri, flag, fmt, ap))                                                                                             \
  X(PRINTF, printf, PRINTF, VA_VALUE, int, (const char *fmt, ...), (fmt, ap))                                         \
  X(PRINTF_CHK, __printf_chk, PRINTF, VA_VALUE, int, (int flag, const char *fmt, ...), (flag, fmt, ap))               \
  X(VPRINTF, vprintf, VPRINTF, VALUE, int, (const char *fmt, va_list ap), (fmt, ap))                                  \
  X(VPRINTF_CHK, __vprintf_chk, VPRINTF, VALUE, int, (int flag, const char *fmt, va_list ap), (flag, fmt, ap))        \
  X(FPRINTF, fprintf, FPRINTF, VA_VALUE, int, (FILE * fp, const char *fmt, ...), (fp, fmt, ap))                       \
  X(FPRINTF_CHK, __fprintf_chk, FPRINTF, VA_VALUE, int, (FILE * fp, int flag, const char *fmt, ...),                  \
    (fp, flag, fmt, ap))                                                                                              \
  X(VFPRINTF, vfprintf, VFPRINTF, VALUE, int, (FILE * fp, const char *fmt, va_list ap), (fp, fmt, ap))                \
  X(VFPRINTF_CHK, __vfprintf_chk, VFPRINTF, VALUE, int, (FILE * fp, int flag, const char *fmt, va_list ap),           \
    (fp, flag, fmt, ap))                                                                                              \
  X(PUTS, puts, PUTS, VALUE, int, (const char *s), (s))                                                               \
  X(PUTCHAR, putchar, PUTCHAR, VALUE, int, (int c), (c))                                                              \
  X(FPUTS, fputs, FPUTS, VALUE, int, (const char *s, FILE *fp), (s, fp))                                              \
  X(FPUTC, fputc, FPUTC, VALUE, int, (int c, FILE *fp), (c, fp))                                                      \
  X(FWRITE, fwrite, FWRITE, VALUE, size_t, (const void *p, size_t size, size_t n, FILE *fp), (p, size, n, fp))        \
  X(FFLUSH, fflush, FFLUSH, VALUE, int, (FILE * fp), (fp))                                                            \
  X(PERROR, perror, PERROR, VOID, void, (const char *s), (s))                                                         \
  X(GETTEXT, gettext, GETTEXT, VALUE, char *, (const char *msgid), (msgid))                                           \
  X(DGETTEXT, dgettext, DGETTEXT, VALUE, char *, (const char *domain, const char *msgid), (domain, msgid))            \
  X(DCGETTEXT, dcgettext, DCGETTEXT, VALUE, char *, (const char *domain, const char *msgid, int category),            \
    (domain, msgid, category))                                                                                        \
  X(LOCALTIME, localtime, LOCALTIME, VALUE, struct tm *, (const time_t *t), (t))                                      \
  X(LOCALTIME_R, localtime_r, LOCALTIME_R, VALUE, struct tm *, (const time_t *t, struct tm *out), (t, out))           \
  X(STRFTIME, strftime, STRFTIME, VALUE, size_t, (char *s, size_t max, const char *fmt, const struct tm *tm),         \
    (s, max, fmt, tm))                                                                                                \
  X(EXIT, exit, EXIT, NORETURN, void, (int status), (status))                                                         \
  X(PTHREAD_MUTEX_LOCK, pthread_mutex_lock, PTHREAD_MUTEX_LOCK, VALUE, int, (pthread_mutex_t * m), (m))        \
  X(PTHREAD_MUTEX_UNLOCK, pthread_mutex_unlock, PTHREAD_MUTEX_UNLOCK, VALUE, int, (pthread_mutex_t * m), (m))

enum fl_unsafe_call {
#define FL_X(id, fn, family, shape, ret, params, args) FL_CALL_##id,
  FL_UNSAFE_CALLS(FL_X)
#undef FL_X
      FL_CALL_COUNT
};

/* "syslog" for FL_CALL_SYSLOG; 0 out of range. */
static inline const char *fl_unsafe_call_name(int id) {
  static const char *const names[FL_CALL_COUNT] = {
#define FL_X(id, fn, family, shape, ret, params, args) #fn,
      FL_UNSAFE_CALLS(FL_X)
#undef FL_X
  };
  return id >= 0 && id < FL_CALL_COUNT ? names[id] : 0;
}

/* FL_CALL_SYSLOG for FL_CALL_SYSLOG_CHK; -1 out of range. */
static inline int fl_unsafe_call_family(int id) {
  static const unsigned char families[FL_CALL_COUNT] = {
#define FL_X(id, fn, family, shape, ret, params, args) FL_CALL_##family,
      FL_UNSAFE_CALLS(FL_X)
#undef FL_X
  };
  return id >= 0 && id < FL_CALL_COUNT ? families[id] : -1;
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
