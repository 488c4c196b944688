// pool_double_free: a small thread pool whose job-release path frees a job
// twice on a rare interleaving. The worker marks the job done, logs (one
// malloc), then frees the job if the submitter gave up on it. The submitter
// waits for the worker to finish, gives up after a timeout, and frees the job
// if it is marked done. A worker held up between its mark and its check for
// the whole timeout makes both free it: a `delay` schedule on the logging
// malloc does exactly that.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Runs `jobs` jobs through a one-worker pool; the submitter gives up on each
// job after timeout_us and cancels it. fixed: an atomic hand-off decides who
// frees. Returns the number of jobs that completed before their timeout.
int pool_run(int jobs, long timeout_us, int fixed);
// Every job carries this many more bytes (default 0). 64 KiB makes a job a
// large allocation: jemalloc gives it its own extent, and the double free
// breaks jemalloc's extent metadata (the seed's symptom, a fault or a loop
// inside jemalloc), where a small job's double free stays silent.
void pool_set_job_extra(size_t bytes);

#ifdef __cplusplus
}
#endif
