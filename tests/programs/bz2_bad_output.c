/* test-bz2_bad_output: hands Debian's libbz2 (stripped: only .dynsym names)
   an output buffer at address 16, so it faults in one of its static
   functions, which have no symbol at all, below its exported BZ2_bzCompress. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef int (*compress_fn)(char *, unsigned *, char *, unsigned, int, int, int);

int main(void) {
  void *lib = dlopen("libbz2.so.1.0", RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "test-bz2_bad_output: %s\n", dlerror());
    return 2;
  }
  compress_fn compress = (compress_fn)dlsym(lib, "BZ2_bzBuffToBuffCompress");
  static char source[100000];
  memset(source, 'x', sizeof source);
  unsigned dest_len = 1 << 20;
  return compress((char *)16, &dest_len, source, sizeof source, 9, 0, 0);
}
