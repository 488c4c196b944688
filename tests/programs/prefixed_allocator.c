/* A program with an allocator linked in under a prefix, as Rust's
   tikv-jemallocator builds jemalloc (_rjem_malloc, _rjem_free): its
   allocations through the prefix never reach malloc, so no row of `alloc`
   swaps them. Here the prefixed pair is a stand-in over a static arena; the
   program's C side still uses malloc. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static _Alignas(16) char arena[1 << 16];
static size_t used;

__attribute__((noinline, used)) void *_rjem_malloc(size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (used + n > sizeof arena) return NULL;
  used += n;
  return arena + used - n;
}
__attribute__((noinline, used)) void _rjem_free(void *p) { (void)p; }

int main(void) {
  void *volatile from_prefix = _rjem_malloc(32);
  void *volatile from_malloc = malloc(32);
  _rjem_free(from_prefix);
  free(from_malloc);
  free(from_malloc); /* the C side's double free: the rows do swap this one */
  puts("done");
  return 0;
}
