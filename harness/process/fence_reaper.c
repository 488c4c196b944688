/* faultline-reaper PROGRAM_PID STATUS_FD: what a run's init becomes once the
   program has started (runner.cpp execs it). Still pid 1 of the run's PID
   namespace, it reaps whatever the program leaves and reports the program's
   end; being a fresh process image, it no longer shares faultline's memory
   copy-on-write, so faultline's own writes during the run copy nothing. */
#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/fence_record.h"

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  prctl(PR_SET_DUMPABLE, 0); /* exec made it dumpable: the program must not trace it */
  const pid_t program = (pid_t)atoi(argv[1]);
  const int status_fd = atoi(argv[2]);
  for (;;) {
    int st = 0;
    const pid_t w = waitpid(-1, &st, __WALL);
    if (w == program) {
      const struct fl_fence_record r = {FL_FENCE_PROGRAM_ENDED, st};
      (void)!write(status_fd, &r, sizeof r);
      return 0;
    }
    if (w < 0 && errno != EINTR) return 0;
  }
}
