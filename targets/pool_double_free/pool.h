// pool_double_free: a small thread pool whose job-release path frees a job
// twice on a rare interleaving. Worker and submitter each mark their side
// finished and then check the other's mark; if both marks are set before
// either check, both free the job. The worker logs (one malloc) between its
// mark and its check: a `delay` schedule on that call opens the window.
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

#ifdef __cplusplus
}
#endif
