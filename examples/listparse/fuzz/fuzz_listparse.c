/* libFuzzer / AFL++ entry point: parse the input, free the tree.
 * build-fuzz/: clang -fsanitize=fuzzer,address (libFuzzer).
 * build-afl/:  afl-clang-fast -fsanitize=fuzzer (AFL++'s libAFLDriver,
 *              persistent mode; `fuzz_listparse FILE` runs one input). */
#include "listparse.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lp_node *root = lp_parse((const char *)data, size, NULL, NULL);
  lp_free(root);
  return 0;
}
