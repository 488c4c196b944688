/* The allocator interposition: every malloc-family call is counted per
   thread, watched by the sentinels, and the scheduled one is single-stepped
   (malloc-signal). This code runs inside the allocator and from handlers
   that interrupted it: RULES.md in full. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "allocator_table.h"
#include "inject_internal.h"
#include "raw_syscall.h"

/* The calls we interpose (allocator_table.h), each defined below... */
#define FL_X(name, traced, ret, params) FL_EXPORT ret name params;
FL_ALLOCATOR_ENTRIES(FL_X)
#undef FL_X

/* ...and their next definitions. */
static struct {
#define FL_X(name, traced, ret, params) ret(*name) params;
  FL_ALLOCATOR_ENTRIES(FL_X)
#undef FL_X
  size_t (*usable_size)(void *);
} real;

/* ---- before the real allocator is bound: dlsym itself may allocate ---- */

static _Alignas(16) char boot_arena[256 * 1024];
static size_t boot_used;
static int binding;

static int from_boot(const void *p) { return (const char *)p >= boot_arena && (const char *)p < boot_arena + sizeof boot_arena; }

static void *boot_alloc(size_t n) {
  size_t need = (n + 16 + 15) & ~(size_t)15; /* 16-byte header holds the size */
  size_t at = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
  if (at + need > sizeof boot_arena) return 0;
  *(size_t *)(boot_arena + at) = n;
  return boot_arena + at + 16;
}

static int bind_allocator(void) {
  if (real.malloc) return 1;
  if (__atomic_exchange_n(&binding, 1, __ATOMIC_ACQUIRE)) return 0; /* dlsym re-entering us */
  /* malloc last: once it is set, the wrappers take every other one as bound. */
#define FL_X(name, traced, ret, params) \
  if ((void *)&real.name != (void *)&real.malloc) real.name = dlsym(RTLD_NEXT, #name);
  FL_ALLOCATOR_ENTRIES(FL_X)
#undef FL_X
  real.usable_size = dlsym(RTLD_NEXT, "malloc_usable_size");
  void *m = dlsym(RTLD_NEXT, "malloc");
  __atomic_store_n(&real.malloc, m, __ATOMIC_RELEASE);
  return 1;
}

/* Which malloc serves this process: the next definition after ours (the
   allocator the program links, libjemalloc for Debian's varnishd, or the one
   `alloc` preloaded in front of it), unless one before ours takes the calls
   (the executable's own). Found once at init; a forked child says it again
   from the record (dladdr is no call for an atfork handler). */
static uint64_t allocator_record[4];

void fl_find_allocator(void) {
  if (!real.malloc) bind_allocator();
  void *program_malloc = dlsym(RTLD_DEFAULT, "malloc");  // allowed: init only
  const int interposed = fl_pc_is_ours((uint64_t)(uintptr_t)program_malloc);
  const void *serving = interposed ? (const void *)real.malloc : program_malloc;
  char name[FL_ALLOCATOR_NAME_BYTES] = {0};
  Dl_info info;
  struct link_map *map = 0;
  allocator_record[0] = interposed ? 0 : FL_ALLOCATOR_NOT_INTERPOSED;
  if (serving && dladdr1(serving, &info, (void **)&map, RTLD_DL_LINKMAP) && map) {  // allowed: init only
    if (!map->l_name[0]) allocator_record[0] |= FL_ALLOCATOR_IN_EXECUTABLE;
    const char *base = strrchr(map->l_name, '/');  // allowed: init only
    base = base ? base + 1 : map->l_name;
    for (size_t i = 0; i < sizeof name && base[i]; i++) name[i] = base[i];
  }
  memcpy(&allocator_record[1], name, sizeof name);
}

void fl_emit_allocator(void) {
  fl_emit(FL_EVENT_ALLOCATOR, allocator_record[0], allocator_record[1], allocator_record[2], allocator_record[3]);
}

/* ---- live set: pointers the allocator handed out and that were not freed ---- */

#define LIVE_SLOTS (1u << 20)
#define LIVE_PROBES 64
#define TOMBSTONE ((uintptr_t)1)
static uintptr_t live[LIVE_SLOTS];
/* Tracking starts when a reentrancy is seen (or from the start, under
   `live-pointers on`): from then on the allocator's state is suspect and
   every pointer it hands out is checked. Before, the set costs nothing. Every
   way a block is freed must reach released(): our free and realloc, and the
   sized deletes and sdallocx, whose next definition may free it past our
   free (sized_delete.c). */
static int allocator_state_suspect;

static size_t slot_of(uintptr_t p) { return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> 44) & (LIVE_SLOTS - 1); }

/* Returns 1 if p was already live. */
static int live_insert(uintptr_t p) {
  size_t free_slot = SIZE_MAX;
  for (size_t i = 0, s = slot_of(p); i < LIVE_PROBES; i++, s = (s + 1) & (LIVE_SLOTS - 1)) {
    uintptr_t v = __atomic_load_n(&live[s], __ATOMIC_RELAXED);
    if (v == p) return 1;
    if (v == TOMBSTONE && free_slot == SIZE_MAX) free_slot = s;
    if (v == 0) {
      if (free_slot == SIZE_MAX) free_slot = s;
      break;
    }
  }
  if (free_slot != SIZE_MAX) {
    uintptr_t expected = live[free_slot];
    if (expected <= TOMBSTONE)
      __atomic_compare_exchange_n(&live[free_slot], &expected, p, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  }
  return 0;
}

static void live_remove(uintptr_t p) {
  for (size_t i = 0, s = slot_of(p); i < LIVE_PROBES; i++, s = (s + 1) & (LIVE_SLOTS - 1)) {
    uintptr_t v = __atomic_load_n(&live[s], __ATOMIC_RELAXED);
    if (v == 0) return;
    if (v == p) {
      __atomic_compare_exchange_n(&live[s], &v, TOMBSTONE, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
      return;
    }
  }
}

/* `live-pointers on`: suspect from the start. */
void fl_watch_live_pointers(void) { __atomic_store_n(&allocator_state_suspect, 1, __ATOMIC_RELAXED); }

static inline int suspect(void) { return __builtin_expect(__atomic_load_n(&allocator_state_suspect, __ATOMIC_RELAXED), 0); }

static void returned(void *p) {
  if (p && suspect() && live_insert((uintptr_t)p))
    fl_report_finding(FL_FINDING_DUPLICATE_ALLOCATION, (uint64_t)(uintptr_t)p);
}

static void released(void *p) {
  if (p && suspect()) live_remove((uintptr_t)p);
}

void fl_block_released(void *p) { released(p); }

/* ---- quarantine: freed blocks held back, poisoned, so a second free or a
   write after free is seen (schedule `quarantine=N`) ---- */

#define QUARANTINE_MAX 4096
#define QUARANTINE_INDEX (1u << 16)
#define POISON_BYTE 0xfd
#define POISON_BYTES 64
static void *quarantine[QUARANTINE_MAX];
static uint64_t quarantine_next;
static uintptr_t quarantined[QUARANTINE_INDEX]; /* direct-mapped: which blocks are held */
static uint16_t freed_by[QUARANTINE_INDEX];      /* and the thread index + 1 that freed each */

static size_t held_slot(const void *p) { return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 48); }
static size_t poisoned_bytes(void *p) {
  size_t usable = real.usable_size ? real.usable_size(p) : 0;
  return usable < POISON_BYTES ? usable : POISON_BYTES;
}

/* Takes p out of the quarantine ring (a cold path: a double free was seen).
   Returns 1 when it was there: its first free is still owed to the allocator. */
static int quarantine_release(void *p) {
  uintptr_t expected = (uintptr_t)p;
  __atomic_compare_exchange_n(&quarantined[held_slot(p)], &expected, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  for (size_t i = 0; i < QUARANTINE_MAX; i++) {
    void *held = p;
    if (__atomic_compare_exchange_n(&quarantine[i], &held, (void *)0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return 1;
  }
  return 0;
}

/* Returns 1 when the block is now held (the caller must not free it). */
static int quarantine_hold(void *p) {
  const uint64_t len = fl_sched.value[FL_KEY_QUARANTINE] < QUARANTINE_MAX ? fl_sched.value[FL_KEY_QUARANTINE] : QUARANTINE_MAX;
  if (!len) return 0;
  if (__atomic_load_n(&quarantined[held_slot(p)], __ATOMIC_RELAXED) == (uintptr_t)p) {
    /* Held since its last free and given to nobody since: freed twice. Once
       reported, the allocator gets both frees, as the program made them: what
       it does with a double free (glibc aborts, jemalloc's metadata breaks)
       is the program's real symptom, with this finding as its cause. */
    const uint16_t first_by = __atomic_load_n(&freed_by[held_slot(p)], __ATOMIC_RELAXED);
    fl_report_finding(FL_FINDING_DOUBLE_FREE, FL_DOUBLE_FREE_DETAIL((uintptr_t)p, first_by));
    if (quarantine_release(p)) real.free(p);
    return 0;
  }
  memset(p, POISON_BYTE, poisoned_bytes(p));
  const int me = fl_thread_index();
  __atomic_store_n(&freed_by[held_slot(p)], (uint16_t)(me >= 0 && me < 0xffff ? me + 1 : 0), __ATOMIC_RELAXED);
  __atomic_store_n(&quarantined[held_slot(p)], (uintptr_t)p, __ATOMIC_RELAXED);
  void *old = __atomic_exchange_n(&quarantine[__atomic_fetch_add(&quarantine_next, 1, __ATOMIC_RELAXED) % len], p, __ATOMIC_ACQ_REL);
  if (old) {
    uintptr_t expected = (uintptr_t)old;
    __atomic_compare_exchange_n(&quarantined[held_slot(old)], &expected, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    const unsigned char *bytes = old;
    for (size_t i = 0, n = poisoned_bytes(old); i < n; i++)
      if (bytes[i] != POISON_BYTE) {
        fl_report_finding(FL_FINDING_USE_AFTER_FREE, (uint64_t)(uintptr_t)old);
        break;
      }
    real.free(old);
  }
  return 1;
}

/* ---- entry and exit of every allocator call ---- */

/* Inlined into each wrapper so single-stepping starts right at the call site.
   Returns whether the call is watched: until the program installs a handler
   (or a malloc-signal is scheduled) nothing can interrupt the allocator, and
   a call costs one counter increment. */
static inline __attribute__((always_inline)) int enter(void) {
  fl_self.alloc_calls++;
  if (__builtin_expect(!__atomic_load_n(&fl_watching, __ATOMIC_RELAXED), 1)) return 0;
  if (__builtin_expect(fl_points_scheduled, 0)) fl_scheduled_point(FL_KEY_DELAY_CALL, fl_self.alloc_calls);
  if (fl_self.in_handler) {
    const struct fl_handler_level *h = fl_interrupting_handler();
    if (h) {
      __atomic_store_n(&allocator_state_suspect, 1, __ATOMIC_RELAXED);
      fl_report_finding(FL_FINDING_SIGNAL_UNSAFE_REENTRANCY, (uint64_t)h->sig);
    }
  }
  fl_self.in_allocator++;
  fl_step_begin(FL_STEP_ALLOC, fl_self.alloc_calls);
  return 1;
}

static inline __attribute__((always_inline)) void leave(int watched) {
  if (!watched) return;
  fl_step_end(FL_STEP_ALLOC);
  fl_self.in_allocator--;
}

FL_EXPORT void *malloc(size_t n) {
  if (!real.malloc && !bind_allocator()) return boot_alloc(n);
  const int watched = enter();
  void *p = real.malloc(n);
  leave(watched);
  returned(p);
  return p;
}

FL_EXPORT void free(void *p) {
  if (!p || from_boot(p)) return;
  if (!real.malloc && !bind_allocator()) return;
  released(p);
  const int watched = enter();
  if (!quarantine_hold(p)) real.free(p);
  leave(watched);
}

FL_EXPORT void *calloc(size_t n, size_t size) {
  if (!real.malloc && !bind_allocator()) {
    if (size && n > SIZE_MAX / size) return 0;
    return boot_alloc(n * size); /* the arena is zeroed .bss, used once */
  }
  const int watched = enter();
  void *p = real.calloc(n, size);
  leave(watched);
  returned(p);
  return p;
}

FL_EXPORT void *realloc(void *old, size_t n) {
  if (!real.malloc && !bind_allocator()) return 0;
  if (old && from_boot(old)) {
    void *p = malloc(n);
    size_t had = *(size_t *)((char *)old - 16);
    if (p) memcpy(p, old, had < n ? had : n);
    return p;
  }
  released(old);
  const int watched = enter();
  void *p = real.realloc(old, n);
  leave(watched);
  returned(p ? p : (n ? old : 0)); /* a failed realloc keeps the old block */
  return p;
}

FL_EXPORT void *reallocarray(void *old, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    errno = ENOMEM;
    return 0;
  }
  return realloc(old, n * size);
}

#define FL_ALIGNED(call_expr)              \
  do {                                     \
    if (!real.malloc && !bind_allocator()) \
      return 0;                            \
    const int watched = enter();           \
    void *p = call_expr;                   \
    leave(watched);                        \
    returned(p);                           \
    return p;                              \
  } while (0)

FL_EXPORT void *memalign(size_t align, size_t n) { FL_ALIGNED(real.memalign(align, n)); }
FL_EXPORT void *aligned_alloc(size_t align, size_t n) { FL_ALIGNED(real.aligned_alloc(align, n)); }
FL_EXPORT void *valloc(size_t n) { FL_ALIGNED(real.valloc(n)); }
FL_EXPORT void *pvalloc(size_t n) { FL_ALIGNED(real.pvalloc(n)); }

FL_EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  if (!real.malloc && !bind_allocator()) return ENOMEM;
  const int watched = enter();
  int rc = real.posix_memalign(out, align, n);
  leave(watched);
  if (rc == 0) returned(*out);
  return rc;
}
