/* test-inlined: a null write in a function the compiler inlines (always_inline,
   -O2) into a parser step, so the crashing pc's own function is parse_field and
   addr2line -i shows store_byte inlined into it at the call's line. */
#include <stddef.h>

__attribute__((always_inline)) static inline void store_byte(char *at, char value) {
  *at = value; /* the fault */
}

__attribute__((noinline)) int parse_field(char *out, const char *in) {
  int n = 0;
  while (in[n] && in[n] != ',') n++;
  store_byte(out + n, 0); /* the call site */
  return n;
}

int main(int argc, char **argv) {
  (void)argv;
  char *volatile nowhere = NULL;
  return parse_field(argc > 5 ? argv[1] : nowhere, "abc,def");
}
