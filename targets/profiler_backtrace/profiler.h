/* profiler_backtrace: an allocation-heavy workload under a sampling profiler
   whose SIGPROF handler calls glibc backtrace(). The first backtrace() loads
   libgcc_s (dlopen -> malloc); if that first sample lands inside malloc, the
   allocator is re-entered from the handler: the seed bug, unpatched.
   Plain C on purpose: a C++ program has libgcc_s loaded from the start. */
#ifndef FAULTLINE_PROFILER_H
#define FAULTLINE_PROFILER_H
#include <stddef.h>
#include <stdint.h>

/* fixed: call backtrace() once before installing the handler (the fix). */
void profiler_start(int fixed, long interval_us);
/* Installs handler for SIGPROF and, if interval_us > 0, arms ITIMER_PROF. */
void profiler_install(void (*handler)(int), long interval_us);
void profiler_stop(void);
unsigned long profiler_samples(void);

/* Allocates and frees in a pattern driven by data (or a default pattern);
   returns a checksum so the work is not optimised away. */
uint64_t workload_run(const uint8_t *data, size_t size, unsigned rounds);

#endif
