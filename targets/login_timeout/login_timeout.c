/* target-login_timeout [--safe] [FILE]: shaped like CVE-2024-6387
   ("regreSSHion"). sshd armed alarm(LoginGraceTime) with a SIGALRM handler
   that logged through syslog(), which is not async-signal-safe: when the
   alarm fired while the session was inside malloc or syslog, the handler's
   syslog re-entered them. Here the "session" reads login attempts (the lines
   of FILE, or a built-in list), copies each into a malloc'd buffer and logs it
   with syslog. --safe: the handler only writes with write(2) and sets a flag,
   as the fix does; the session then logs the timeout itself. A plain program:
   nothing of faultline in it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;

/* sshd's grace_alarm_handler -> sigdie -> do_log -> syslog, then _exit. */
static void grace_alarm_handler(int sig) {
  (void)sig;
  syslog(LOG_INFO, "Timeout before authentication for %s port %d", "192.0.2.1", 22);
  _exit(1);
}

static void safe_alarm_handler(int sig) {
  (void)sig;
  static const char msg[] = "login grace time over\n";
  if (write(2, msg, sizeof msg - 1) < 0) timed_out = 2;
  timed_out = 1;
}

/* One attempt: what sshd's auth path does between alarm() and success. */
static void attempt(const char *user) {
  size_t n = strlen(user);
  char *copy = malloc(n + 1);
  if (!copy) return;
  memcpy(copy, user, n + 1);
  copy[strcspn(copy, "\n")] = '\0';
  syslog(LOG_INFO, "Failed password for %s from %s port %d ssh2", copy, "192.0.2.1", 22);
  free(copy);
}

static const char *const builtin_attempts[] = {"root", "admin", "oracle", "test", "ubuntu", "guest", "pi", "user"};

int main(int argc, char **argv) {
  int arg = 1, safe = 0;
  if (arg < argc && strcmp(argv[arg], "--safe") == 0) safe = 1, arg++;
  FILE *in = arg < argc ? fopen(argv[arg], "r") : NULL;
  if (arg < argc && !in) {
    perror(argv[arg]);
    return 2;
  }
  openlog("login_timeout", LOG_PID, LOG_AUTH);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = safe ? safe_alarm_handler : grace_alarm_handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  alarm(120); /* LoginGraceTime */
  int attempts = 0;
  char line[256];
  for (size_t i = 0; !timed_out; i++, attempts++) {
    if (in ? !fgets(line, sizeof line, in) : i >= sizeof builtin_attempts / sizeof *builtin_attempts) break;
    attempt(in ? line : builtin_attempts[i]);
  }
  alarm(0);
  if (timed_out) syslog(LOG_INFO, "Timeout before authentication"); /* outside the handler: fine */
  closelog();
  if (in) fclose(in);
  printf("attempts=%d timed_out=%d\n", attempts, timed_out ? 1 : 0);
  return timed_out ? 1 : 0;
}
