/* A handler on an alternate signal stack that leaves by siglongjmp, then
   ordinary code that prints: nothing runs in a handler any more, so the
   printf is no signal-unsafe-call. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf back;

static void on_usr1(int sig) {
  (void)sig;
  siglongjmp(back, 1);
}

int main(void) {
  stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0};
  sigaltstack(&ss, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, 0);
  if (!sigsetjmp(back, 1)) raise(SIGUSR1);
  printf("left the handler\n");
  fflush(stdout);
  return 0;
}
