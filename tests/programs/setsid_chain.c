/* A chain of DEPTH processes, each in a session of its own (setsid), each
   the parent of the next, all named "flchain"; the program itself exits as
   soon as the last one runs. Nothing of the chain is in its process group. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const int depth = argc > 1 ? atoi(argv[1]) : 150;
  int ready[2];
  if (pipe(ready) != 0) return 3;
  for (int level = 0; level < depth; level++) {
    const pid_t child = fork();
    if (child < 0) break;
    if (child > 0) {
      if (level == 0) { /* the program: wait for the last one, then go */
        char c;
        close(ready[1]);
        const ssize_t got = read(ready[0], &c, 1);
        printf("chain of %d ready: %s\n", depth, got == 1 ? "yes" : "no");
        return 0;
      }
      break; /* a middle link: stay */
    }
    setsid();
    prctl(PR_SET_NAME, "flchain");
    if (level == depth - 1) (void)!write(ready[1], "x", 1);
  }
  for (;;) pause();
}
