/* Included last by the files whose code runs in signal context or inside an
   interposed allocator call (RULES.md): any later use of these names is a
   compile error, as rr's preload library does it. Stdio allocates and locks,
   the allocator is what a handler may have interrupted, a mutex may be held by
   the very code the handler interrupted. Calls the compiler makes on its own
   (struct copies, recognised loops) go to own_string.c. */
#ifndef FAULTLINE_SIGNAL_CONTEXT_H
#define FAULTLINE_SIGNAL_CONTEXT_H

#pragma GCC poison printf fprintf sprintf snprintf vprintf vfprintf vsprintf vsnprintf dprintf
#pragma GCC poison puts fputs fputc putchar fwrite fflush fopen fclose perror syslog
#pragma GCC poison malloc calloc realloc free strdup strndup aligned_alloc posix_memalign
#pragma GCC poison pthread_mutex_lock pthread_mutex_unlock pthread_cond_wait pthread_rwlock_wrlock
#pragma GCC poison backtrace dlerror sysconf

#endif
