/* Raw x86_64 Linux syscalls: no libc, no errno, no PLT (see RULES.md, rule 1).
   Modelled on sanitizer_common's internal_syscall. Returns -errno on error. */
#ifndef FAULTLINE_RAW_SYSCALL_H
#define FAULTLINE_RAW_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

static inline long fl_syscall6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static inline long fl_sys_write(int fd, const void *buf, size_t len) {
  return fl_syscall6(SYS_write, fd, (long)buf, (long)len, 0, 0, 0);
}
static inline long fl_sys_sigaltstack_query(void *out_stack_t) {
  return fl_syscall6(SYS_sigaltstack, 0, (long)out_stack_t, 0, 0, 0, 0);
}
static inline long fl_sys_sched_yield(void) { return fl_syscall6(SYS_sched_yield, 0, 0, 0, 0, 0, 0); }
static inline long fl_sys_getpid(void) { return fl_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0); }
static inline long fl_sys_gettid(void) { return fl_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0); }
static inline long fl_sys_fstat(int fd, void *statbuf) {
  return fl_syscall6(SYS_fstat, fd, (long)statbuf, 0, 0, 0, 0);
}

static inline long fl_sys_getuid(void) { return fl_syscall6(SYS_getuid, 0, 0, 0, 0, 0, 0); }
/* info: a kernel siginfo (128 bytes) the caller filled in. */
static inline long fl_sys_rt_tgsigqueueinfo(long pid, long tid, int sig, void *info) {
  return fl_syscall6(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)info, 0, 0);
}
static inline long fl_sys_tgkill(long pid, long tid, int sig) {
  return fl_syscall6(SYS_tgkill, pid, tid, sig, 0, 0, 0);
}
/* how: SIG_BLOCK / SIG_UNBLOCK / SIG_SETMASK on a kernel sigset (8 bytes). */
static inline long fl_sys_sigprocmask(int how, const uint64_t *set, uint64_t *old) {
  return fl_syscall6(SYS_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0);
}

/* The default action for sig (the kernel's struct sigaction: handler, flags, restorer, mask). */
static inline long fl_sys_sigaction_default(int sig) {
  long act[4] = {0, 0, 0, 0};
  return fl_syscall6(SYS_rt_sigaction, sig, (long)act, 0, 8, 0, 0);
}

struct fl_timespec {
  long tv_sec, tv_nsec;
};
static inline long fl_sys_nanosleep(const struct fl_timespec *t) {
  return fl_syscall6(SYS_nanosleep, (long)t, 0, 0, 0, 0, 0);
}

#endif
