/* What a hostile program does to the harness that runs it: SIGSTOP,
   PTRACE_ATTACH and an open of /proc/<pid>/mem on its parent and grandparent
   (by the ids the host's /proc shows) and on getppid(). Prints one line per
   attempt ("stop 123 (faultline): ok" or the error), then sleeps past any timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

/* pid 0: ourselves (/proc/self: our id inside a PID namespace names another task on the host's /proc). */
static long parent_of(long pid) {
  char path[64], buf[512];
  if (pid) snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  else snprintf(path, sizeof path, "/proc/self/stat");
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *paren = strrchr(buf, ')');
  char state;
  long ppid = 0;
  if (!paren || sscanf(paren + 2, "%c %ld", &state, &ppid) != 2) return 0;
  return ppid;
}

static void report(const char *what, long pid, int ok) {
  const int e = errno;
  char path[64], comm[64] = "";
  snprintf(path, sizeof path, "/proc/%ld/comm", pid);
  FILE *f = fopen(path, "r");
  if (f && fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
  if (f) fclose(f);
  printf("%s %ld (%s): %s\n", what, pid, comm, ok ? "ok" : strerror(e));
  fflush(stdout);
}

static void attack(long pid) {
  if (pid <= 1) return;
  report("stop", pid, kill((pid_t)pid, SIGSTOP) == 0);
  report("attach", pid, ptrace(PTRACE_ATTACH, (pid_t)pid, 0, 0) == 0);
  char mem[64];
  snprintf(mem, sizeof mem, "/proc/%ld/mem", pid);
  const int fd = open(mem, O_RDONLY);
  report("mem", pid, fd >= 0);
}

int main(void) {
  const long parent = parent_of(0); /* the host's /proc: host ids */
  attack((long)getppid());
  attack(parent);
  attack(parent_of(parent));
  printf("attacks done\n");
  fflush(stdout);
  sleep(60);
  return 0;
}
