/* heap-size-mismatch: C++ sized and aligned deletes are checked against the
   block the allocator really handed out (malloc_usable_size), before the
   real delete runs. glibc ignores the size; jemalloc trusts it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "inject_internal.h"

typedef void (*delete_sized_fn)(void *, size_t);
typedef void (*delete_sized_aligned_fn)(void *, size_t, size_t);
typedef void (*delete_aligned_fn)(void *, size_t);
typedef void (*free_sized_fn)(void *, size_t);
typedef void (*free_aligned_sized_fn)(void *, size_t, size_t);
typedef void (*sdallocx_fn)(void *, size_t, int);
static struct {
  size_t (*usable_size)(void *);
  delete_sized_fn del_sized, del_array_sized;
  delete_sized_aligned_fn del_sized_aligned, del_array_sized_aligned;
  delete_aligned_fn del_aligned, del_array_aligned;
  free_sized_fn free_sized;
  free_aligned_sized_fn free_aligned_sized;
  sdallocx_fn sdallocx;
} next;

/* A program that replaces the global allocation function (_Znwm) hands out memory malloc never saw:
   malloc_usable_size on it would read garbage. Then there is nothing to check. */
static int new_replaced;

void fl_bind_sized_delete(void) {
  if (next.usable_size) return;
  new_replaced = dlsym(RTLD_DEFAULT, "_Znwm") != dlsym(RTLD_NEXT, "_Znwm");
  next.del_sized = (delete_sized_fn)dlsym(RTLD_NEXT, "_ZdlPvm");
  next.del_array_sized = (delete_sized_fn)dlsym(RTLD_NEXT, "_ZdaPvm");
  next.del_sized_aligned = (delete_sized_aligned_fn)dlsym(RTLD_NEXT, "_ZdlPvmSt11align_val_t");
  next.del_array_sized_aligned = (delete_sized_aligned_fn)dlsym(RTLD_NEXT, "_ZdaPvmSt11align_val_t");
  next.del_aligned = (delete_aligned_fn)dlsym(RTLD_NEXT, "_ZdlPvSt11align_val_t");
  next.del_array_aligned = (delete_aligned_fn)dlsym(RTLD_NEXT, "_ZdaPvSt11align_val_t");
  next.free_sized = (free_sized_fn)dlsym(RTLD_NEXT, "free_sized");
  next.free_aligned_sized = (free_aligned_sized_fn)dlsym(RTLD_NEXT, "free_aligned_sized");
  next.sdallocx = (sdallocx_fn)dlsym(RTLD_NEXT, "sdallocx");
  __atomic_store_n(&next.usable_size, (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size"), __ATOMIC_RELEASE);
}

/* Size classes round up: a block may hold a quarter more than was asked
   for, and never less. A given size outside that is not this block's. */
static void check(void *p, size_t given, size_t align) {
  /* The next delete may free the block without our free (jemalloc's own
     sized delete and sdallocx): the live-pointer set must hear of it. */
  fl_block_released(p);
  if (!p || !next.usable_size || new_replaced) return;
  const size_t usable = next.usable_size(p);
  const size_t slack = usable / 4 > 32 ? usable / 4 : 32;
  const int bad_alignment = align && ((uintptr_t)p & (align - 1));
  if (bad_alignment || (given && (given > usable || given + slack < usable)))
    fl_report_finding(FL_FINDING_HEAP_SIZE_MISMATCH, FL_MISMATCH(given, usable, bad_alignment));
}

FL_EXPORT void _ZdlPvm(void *p, size_t size) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, size, 0);
  if (next.del_sized) next.del_sized(p, size);
  else free(p);
}
FL_EXPORT void _ZdaPvm(void *p, size_t size) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, size, 0);
  if (next.del_array_sized) next.del_array_sized(p, size);
  else free(p);
}
FL_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t size, size_t align) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, size, align);
  if (next.del_sized_aligned) next.del_sized_aligned(p, size, align);
  else free(p);
}
FL_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t size, size_t align) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, size, align);
  if (next.del_array_sized_aligned) next.del_array_sized_aligned(p, size, align);
  else free(p);
}
FL_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t align) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, 0, align);
  if (next.del_aligned) next.del_aligned(p, align);
  else free(p);
}
FL_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t align) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, 0, align);
  if (next.del_array_aligned) next.del_array_aligned(p, align);
  else free(p);
}

/* C23 sized frees and jemalloc's sdallocx: the same check, then the next
   definition (the swapped-in allocator's), or plain free where there is none. */
FL_EXPORT void free_sized(void *p, size_t size) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, size, 0);
  if (next.free_sized) next.free_sized(p, size);
  else free(p);
}

FL_EXPORT void free_aligned_sized(void *p, size_t align, size_t size) {
  if (fl_not_ready()) fl_bind_sized_delete();
  check(p, size, align);
  if (next.free_aligned_sized) next.free_aligned_sized(p, align, size);
  else free(p);
}

/* jemalloc: flags carry lg(alignment) in the low 6 bits (MALLOCX_LG_ALIGN). */
FL_EXPORT void sdallocx(void *p, size_t size, int flags) {
  if (fl_not_ready()) fl_bind_sized_delete();
  const int lg_align = flags & 0x3f;
  check(p, size, lg_align ? (size_t)1 << lg_align : 0);
  if (next.sdallocx) next.sdallocx(p, size, flags);
  else free(p);
}
