/* libfaultline-inject.so: loaded into the target with LD_PRELOAD.
   Reads its schedule once, in the constructor, and reports to the harness
   through fixed-size records on the event pipe. See RULES.md. */
#include <stdlib.h>
#include <sys/stat.h>

#include "event_record.h"
#include "raw_syscall.h"
#include "schedule.h"

static int event_fd = -1;
static struct fl_schedule schedule;

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

__attribute__((constructor(101))) static void faultline_inject_init(void) {
  event_fd = inherited_event_fd();
  const char *line = getenv(FL_ENV_SCHEDULE);  // allowed: constructor only
  char err[256];
  /* The harness validated the line before exec; a bad one here means someone
     set the variable by hand, and running without faults is the safe answer. */
  if (line && fl_schedule_parse(line, &schedule, err, sizeof err) != 0) schedule.present = 0;
  emit(FL_EVENT_HELLO, schedule.present, 0, 0, 0);
}
