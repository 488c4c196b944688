/* A program that brings its own allocator the way Debian's varnishd does:
   libjemalloc.so.2 in DT_NEEDED. It asks jemalloc its version (its own API,
   mallctl), then frees a block twice; jemalloc takes that silently and hands
   the same pointer to the next two mallocs (the seed's symptom from another
   cause), so the program exits 0 and says "same". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mallctl(const char *name, void *old, size_t *old_len, void *new_value, size_t new_len); /* jemalloc's */

int main(void) {
  const char *version = "?";
  size_t len = sizeof version;
  if (mallctl("version", &version, &len, NULL, 0) != 0) return 3;
  char *volatile block = malloc(64);
  strcpy(block, "request");
  free(block);
  free(block);
  char *volatile a = malloc(64), *volatile b = malloc(64);
  printf("jemalloc %s: %s\n", version, a == b ? "same" : "different");
  return 0;
}
