/* The same wrong-size free in a process and then in its forked child: each
   process's first finding of a kind is its own (the child inherits the
   parent's memory, and with it the injector's "already reported" table).
   free_sized (C23) is looked up at run time: the injector defines it, glibc
   2.36 does not; the block then goes to plain free, so nothing aborts. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*free_sized_fn)(void *, size_t);

static void free_with_wrong_size(free_sized_fn free_sized, size_t n) {
  char *volatile p = malloc(n);
  free_sized(p, n * 100);
}

int main(void) {
  const free_sized_fn free_sized = (free_sized_fn)dlsym(RTLD_DEFAULT, "free_sized");
  if (!free_sized) return 3;
  free_with_wrong_size(free_sized, 32);
  const pid_t child = fork();
  if (child == 0) {
    free_with_wrong_size(free_sized, 48);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return 0;
}
