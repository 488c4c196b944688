/* listparse FILE: parse FILE, print a one-line summary.
 * Exit 0: parsed; 1: parse error; 2: usage or I/O error. */
#include "listparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap), *bigger;
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break; /* end of file or error */
    if (!(bigger = realloc(buf, cap *= 2))) free(buf);
    buf = bigger;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  FILE *f;
  char *src;
  size_t len;
  lp_stats st;
  lp_error err;
  lp_node *root;

  if (argc != 2) {
    fprintf(stderr, "usage: listparse FILE\n");
    return 2;
  }
  if (!(f = fopen(argv[1], "rb"))) {
    fprintf(stderr, "listparse: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  src = read_all(f, &len);
  fclose(f);
  if (!src) {
    fprintf(stderr, "listparse: %s: read error\n", argv[1]);
    return 2;
  }
  root = lp_parse(src, len, &st, &err);
  if (!root) {
    fprintf(stderr, "listparse: %s: parse error at offset %zu: %s\n", argv[1], err.offset, err.message);
    free(src);
    return 1;
  }
  printf("listparse (%s): %s: ok, %zu bytes: %zu lists, %zu numbers, %zu strings, %zu words, %zu pairs, depth %zu\n",
         lp_variant(), argv[1], len, st.lists, st.numbers, st.strings, st.words, st.pairs, st.max_depth);
  lp_free(root);
  free(src);
  return 0;
}
