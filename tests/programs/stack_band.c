/* test-stack_band: recursion whose survival is not monotone in the stack it
   has, as a program that sizes its work by the room it finds (rustc's and
   stacker's red zones do) can be. It recurses 256 levels of 1 KiB frames
   (~300 KiB of stack), except that with a main-stack limit from 1 MiB up to
   (not including) 2 MiB it recurses without end: a bisection over the size
   finds ~300 KiB and, unless it checks above its answer, never sees the band
   where the program dies again. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

__attribute__((noinline)) static int descend(long levels) {
  volatile char frame[1024];
  memset((char *)frame, (int)levels, sizeof frame);
  if (levels <= 0) return frame[0];
  return descend(levels - 1) + frame[levels % sizeof frame];
}

int main(void) {
  struct rlimit limit;
  getrlimit(RLIMIT_STACK, &limit);
  const int in_band = limit.rlim_cur >= (1 << 20) && limit.rlim_cur < (2 << 20);
  printf("%d\n", descend(in_band ? (1L << 40) : 256));
  return 0;
}
