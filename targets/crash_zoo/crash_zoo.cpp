// Each zoo_* function really commits its crash; extern "C" keeps the frame
// names that triage reports short and stable across compilers.
#include "crash_zoo.h"

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

extern "C" {

__attribute__((noinline)) void zoo_null_dereference(int* p) { *static_cast<volatile int*>(p) = 42; }

__attribute__((noinline)) void zoo_wild_write() {
  // Canonical, never mapped in a small process: SEGV_MAPERR far from NULL and stacks.
  *reinterpret_cast<volatile int*>(0x100000000000ull) = 1;
}

__attribute__((noinline)) void zoo_abort() { std::abort(); }

__attribute__((noinline)) void zoo_double_free() {
  void* volatile p = std::malloc(48);
  std::free(p);
  std::free(p);  // glibc: "free(): double free detected in tcache 2", then abort
}

__attribute__((noinline)) void zoo_illegal_instruction() { __builtin_trap(); }

// Writes to a block after freeing it, then goes on allocating: silent under
// every allocator, caught by the quarantine when the block leaves it.
__attribute__((noinline)) void zoo_use_after_free() {
  char* volatile p = static_cast<char*>(std::malloc(48));
  std::free(p);
  static_cast<volatile char*>(p)[8] = 'x';  // volatile: the compiler may not drop a store to freed memory
  for (int i = 0; i < 100; i++) {
    void* volatile q = std::malloc(48 + i);
    std::free(q);
  }
}

__attribute__((noinline)) int zoo_divide(int a, int b) {
  volatile int divisor = b;
  return a / divisor;
}

// Allocates until the address-space limit refuses; the uncaught bad_alloc aborts.
__attribute__((noinline)) void zoo_exhaust_memory() {
  std::vector<std::unique_ptr<char[]>> hoard;
  for (;;) {
    hoard.emplace_back(new char[64 << 20]);
    std::memset(hoard.back().get(), 1, 4096);
  }
}

// A two-function recursion (like a recursive-descent parser), ~1 KiB per level.
int zoo_parse_statement(int depth);
__attribute__((noinline)) int zoo_parse_block(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth <= 0) return frame[0];
  return zoo_parse_statement(depth - 1) + frame[0];
}
__attribute__((noinline)) int zoo_parse_statement(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  return zoo_parse_block(depth) + frame[0];
}

static void* zoo_worker(void* arg) {
  zoo_parse_block(*static_cast<int*>(arg));
  return nullptr;
}

// A worker thread with default attributes, as a compiler's worker would make.
__attribute__((noinline)) void zoo_recurse_in_thread(int depth) {
  pthread_t t;
  if (pthread_create(&t, nullptr, zoo_worker, &depth) != 0) std::exit(3);
  pthread_join(t, nullptr);
}

static void* zoo_report_own_stack(void* out) {
  pthread_attr_t attr;
  pthread_getattr_np(pthread_self(), &attr);
  pthread_attr_getstacksize(&attr, static_cast<size_t*>(out));
  pthread_attr_destroy(&attr);
  return nullptr;
}

// Prints the stack size a default thread, a thread that asked for 4 MiB and
// one that asked for exactly 8 MiB (the default's size, as rustc does) really
// got: the stack injector must shrink the first and keep the other two.
__attribute__((noinline)) void zoo_thread_sizes() {
  size_t sizes[3] = {0, 0, 0};
  pthread_attr_t own, eight;
  pthread_attr_init(&own);
  pthread_attr_setstacksize(&own, 4 << 20);
  pthread_attr_init(&eight);
  pthread_attr_setstacksize(&eight, 8 << 20);
  pthread_t t[3];
  pthread_create(&t[0], nullptr, zoo_report_own_stack, &sizes[0]);
  pthread_create(&t[1], &own, zoo_report_own_stack, &sizes[1]);
  pthread_create(&t[2], &eight, zoo_report_own_stack, &sizes[2]);
  for (pthread_t& each : t) pthread_join(each, nullptr);
  size_t after = 0;
  pthread_attr_getstacksize(&own, &after);
  pthread_attr_destroy(&eight);
  std::printf("default=%zu own=%zu own_8m=%zu attr_after=%zu\n", sizes[0], sizes[1], sizes[2], after);
}

static void zoo_segv_handler(int) {
  volatile char scratch[16 * 1024];  // a handler that needs 16 KiB, e.g. to format a report
  for (size_t i = 0; i < sizeof scratch; i += 512) scratch[i] = 1;
  _exit(0);
}

// A SIGSEGV handler on a 64 KiB alternate stack with a guard page below it:
// it recovers from a null dereference, unless the alternate stack is shrunk.
__attribute__((noinline)) void zoo_altstack_handler() {
  const size_t page = 4096, size = 64 * 1024;
  char* base = static_cast<char*>(mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  mprotect(base, page, PROT_NONE);
  stack_t ss{};
  ss.ss_sp = base + page;
  ss.ss_size = size;
  sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = zoo_segv_handler;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGSEGV, &sa, nullptr);
  zoo_null_dereference(nullptr);
}

static void zoo_loading_handler(int) { dlopen("libm.so.6", RTLD_NOW); }

// A handler that loads a library: the dynamic linker's locks and allocator
// inside a signal handler.
__attribute__((noinline)) void zoo_dlopen_in_handler() {
  signal(SIGUSR1, zoo_loading_handler);
  raise(SIGUSR1);
}

static void zoo_quiet_handler(int) { (void)!write(1, "handled\n", 8); }

// The injector wraps handlers; the program must still see its own.
__attribute__((noinline)) void zoo_sigaction_roundtrip() {
  struct sigaction sa {}, old {};
  sa.sa_handler = zoo_quiet_handler;
  sigaction(SIGUSR2, &sa, nullptr);
  sigaction(SIGUSR2, nullptr, &old);
  void (*previous)(int) = signal(SIGUSR2, zoo_quiet_handler);
  std::printf("%s %s\n", old.sa_handler == zoo_quiet_handler ? "same" : "different",
              previous == zoo_quiet_handler ? "same" : "different");
  std::fflush(stdout);
  raise(SIGUSR2);
}

// SIG_IGN spelled with SA_SIGINFO: the kernel goes by the handler value, and so
// must anything that wraps handlers.
__attribute__((noinline)) void zoo_siginfo_ignore() {
  struct sigaction sa {};
  sa.sa_flags = SA_SIGINFO;
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
  int fds[2];
  if (pipe(fds) != 0) return;
  close(fds[0]);
  (void)!write(fds[1], "x", 1);  // EPIPE, and an ignored SIGPIPE
  std::puts("survived SIGPIPE");
}

static sigjmp_buf zoo_recovery;
static void zoo_recovering_handler(int) { siglongjmp(zoo_recovery, 1); }

// Probes memory with a SIGSEGV handler that siglongjmps out, then loads a
// library in ordinary code: nothing here runs in a handler any more.
__attribute__((noinline)) void zoo_longjmp_out_of_handler() {
  struct sigaction sa {};
  sa.sa_handler = zoo_recovering_handler;
  sigaction(SIGSEGV, &sa, nullptr);
  if (sigsetjmp(zoo_recovery, 1) == 0) zoo_null_dereference(nullptr);
  dlopen("libm.so.6", RTLD_NOW);
  std::puts("recovered");
}

// C23 free_sized with the size of 80 blocks on one (looked up at run time:
// glibc 2.36 does not have it; without one, plain free).
__attribute__((noinline)) void zoo_free_sized_mismatch() {
  auto free_sized = reinterpret_cast<void (*)(void*, size_t)>(dlsym(RTLD_DEFAULT, "free_sized"));
  void* p = std::malloc(560);
  if (free_sized) free_sized(p, 560 * 80);
  else std::free(p);
}

// Sleeps forever with two grandchildren, one of which leaves the process group,
// so a timeout must clean up more than the group. Their pids go to pidfile.
__attribute__((noinline)) void zoo_sleep_tree(const std::string& pidfile) {
  for (int i = 0; i < 2; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      if (i == 1) setsid();
      for (;;) pause();
    }
    if (FILE* f = std::fopen(pidfile.c_str(), "a")) {
      std::fprintf(f, "%d\n", pid);
      std::fclose(f);
    }
  }
  for (;;) pause();
}

// A deterministic flaky bug: the runs are counted in FILE, and the odd ones
// dereference null. Replayed N times, it crashes ceil(N/2) times.
__attribute__((noinline)) int zoo_every_other_run(const std::string& counter) {
  long runs = 0;
  if (FILE* f = std::fopen(counter.c_str(), "r")) {
    if (std::fscanf(f, "%ld", &runs) != 1) runs = 0;
    std::fclose(f);
  }
  if (FILE* f = std::fopen(counter.c_str(), "w")) {
    std::fprintf(f, "%ld\n", runs + 1);
    std::fclose(f);
  }
  if (runs % 2 == 0) zoo_null_dereference(nullptr);
  return 0;
}

}  // extern "C"

int crash_zoo_run(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string kind, arg;
  in >> kind >> arg;
  long n = std::strtol(arg.c_str(), nullptr, 10);
  if (kind == "clean") return 0;
  if (kind == "null") zoo_null_dereference(nullptr);
  else if (kind == "wild") zoo_wild_write();
  else if (kind == "abort") zoo_abort();
  else if (kind == "double-free") zoo_double_free();
  else if (kind == "ill") zoo_illegal_instruction();
  else if (kind == "oom") zoo_exhaust_memory();
  else if (kind == "use-after-free") zoo_use_after_free();
  else if (kind == "fpe") return zoo_divide(1, 0);
  else if (kind == "stack-main") return zoo_parse_block(n > 0 ? static_cast<int>(n) : 1 << 30) & 0;
  else if (kind == "stack-thread") zoo_recurse_in_thread(n > 0 ? static_cast<int>(n) : 1 << 30);
  else if (kind == "sleep") {
    if (arg.empty()) for (;;) pause();
    sleep(static_cast<unsigned>(n));
  } else if (kind == "sleep-tree") zoo_sleep_tree(arg);
  else if (kind == "every-other-run") return zoo_every_other_run(arg);
  else if (kind == "thread-sizes") zoo_thread_sizes();
  else if (kind == "altstack-handler") zoo_altstack_handler();
  else if (kind == "dlopen-in-handler") zoo_dlopen_in_handler();
  else if (kind == "sigaction-roundtrip") zoo_sigaction_roundtrip();
  else if (kind == "siginfo-ignore") zoo_siginfo_ignore();
  else if (kind == "longjmp-out-of-handler") zoo_longjmp_out_of_handler();
  else if (kind == "free-sized") zoo_free_sized_mismatch();
  else if (kind == "print") {
    // Writes n bytes to stdout: exercises the output cap.
    std::string chunk(4096, 'x');
    for (long left = n; left > 0; left -= 4096) fwrite(chunk.data(), 1, left < 4096 ? left : 4096, stdout);
  } else {
    std::fprintf(stderr, "crash_zoo: unknown kind '%s'\n", kind.c_str());
    return 2;
  }
  return 0;
}
