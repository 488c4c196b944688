/* A libFuzzer target (built by fuzz_test with clang-14 -fsanitize=fuzzer, no
   sanitizer: libFuzzer's own deadly-signal handler catches the fault and
   exits 1) whose two crashing inputs, "CA" and "CB", reach the same null
   write through the same three frames from two different callers: one stack
   hash, two whole stacks, a bucket with one "similar". */
#include <stddef.h>
#include <stdint.h>
__attribute__((noinline)) static void null_write(volatile int *p) { *p = 1; }
__attribute__((noinline)) static void step3(volatile int *p) { null_write(p); __asm__ volatile(""); }
__attribute__((noinline)) static void step2(volatile int *p) { step3(p); __asm__ volatile(""); }
__attribute__((noinline)) static void step1(volatile int *p) { step2(p); __asm__ volatile(""); }
__attribute__((noinline)) static void via_a(void) { step1(NULL); __asm__ volatile(""); }
__attribute__((noinline)) static void via_b(void) { step1(NULL); __asm__ volatile(""); }
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size >= 2 && data[0] == 'C' && data[1] == 'A') via_a();
  if (size >= 2 && data[0] == 'C' && data[1] == 'B') via_b();
  return 0;
}
