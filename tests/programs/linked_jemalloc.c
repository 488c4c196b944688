/* A program that brings its own allocator the way Debian's varnishd does:
   libjemalloc.so.2 in DT_NEEDED. It frees a block twice; jemalloc takes that
   silently and hands the same pointer to the next two mallocs (the seed's
   symptom from another cause), so the program exits 0 and says "same". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *volatile block = malloc(64);
  strcpy(block, "request");
  free(block);
  free(block);
  char *volatile a = malloc(64), *volatile b = malloc(64);
  puts(a == b ? "same" : "different");
  return 0;
}
