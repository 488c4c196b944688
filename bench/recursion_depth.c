/* bench-recursion-depth DEPTH [thread]: recurses DEPTH levels of a ~150-byte
   frame on the main stack, or with `thread` on a thread with an explicit
   256 KiB stack, and exits 0; a depth that does not fit dies of SIGSEGV.
   bench/stack_perturbation.sh bisects the deepest one that fits, plain and
   under faultline run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long depth;

__attribute__((noinline)) static long down(long n) {
  volatile char pad[128];
  memset((char *)pad, 1, sizeof pad);
  if (n == 0) return pad[0];
  return down(n - 1) + pad[n % 128];
}

static void *on_thread(void *unused) {
  (void)unused;
  return (void *)down(depth);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench-recursion-depth DEPTH [thread]\n");
    return 2;
  }
  depth = atol(argv[1]);
  if (argc < 3) return (int)(down(depth) & 0);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t t;
  void *result;
  if (pthread_create(&t, &attr, on_thread, 0) != 0) return 2;
  pthread_join(t, &result);
  return (int)((long)result & 0);
}
