/* test-other_stacks: a recursion that runs out of a stack that is neither the
   main stack nor a pthread stack, as stacker segments, coroutines and signal
   handlers do. `altstack` recurses in a SIGUSR1 handler on a 64 KiB
   sigaltstack with a guard page (`deep-altstack`: 16 MiB, more levels than a
   report names); `context` recurses on a 256 KiB makecontext
   stack whose mapping goes on 1 MiB above it (one VMA, the way the kernel
   merges a segment with its neighbour), on a thread named "ctx-worker";
   `thread` recurses on a 512 KiB pthread stack of a thread named "parser".
   Each level has a 512-byte frame. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define PAGE 4096

__attribute__((noinline)) static int descend(long levels) {
  volatile char frame[480];
  memset((char *)frame, (int)levels, sizeof frame);
  if (levels <= 0) return frame[0];
  return descend(levels - 1) + frame[levels % sizeof frame];
}

static void on_usr1(int sig) { (void)sig; descend(1L << 40); }

static void on_altstack(size_t size) {
  char *base = mmap(NULL, size + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(base, PAGE, PROT_NONE);
  stack_t ss = {.ss_sp = base + PAGE, .ss_size = size};
  sigaltstack(&ss, NULL);
  struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
}

static ucontext_t caller, callee;
static void context_body(void) { descend(1L << 40); }

static void *on_context(void *unused) {
  (void)unused;
  pthread_setname_np(pthread_self(), "ctx-worker");
  const size_t size = 256 * 1024, neighbour = 1 << 20;
  char *base = mmap(NULL, PAGE + size + neighbour, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(base, PAGE, PROT_NONE);
  getcontext(&callee);
  callee.uc_stack.ss_sp = base + PAGE;
  callee.uc_stack.ss_size = size;
  callee.uc_link = &caller;
  makecontext(&callee, context_body, 0);
  swapcontext(&caller, &callee);
  return NULL;
}

static void *on_thread(void *unused) {
  (void)unused;
  pthread_setname_np(pthread_self(), "parser");
  descend(1L << 40);
  return NULL;
}

static void in_thread(void *(*body)(void *), size_t stack) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (stack) pthread_attr_setstacksize(&attr, stack);
  pthread_t t;
  pthread_create(&t, &attr, body, NULL);
  pthread_join(t, NULL);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "altstack")) on_altstack(64 * 1024);
  else if (!strcmp(mode, "deep-altstack")) on_altstack(16 << 20);  /* deeper than the frames a report names */
  else if (!strcmp(mode, "context")) in_thread(on_context, 0);
  else if (!strcmp(mode, "thread")) in_thread(on_thread, 512 * 1024);
  else {
    fprintf(stderr, "usage: test-other_stacks altstack|deep-altstack|context|thread\n");
    return 2;
  }
  return 0;
}
