/* What faultline knows of allocators, once: the injector (C, inside the
   target: string literals only) and the harness (C++) expand these tables
   into their own views. Add an allocator as a row of FL_ALLOCATORS and the
   schedule's `alloc` keys, the harness's table, triage's module prefixes and
   abort messages follow. */
#ifndef FAULTLINE_ALLOCATOR_TABLE_H
#define FAULTLINE_ALLOCATOR_TABLE_H

/* The allocator calls the injector interposes (alloc.c), as
   X(name, traced, return type, parameters). traced: also a breakpoint of
   `malloc-signal ptrace` in an executable that defines it itself, and what
   the harness counts as an allocator entry. */
#define FL_ALLOCATOR_ENTRIES(X)                                 \
  X(malloc, 1, void *, (size_t))                                \
  X(free, 1, void, (void *))                                    \
  X(calloc, 1, void *, (size_t, size_t))                        \
  X(realloc, 1, void *, (void *, size_t))                       \
  X(reallocarray, 0, void *, (void *, size_t, size_t))          \
  X(memalign, 0, void *, (size_t, size_t))                      \
  X(aligned_alloc, 0, void *, (size_t, size_t))                 \
  X(posix_memalign, 0, int, (void **, size_t, size_t))          \
  X(valloc, 0, void *, (size_t))                                \
  X(pvalloc, 0, void *, (size_t))

/* The help of its schedule key: glibc's is what runs without `alloc`. */
#define FL_ALLOC_HELP_DEFAULT(name, library) "run on " name "'s malloc (the default)"
#define FL_ALLOC_HELP_PRELOAD(name, library) "preload Debian's " library " under the injector"

/* The allocators `alloc` can swap in, in the schedule's canonical order, as
   X(P, ID, name, library, package, module_prefix, help, static_entry_points,
     own_api, frame_functions, abort_messages); P is passed through from the
   caller (FL_ALLOCATORS(X, P)). Lists are parenthesised, () for none.
   - name: as in `alloc <name>` and in reports; ID makes FL_KEY_ALLOC_<ID>.
   - library: the soname preloaded right after the injector (glibc's: in
     front of an allocator the program links); package: the Debian package.
   - module_prefix: how its frames' module names (and its libraries' file names) start.
   - static_entry_points: its malloc as a program links it in statically,
     plain or prefixed (jemalloc's --with-jemalloc-prefix; _rjem_ as Rust's
     tikv-jemallocator builds it).
   - own_api: prefixes of the names of its own API, which only it has and no
     swap moves to another allocator.
   - frame_functions: an ECMAScript regex of the functions in its module
     that are allocator code; "" : all of them.
   - abort_messages: ECMAScript regexes, one per kind of line it prints to
     stderr before it aborts on a corrupted heap. */
#define FL_ALLOCATORS(X, P)                                                                                     \
  X(P, GLIBC, "glibc", "libc.so.6", "libc6", "libc.so", FL_ALLOC_HELP_DEFAULT, (), (),                          \
    "^(malloc|free|cfree|realloc|calloc|_int_malloc|_int_free|_int_realloc|_int_memalign|"                       \
    "malloc_consolidate|unlink_chunk|tcache_get|tcache_put|sysmalloc|__libc_(malloc|free|realloc|calloc|memalign)|" \
    "__GI___libc_(malloc|free|realloc)|_mid_memalign|aligned_alloc|posix_memalign|memalign)$",                  \
    /* malloc.c's malloc_printerr() (2.36): "free(): double free detected in tcache 2", ... */                   \
    ("^(malloc|free|realloc|calloc|munmap_chunk|mremap_chunk|malloc_consolidate|"                                \
     "tcache_thread_shutdown|_int_malloc|_int_free|_int_realloc|memalign|"                                       \
     "posix_memalign|aligned_alloc|pvalloc|valloc)\\(\\): .+",                                                   \
     "^(double free or corruption.*|corrupted size vs\\. prev_size.*|corrupted double-linked list.*)"))         \
  X(P, JEMALLOC, "jemalloc", "libjemalloc.so.2", "libjemalloc2", "libjemalloc", FL_ALLOC_HELP_PRELOAD,         \
    ("je_malloc", "_rjem_malloc"), ("mallocx", "rallocx", "xallocx", "sallocx", "dallocx", "sdallocx", "nallocx", "mallctl"), \
    "", ("^<jemalloc>: .+"))                                                                                     \
  X(P, TCMALLOC, "tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4", "libtcmalloc",               \
    FL_ALLOC_HELP_PRELOAD, ("tc_malloc"), ("tc_"), "",                                                           \
    ("(src/tcmalloc\\.cc.*\\] .+|Attempt to free invalid pointer.*|tcmalloc: .+)"))                              \
  X(P, MIMALLOC, "mimalloc", "libmimalloc.so.2", "libmimalloc2.0", "libmimalloc", FL_ALLOC_HELP_PRELOAD,       \
    ("mi_malloc"), ("mi_"), "", ("^mimalloc: error: .+"))

/* A parenthesised list's elements: FL_ALLOC_LIST ("a", "b") is "a", "b". */
#define FL_ALLOC_LIST(...) __VA_ARGS__

#endif
