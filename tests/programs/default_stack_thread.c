/* A program that sets the process's default thread stack size
   (pthread_setattr_default_np, 4 MiB) and then creates a thread with a fresh
   attr: that thread's size is the default, not the program's choice, so
   `stack threads=` applies to it. Prints the size the thread really got, KiB. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

static void *report_size(void *unused) {
  (void)unused;
  pthread_attr_t mine;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &mine) == 0) {
    pthread_attr_getstacksize(&mine, &size);
    pthread_attr_destroy(&mine);
  }
  printf("thread stack %zu KiB\n", size >> 10);
  return 0;
}

int main(void) {
  pthread_attr_t def;
  pthread_attr_init(&def);
  pthread_attr_setstacksize(&def, 4u << 20);
  if (pthread_setattr_default_np(&def) != 0) return 3;
  pthread_attr_destroy(&def);
  pthread_attr_t fresh;
  pthread_attr_init(&fresh);
  pthread_t t;
  if (pthread_create(&t, &fresh, report_size, 0) != 0) return 4;
  pthread_join(t, 0);
  pthread_attr_destroy(&fresh);
  return 0;
}
