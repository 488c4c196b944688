/* A daemon's start-up, then its bug: close every inherited descriptor above
   stderr (varnishd, sshd, anything calling closefrom(3)), open a file of its
   own (argv[1]) at every number up to 63, where faultline's event pipe was,
   and write to it, then free a block twice ("double-free") or with a
   wrong size ("wrong-size": free_sized, looked up at run time, and a normal
   exit). The file must hold only what the program wrote. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 3;
  for (int fd = 3; fd < 1024; fd++) close(fd);
  const int own = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  (void)!write(own, "ok\n", 3);
  for (int fd = own + 1; fd < 64; fd++) dup2(own, fd); /* whatever number the pipe had is this file now */
  char *volatile p = malloc(64);
  strcpy(p, "request");
  if (strcmp(argv[2], "double-free") == 0) {
    free(p);
    free(p);
  } else {
    void (*free_sized)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
    if (!free_sized) return 4;
    free_sized(p, 4096);
  }
  close(own);
  return 0;
}
