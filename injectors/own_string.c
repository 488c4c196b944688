/* Our own memcpy, memmove, memset and strlen, hidden: the compiler emits calls
   to these for struct copies and loops it recognises (a byte-counting loop
   becomes strlen), and a hidden definition binds those calls here, inside the
   library, instead of importing libc's through the PLT (RULES.md 1 and 4;
   tests/injector_imports.sh checks the imports). Written as string
   instructions, so no compiler can turn them back into calls of themselves. */
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n) {
  void *d = dst;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  if ((const char *)dst <= (const char *)src || (const char *)dst >= (const char *)src + n) return memcpy(dst, src, n);
  /* Overlapping with the destination above: copy backwards. */
  void *d = (char *)dst + n - 1;
  const void *s = (const char *)src + n - 1;
  __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory", "cc");
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *d = dst;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}

size_t strlen(const char *s) {
  const char *p = s;
  size_t left = ~(size_t)0;
  /* repne scasb: rdi stops one past the NUL. */
  __asm__ volatile("repne scasb" : "+D"(p), "+c"(left) : "a"(0) : "memory", "cc");
  return (size_t)(p - s) - 1;
}
