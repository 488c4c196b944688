/* Forks N children that each say they ran (one byte on a pipe) and then
   sleep; prints how many ran. Under a process limit, at most that many do. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 300;
  int ran[2];
  if (pipe(ran) != 0) return 3;
  int forked = 0;
  for (int i = 0; i < n; i++) {
    const pid_t child = fork();
    if (child == 0) {
      (void)!write(ran[1], "x", 1);
      sleep(30);
      _exit(0);
    }
    if (child > 0) forked++;
  }
  sleep(2);
  fcntl(ran[0], F_SETFL, O_NONBLOCK);
  int count = 0;
  char buf[512];
  for (ssize_t got; (got = read(ran[0], buf, sizeof buf)) > 0;) count += (int)got;
  printf("forked %d ran %d\n", forked, count);
  return 0;
}
